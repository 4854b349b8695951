import Foundation
import Synchronization
import Testing
import System

/// The clocks, the stop flag and the threads every stage uses.
@Suite struct SystemTests {
    @Test func theMonotonicClockNeverGoesBack() {
        var last = Clock.monotonic()
        for _ in 0..<10_000 {
            let now = Clock.monotonic()
            #expect(now >= last)
            last = now
        }
    }

    @Test func theRealtimeClockIsTheUnixEpochsInNanoseconds() {
        let before = UInt64(Date().timeIntervalSince1970 * 1e9)
        let now = Clock.realtime()
        let after = UInt64(Date().timeIntervalSince1970 * 1e9)
        // Date has microsecond resolution: allow a millisecond either side.
        #expect(now + 1_000_000 >= before && now <= after + 1_000_000)
    }

    @Test func threadCPUTimeGrowsWithWorkAndStaysWithinTheProcesss() {
        let threadBefore = Clock.threadCPU(), processBefore = Clock.processCPU()
        var x: UInt64 = 1
        // Spin until the thread has used 20 ms of CPU (bounded: at most 10 s of wall time).
        let deadline = Clock.monotonic() + 10_000_000_000
        while Clock.threadCPU() - threadBefore < 20_000_000 && Clock.monotonic() < deadline {
            for i in 0..<10_000 { x = x &* 6364136223846793005 &+ UInt64(i) }
        }
        let used = Clock.threadCPU() - threadBefore
        #expect(x != 0)
        #expect(used >= 20_000_000)
        #expect(Clock.processCPU() - processBefore >= used / 2)  // getrusage rounds to ticks
    }

    @Test func aStopFlagIsSeenByAnotherThread() {
        let flag = StopFlag()
        #expect(!flag.isRaised)
        let rounds = Atomic<Int>(0)
        let worker = NamedThread(name: "qc-test-stop") {
            // Bounded: a flag that is never seen ends the loop after 30 s and fails the check below.
            let deadline = Clock.monotonic() + 30_000_000_000
            while !flag.isRaised && Clock.monotonic() < deadline { rounds.add(1, ordering: .relaxed); usleep(100) }
        }
        while rounds.load(ordering: .relaxed) == 0 { usleep(100) }
        flag.raise()
        worker.join()
        #expect(flag.isRaised)
    }

    @Test func aNamedThreadCarriesItsNameAndCanBeJoinedTwice() {
        let seen = Mutex<String>("")
        let t = NamedThread(name: "qc-test-name") {
            // The kernel's name of the calling thread.
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            seen.withLock { $0 = name.trimmingCharacters(in: .newlines) }
        }
        t.join()
        t.join()
        #expect(seen.withLock { $0 } == "qc-test-name")
        #expect(t.name == "qc-test-name")
    }

    @Test func aStoppableThreadStopsOnceAndLaterStopsReportNothing() {
        let thread = StoppableThread()
        #expect(!thread.stop())            // never started: nothing to stop
        let running = Atomic<Bool>(false), returned = Atomic<Bool>(false)
        let restart = StoppableThread()
        restart.start(name: "qc-test-svc") {
            running.store(true, ordering: .relaxed)
            let deadline = Clock.monotonic() + 30_000_000_000
            while !restart.isStopping && Clock.monotonic() < deadline { usleep(200) }
            returned.store(true, ordering: .relaxed)
        }
        while !running.load(ordering: .relaxed) { usleep(100) }
        #expect(!restart.isStopping)
        #expect(restart.stop())            // this call stopped it, and joined: the body has returned
        let hasReturned = returned.load(ordering: .relaxed)
        #expect(hasReturned)
        #expect(restart.isStopping)
        #expect(!restart.stop())           // later calls: nothing left to stop
    }
}

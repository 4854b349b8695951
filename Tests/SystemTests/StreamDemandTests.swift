import Foundation
import Synchronization
import System
import Testing

/// `StreamDemand`: the gateway tells a paced source whether anyone takes ticks as they come; a source
/// sleeping a coarse batch while nobody watches is woken by the first watcher.
@Suite struct StreamDemandTests {
    @Test func aWatcherEndsAnUnwatchedSleepAtOnce() throws {
        let demand = StreamDemand(watched: false)
        let asleep = DispatchSemaphore(value: 0), woke = DispatchSemaphore(value: 0)
        let result = Atomic<Int>(-1)
        // A sleep to a deadline a minute away: only the watcher can end it within the test's wait.
        let sleeper = Thread {
            asleep.signal()
            result.store(demand.sleep(until: Clock.monotonic() + 60_000_000_000) ? 1 : 0, ordering: .releasing)
            woke.signal()
        }
        sleeper.start()
        asleep.wait()
        usleep(20_000)  // most likely inside the sleep now; if not, the sleep sees the flag at once
        demand.set(watched: true)
        // Generous: a broken wakeup would take the whole minute and then say "not watched".
        #expect(woke.wait(timeout: .now() + 30) == .success, "the sleep did not end when a watcher arrived")
        #expect(result.load(ordering: .acquiring) == 1)
    }

    @Test func anUnwatchedSleepLastsToItsDeadlineNeverLess() {
        let demand = StreamDemand(watched: false)
        let deadline = Clock.monotonic() + 20_000_000
        #expect(demand.sleep(until: deadline) == false)
        #expect(Clock.monotonic() >= deadline)
        // A stale signal (watched, then not) ends a later sleep early only to sleep on to the deadline.
        demand.set(watched: true)
        demand.set(watched: false)
        let next = Clock.monotonic() + 20_000_000
        #expect(demand.sleep(until: next) == false)
        #expect(Clock.monotonic() >= next)
    }

    @Test func aWatchedDemandDoesNotSleep() {
        let demand = StreamDemand(watched: true)
        #expect(demand.sleep(until: Clock.monotonic() + 60_000_000_000) == true)
        #expect(demand.isWatched)
    }
}

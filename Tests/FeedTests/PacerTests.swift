import Testing
import Feed
import System

/// The feed's pacing: batches of what is due, slept to absolute deadlines, never spun.
@Suite struct PacerTests {
    @Test func aFastRateWakesOncePerBatchIntervalAndSendsWhatIsDue() {
        // 10 000 items/s: an item is due every 100 µs, but wakeups are on a 1 ms grid, so the 100 items
        // of the first 10 ms take at most 10 wakeups (fewer when one is late: the next sends more).
        var pacer = Pacer(rate: 10_000)
        var sent = 0, wakeups = 0
        while sent < 100 && wakeups < 1_000 {
            pacer.sleepUntilNextBatch()
            wakeups += 1
            let due = pacer.due(maxBatch: 4096)
            #expect(due >= 1, "woke with nothing due")
            pacer.consumed(due)
            sent += due
        }
        #expect(sent >= 100 && wakeups <= 10, "\(wakeups) wakeups for \(sent) items")
    }

    @Test func aSlowRateSendsEachItemAtItsOwnTime() {
        // 200 items/s: item k is due at (k + 1) × 5 ms, later than the 1 ms batch interval.
        // Read before the pacer's own start, so its deadlines are no earlier than these.
        let start = Clock.monotonic()
        var pacer = Pacer(rate: 200)
        for k in 1...3 {
            pacer.sleepUntilNextBatch()
            #expect(Clock.monotonic() &- start >= UInt64(k) * 5_000_000)
            let due = pacer.due(maxBatch: 4096)
            #expect(due >= 1, "\(due)")
            pacer.consumed(due)
        }
    }

    @Test func pacingSleepsInsteadOfSpinning() {
        // 50 batches at 1 000 items/s (~50 ms of pacing): a spinning pacer would use about as much CPU
        // as the time that passed; a sleeping one a small part of it (the load on the machine only
        // lowers the CPU this thread gets).
        var pacer = Pacer(rate: 1_000)
        let cpuBefore = Clock.threadCPU(), before = Clock.monotonic()
        var sent = 0
        while sent < 50 {
            pacer.sleepUntilNextBatch()
            let due = pacer.due(maxBatch: 4096)
            pacer.consumed(due)
            sent += due
        }
        let cpu = Clock.threadCPU() - cpuBefore, elapsed = Clock.monotonic() - before
        #expect(cpu * 2 < elapsed, "pacing used \(cpu) ns of CPU in \(elapsed) ns")
    }

    @Test func nobodyWatchingPutsBatchesOnTheCoarseGridAndAWatcherOnTheFineOne() {
        // 10 000 items/s, the first due 100 µs after the start: with nobody watching its batch is the
        // 50 ms grid point, with a watcher the 1 ms one. Deadlines are computed, not slept: no timing.
        let demand = StreamDemand(watched: false)
        let before = Clock.monotonic()
        let pacer = Pacer(rate: 10_000, demand: demand, fineStart: 0)
        let after = Clock.monotonic()
        let coarse = pacer.nextBatchDeadline
        #expect(coarse >= before + Pacer.unwatchedBatchInterval && coarse <= after + Pacer.unwatchedBatchInterval, "\(coarse - before)")
        demand.set(watched: true)
        let fine = pacer.nextBatchDeadline
        #expect(fine >= before + Pacer.defaultBatchInterval && fine <= after + Pacer.defaultBatchInterval, "\(fine - before)")
        // Without a demand (a multicast feed, a replay): always the fine grid.
        #expect(Pacer(rate: 10_000).nextBatchDeadline <= Clock.monotonic() + Pacer.defaultBatchInterval)
    }

    @Test func nobodyWatchingBoundsTheWakeupsAtEveryRate() {
        // With nobody watching, a batch every 50 ms at most: 100 ms of items (two grid points) in at
        // most 3 wakeups whatever the rate (a late wakeup sends more and only lowers the count). On the
        // 1 ms grid 10 000/s would take ~100, 1 000/s ~100, 100/s 10.
        let demand = StreamDemand(watched: false)
        for rate in [100_000, 10_000, 1_000, 100] {
            var pacer = Pacer(rate: rate, demand: demand, fineStart: 0)
            let items = rate / 10
            var sent = 0, wakeups = 0
            while sent < items && wakeups < 1_000 {
                pacer.sleepUntilNextBatch()
                wakeups += 1
                let due = min(pacer.due(maxBatch: 1 << 20), items - sent)
                #expect(due >= 1, "woke with nothing due at \(rate)/s")
                pacer.consumed(due)
                sent += due
            }
            #expect(sent == items && wakeups <= 3, "\(wakeups) wakeups for \(sent) items at \(rate)/s with nobody watching")
        }
    }

    @Test func theFirstSecondKeepsTheFineGridWithNobodyWatching() {
        // `serve`'s clients connecting right after start must find the first symbols quoted: for
        // `fineStart` the coarse grid waits, whoever watches. Deadlines computed, not slept.
        let demand = StreamDemand(watched: false)
        let before = Clock.monotonic()
        let pacer = Pacer(rate: 10_000, demand: demand)
        let deadline = pacer.nextBatchDeadline
        #expect(deadline <= Clock.monotonic() + Pacer.defaultBatchInterval, "\(deadline - before) ns after the start")
        #expect(Pacer(rate: 10_000, demand: demand, fineStart: 0).nextBatchDeadline >= before + Pacer.unwatchedBatchInterval)
    }

    @Test func anUnpacedPacerNeverSleeps() {
        var pacer = Pacer(rate: 0)
        pacer.sleepUntilNextBatch()
        #expect(pacer.due(maxBatch: 77) == 77)
    }
}

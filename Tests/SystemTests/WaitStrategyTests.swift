import Testing
import System

/// The one way threads wait (`IdleBackoff` under a `WaitStrategy`) and the paced loops' sleep
/// (`DeadlineSleeper`).
@Suite struct WaitStrategyTests {
    /// Idle steps taken before `backoff` asks to park, or nil when it did not within `limit` steps.
    func stepsBeforePark(_ backoff: inout IdleBackoff, limit: Int = 50_000_000) -> Int? {
        var steps = 0
        // Bounded by count; the adaptive spin itself is bounded by `maximumSpinNanoseconds`.
        while steps < limit {
            if !backoff.idle() { return steps }
            steps += 1
        }
        return nil
    }

    @Test func blockingParksAtOnce() {
        var backoff = IdleBackoff(.blocking)
        #expect(stepsBeforePark(&backoff) == 0)
    }

    @Test func spinningNeverParks() {
        var backoff = IdleBackoff(.spinning)
        #expect(stepsBeforePark(&backoff, limit: 200_000) == nil)
    }

    @Test func adaptiveSpinsThenYieldsThenParks() {
        var backoff = IdleBackoff(.adaptive)
        let steps = stepsBeforePark(&backoff)
        // It parks (a bounded spin), and only after the spin and the yields.
        #expect(steps != nil && steps! > IdleBackoff.yieldRounds, "\(String(describing: steps))")
        #expect(backoff.isIdle)
        backoff.parked()
        #expect(!backoff.isIdle)
    }

    @Test func adaptiveSpinFallsToItsMinimumWhenWaitsEndInParks() {
        var backoff = IdleBackoff(.adaptive)
        #expect(backoff.spinBudget == IdleBackoff.maximumSpinNanoseconds)
        // An idle daemon: every wait ends in a park (spinning never paid).
        for _ in 0..<64 {
            _ = stepsBeforePark(&backoff)
            backoff.parked()
        }
        #expect(backoff.spinBudget < IdleBackoff.minimumSpinNanoseconds + 100, "\(backoff.spinBudget)")
    }

    @Test func adaptiveSpinGrowsBackWhenWorkReturnsWhileSpinning() {
        var backoff = IdleBackoff(.adaptive)
        for _ in 0..<64 {
            _ = stepsBeforePark(&backoff)
            backoff.parked()
        }
        let low = backoff.spinBudget
        // A busy ring: work comes back ~300 ns into each wait, during the spin (one step, no yield).
        for _ in 0..<32 {
            let stepped = backoff.idle()
            #expect(stepped)
            let start = Clock.monotonic()
            while Clock.monotonic() &- start < 300 {}
            backoff.worked()
        }
        // Average spin ≥ 300 × (1 − (7/8)^32) ≈ 295 ns: budget = minimum + 2 × average.
        #expect(backoff.spinBudget > low + 400, "\(low) → \(backoff.spinBudget)")
        #expect(backoff.spinBudget <= IdleBackoff.maximumSpinNanoseconds)
    }

    @Test func workedOutsideAnIdlePeriodChangesNothing() {
        var backoff = IdleBackoff(.adaptive)
        let budget = backoff.spinBudget
        for _ in 0..<100 { backoff.worked() }
        #expect(backoff.spinBudget == budget && !backoff.isIdle)
    }

    @Test func strategiesAreNamedAsOnTheCommandLine() {
        #expect(WaitStrategy.allCases.map(\.description) == ["blocking", "adaptive", "spinning"])
        #expect(WaitStrategy(rawValue: "busy") == nil)
    }

    @Test func deadlineSleeperReturnsNoSoonerThanItsDeadline() {
        for delay: UInt64 in [0, 100_000, 2_000_000] {
            let deadline = Clock.monotonic() &+ delay
            DeadlineSleeper.sleep(until: deadline)
            #expect(Clock.monotonic() >= deadline)
        }
        // A deadline in the past returns at once (no sleep of "negative" length wrapping around).
        let past = Clock.monotonic() &- 1_000_000
        DeadlineSleeper.sleep(until: past)
        #expect(Clock.monotonic() >= past)
    }
}

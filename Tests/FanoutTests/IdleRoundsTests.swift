import Fanout
import Testing

/// `IdleRounds`: how long a ring reader nobody waits on may sleep between reads — long when the feed
/// is slow, never so long that the last round's rate would bring more than an eighth of the ring.
@Suite struct IdleRoundsTests {
    let ms: UInt64 = 1_000_000

    @Test func aQuietRingGetsTheLongestRound() {
        var rounds = IdleRounds(capacity: 65_536, longest: 200 * ms, now: 0)
        #expect(rounds.endRound(now: 10 * ms) == 200 * ms)
        // The simulator's 10 000 ticks/s: 2 000 in 200 ms is far below an eighth of the ring.
        rounds.read(2_000)
        #expect(rounds.endRound(now: 210 * ms) == 200 * ms)
    }

    @Test func aFastFeedShortensTheNextRoundSoItBringsAnEighthOfTheRingAtMost() {
        // 2 M ticks/s (100 000 in 50 ms): 8 192 ticks take 4.096 ms.
        var rounds = IdleRounds(capacity: 65_536, longest: 50 * ms, now: 0)
        rounds.read(60_000)
        rounds.read(40_000)
        #expect(rounds.endRound(now: 50 * ms) == 4_096_000)
        // Beyond 65 M ticks/s the shortest round is the floor.
        rounds.read(65_536)
        #expect(rounds.endRound(now: 50 * ms + 100_000) == ms)
    }

    @Test func atASteadyRateNoRoundBringsMoreThanAnEighthOfTheRing() {
        // Seeded walk over rates (1 tick/s … 50 M ticks/s) and round lengths: the next round at the
        // same rate brings at most capacity / 8 ticks, or is the shortest round.
        var seed: UInt64 = 0x5EED_23
        func next() -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return seed >> 11
        }
        let capacity = 65_536
        var rounds = IdleRounds(capacity: capacity, longest: 100 * ms, now: 0)
        var now: UInt64 = 0
        for trial in 0..<10_000 {
            let rate = Double(1 + next() % 50_000_000)  // ticks per second
            let elapsed = ms + next() % (200 * ms)
            now += elapsed
            rounds.read(Int((rate * Double(elapsed) / 1e9).rounded(.up)))
            let round = rounds.endRound(now: now)
            let brought = rate * Double(round) / 1e9
            #expect(round >= ms && round <= 100 * ms)
            #expect(brought <= Double(capacity / 8) + 1 || round == ms,
                    "seed 0x5EED_23 trial \(trial): \(rate) ticks/s, round \(round) ns brings \(brought)")
        }
    }
}

import Market
import Testing
@testable import KRX

/// The tick-size table since 2023-01-25 and the daily limits.
@Suite struct PriceGridTests {
    @Test func ticksPerBand() {
        let table: [(Int64, Int64)] = [(1, 1), (1_999, 1), (2_000, 5), (4_995, 5), (5_000, 10), (19_990, 10), (20_000, 50),
                                       (49_950, 50), (50_000, 100), (199_900, 100), (200_000, 500), (499_500, 500),
                                       (500_000, 1_000), (3_000_000, 1_000)]
        for (price, tick) in table { #expect(KRXPriceGrid.tick(at: price) == tick, "\(price)") }
        #expect(KRXPriceGrid.isOnGrid(71_000) && !KRXPriceGrid.isOnGrid(71_050) && KRXPriceGrid.isOnGrid(19_990))
        #expect(!KRXPriceGrid.isOnGrid(0) && !KRXPriceGrid.isOnGrid(-100))
    }

    /// Property: rounding lands on the grid on the right side, and tick steps walk the grid
    /// without skipping a grid price (checked against a brute-force scan).
    @Test func roundingAndStepsStayOnTheGrid() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<5_000 {
            let price = Int64.random(in: 1...2_000_000, using: &rng)
            let down = KRXPriceGrid.roundedDown(price), up = KRXPriceGrid.roundedUp(price)
            #expect(KRXPriceGrid.isOnGrid(down) && down <= price && KRXPriceGrid.isOnGrid(up) && up >= price, "seed \(seed): \(price)")
            #expect(noGridPrice(between: down, and: price), "seed \(seed): \(price) down")
            #expect(noGridPrice(between: price, and: up), "seed \(seed): \(price) up")
            #expect(KRXPriceGrid.tickDown(KRXPriceGrid.tickUp(down)) == down, "seed \(seed): \(down)")
            #expect(noGridPrice(between: down, and: KRXPriceGrid.tickUp(down)), "seed \(seed): \(down) step")
        }
    }

    /// Whether no grid price lies strictly between `a` and `b` (brute force).
    func noGridPrice(between a: Int64, and b: Int64) -> Bool {
        a + 1 >= b || !(a + 1..<b).contains(where: KRXPriceGrid.isOnGrid)
    }

    @Test func dailyLimitsAreThirtyPercentRoundedTowardTheBase() {
        #expect(KRXPriceGrid.limits(base: 70_000, percent: 30) == (91_000, 49_000))
        // 30 % of 71 300 is 21 390: 92 690 rounds down to 92 600, 49 910 up to 49 950.
        #expect(KRXPriceGrid.limits(base: 71_300, percent: 30) == (92_600, 49_950))
        #expect(KRXPriceGrid.limits(base: 1_000, percent: 30) == (1_300, 700))
        #expect(KRXPriceGrid.limitPercent(.kosdaq) == 30 && KRXPriceGrid.limitPercent(.konex) == 15)
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2_000 {
            let base = KRXPriceGrid.roundedDown(Int64.random(in: 100...1_500_000, using: &rng))
            let (upper, lower) = KRXPriceGrid.limits(base: base, percent: 30)
            #expect(KRXPriceGrid.isOnGrid(upper) && KRXPriceGrid.isOnGrid(lower))
            #expect(upper * 100 <= base * 130 && lower * 100 >= base * 70, "\(base): \(lower)…\(upper)")
            #expect(KRXPriceGrid.tickUp(upper) * 100 > base * 130 && KRXPriceGrid.tickDown(lower) * 100 < base * 70,
                    "\(base): the limits are the outermost grid prices inside ±30 %")
        }
    }
}

/// The ASCII number reads, against `Int64(String)`.
@Suite struct NumberReadingTests {
    /// Property: every width from 1 to 19 digits, signed and not, at every offset from 9, reads as
    /// the text says. Seeded.
    @Test func digitsOfEveryWidthRead() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<20_000 {
            let width = Int.random(in: 1...19, using: &rng)
            let negative = width > 1 && Bool.random(using: &rng)
            let digits = (0..<(negative ? width - 1 : width)).map { _ in UInt8.random(in: 0x30...0x39, using: &rng) }
            let text = (negative ? [0x2D] : []) + digits
            let offset = Int.random(in: 9...20, using: &rng)
            var record = [UInt8](repeating: 0x41, count: offset) + text + [UInt8](repeating: 0x42, count: 3)
            let expected = Int64(String(decoding: text, as: UTF8.self))
            let field = KRXField(offset, width)
            let read = record.withUnsafeMutableBytes { KRXRecordBytes(UnsafeRawPointer($0.baseAddress!)).signed(field) }
            if let expected, read != expected {
                Issue.record("seed \(seed): \(String(decoding: text, as: UTF8.self)) read as \(read)")
                return
            }
        }
    }
}

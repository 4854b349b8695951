import KRX
import Market
import Testing
@testable import KRXSimulator

/// The single price of a call auction.
@Suite struct SinglePriceAuctionTests {
    /// KRX's own worked examples (global.krx.co.kr, "Methods of auction").
    @Test func krxsExamples() {
        // One matching price: 600 shares at 7 830.
        let bids: [(price: Int64, quantity: Int64)] = [(7_850, 100), (7_840, 150), (7_830, 200), (7_830, 150), (7_820, 400),
                                                       (7_810, 500), (7_800, 650)]
        let asks: [(price: Int64, quantity: Int64)] = [(7_860, 450), (7_850, 750), (7_840, 300), (7_830, 150), (7_830, 200),
                                                       (7_830, 50), (7_820, 200), (7_810, 150)]
        #expect(SinglePriceAuction.uncross(bids: bids, asks: asks, reference: 7_700)?.price == 7_830)
        #expect(SinglePriceAuction.uncross(bids: bids, asks: asks, reference: 7_700)?.volume == 600)
        // Four matching prices 7 810…7 840 (300 shares each): the immediately preceding price 7 820
        // is one of them; else the closest to it (7 840 when it was 7 850).
        let bids2: [(price: Int64, quantity: Int64)] = [(7_850, 200), (7_840, 100)]
        let asks2: [(price: Int64, quantity: Int64)] = [(7_810, 100), (7_800, 200)]
        #expect(SinglePriceAuction.uncross(bids: bids2, asks: asks2, reference: 7_820) == KRXUncross(price: 7_820, volume: 300, imbalance: 0))
        #expect(SinglePriceAuction.uncross(bids: bids2, asks: asks2, reference: 7_850)?.price == 7_840)
        #expect(SinglePriceAuction.uncross(bids: bids2, asks: asks2, reference: 7_000)?.price == 7_810)
        // Nothing crosses.
        #expect(SinglePriceAuction.uncross(bids: [(100, 5)], asks: [(101, 5)], reference: 100) == nil)
        #expect(SinglePriceAuction.uncross(bids: [], asks: [(101, 5)], reference: 100) == nil)
    }

    /// Property: over random books, the uncross price executes the most of any grid price in the
    /// books' range (brute force: the sums recomputed from the orders at every grid price), and
    /// among the prices that execute that most it is the closest to the reference, then the one of
    /// least imbalance, then the lowest.
    @Test func theUncrossMaximisesExecutedVolume() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for round in 0..<400 {
            let center = KRXPriceGrid.roundedDown(Int64.random(in: 1_500...600_000, using: &rng))
            func price() -> Int64 {
                KRXPriceGrid.roundedDown(max(1, center + Int64.random(in: -center / 20...center / 20, using: &rng)))
            }
            let bids = (0..<Int.random(in: 1...12, using: &rng)).map { _ in (price: price(), quantity: Int64.random(in: 1...500, using: &rng)) }
            let asks = (0..<Int.random(in: 1...12, using: &rng)).map { _ in (price: price(), quantity: Int64.random(in: 1...500, using: &rng)) }
            let reference = price()
            let result = SinglePriceAuction.uncross(bids: bids, asks: asks, reference: reference)
            var best: (volume: Int64, distance: Int64, imbalance: Int64, price: Int64)?
            var p = KRXPriceGrid.roundedDown(min(bids.map(\.price).min()!, asks.map(\.price).min()!))
            let top = max(bids.map(\.price).max()!, asks.map(\.price).max()!)
            while p <= top {
                let demand = bids.filter { $0.price >= p }.reduce(0) { $0 + $1.quantity }
                let supply = asks.filter { $0.price <= p }.reduce(0) { $0 + $1.quantity }
                let candidate = (volume: min(demand, supply), distance: abs(p - reference), imbalance: abs(demand - supply), price: p)
                if let b = best {
                    if (candidate.volume, -candidate.distance, -candidate.imbalance, -candidate.price)
                        > (b.volume, -b.distance, -b.imbalance, -b.price) { best = candidate }
                } else {
                    best = candidate
                }
                p = KRXPriceGrid.tickUp(p)
            }
            guard let expected = best, expected.volume > 0 else {
                #expect(result == nil, "seed \(seed) round \(round): \(String(describing: result)) where nothing crosses")
                continue
            }
            if result != KRXUncross(price: expected.price, volume: expected.volume, imbalance: expected.imbalance) {
                Issue.record("seed \(seed) round \(round): uncross \(String(describing: result)), brute force \(expected) for bids \(bids) asks \(asks) reference \(reference)")
                return
            }
        }
    }
}

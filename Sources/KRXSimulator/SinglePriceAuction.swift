import KRX

/// What a single-price auction (call auction) executes: its price, the volume executed there, and
/// the imbalance left at that price.
public struct KRXUncross: Sendable, Equatable {
    /// The single price (on the grid).
    public var price: Int64
    /// Shares executed: min(bids at or above the price, asks at or below it).
    public var volume: Int64
    /// |bids at or above − asks at or below| at the price: what stays unfilled on the heavier side.
    public var imbalance: Int64
}

/// The single price of a call auction (opening, closing, after a VI or a halt), as KRX's trading
/// rules describe it (global.krx.co.kr, "Methods of auction" and "Price determination in single
/// price auction"): the price that executes the most — every bid above it and every ask below it in
/// full, one side at it in full. When several prices execute that most, KRX takes the one equal or
/// closest to the immediately preceding price (`reference`: the base price at the open, the last
/// trade after it). Where two are equally close, the smaller imbalance wins, then the lower price.
///
/// The README of the specs folder lists "minimum imbalance" before "closeness to the base price";
/// KRX's own page names only closeness for several matching prices, so closeness comes first here
/// and the imbalance only breaks an exact tie (docs/krx.md).
public enum SinglePriceAuction {
    /// The uncross of `bids` and `asks` (price, quantity; any order, quantities > 0), or `nil` when
    /// nothing crosses. Every grid price from the lowest to the highest order price is a candidate
    /// (the executed volume is constant between order prices, so the closest price to the
    /// reference may lie between two of them).
    public static func uncross(bids: [(price: Int64, quantity: Int64)], asks: [(price: Int64, quantity: Int64)],
                               reference: Int64) -> KRXUncross? {
        guard let highestBid = bids.map(\.price).max(), let lowestAsk = asks.map(\.price).min(),
              highestBid >= lowestAsk else { return nil }
        let sortedBids = bids.sorted { $0.price > $1.price }  // walk down: demand at or above p
        let sortedAsks = asks.sorted { $0.price < $1.price }  // walk up: supply at or below p
        // Only prices in [lowest ask, highest bid] can execute anything.
        var best: KRXUncross?
        var bestDistance = Int64.max
        var supply: Int64 = 0
        var nextAsk = 0
        var demand = sortedBids.reduce(0) { $0 + $1.quantity }
        var nextBid = sortedBids.count - 1  // bids below p drop out as p rises
        var price = KRXPriceGrid.roundedUp(lowestAsk)
        while price <= highestBid {
            while nextAsk < sortedAsks.count, sortedAsks[nextAsk].price <= price {
                supply += sortedAsks[nextAsk].quantity
                nextAsk += 1
            }
            while nextBid >= 0, sortedBids[nextBid].price < price {
                demand -= sortedBids[nextBid].quantity
                nextBid -= 1
            }
            let candidate = KRXUncross(price: price, volume: min(demand, supply), imbalance: abs(demand - supply))
            let distance = abs(price - reference)
            if let current = best {
                if candidate.volume > current.volume
                    || (candidate.volume == current.volume
                        && (distance < bestDistance || (distance == bestDistance && candidate.imbalance < current.imbalance))) {
                    best = candidate
                    bestDistance = distance
                }
            } else {
                best = candidate
                bestDistance = distance
            }
            price = KRXPriceGrid.tickUp(price)
        }
        guard let result = best, result.volume > 0 else { return nil }
        return result
    }
}

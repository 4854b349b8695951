import Market

/// A summary of one instrument's state, for tools, snapshots and tests.
public struct InstrumentSummary: Sendable, Equatable {
    public var locate: UInt16
    public var symbol: Symbol
    public var status: TradingStatus
    /// Sequence number of the last tick produced.
    public var seq: UInt64
    /// Best bid and ask, `nil` when that side is empty.
    public var bestBid: PriceLevel?
    public var bestAsk: PriceLevel?
    /// Price levels and resting orders per side.
    public var bidLevels: Int
    public var askLevels: Int
    /// Last trade (`nil` until the instrument traded) and cumulative volume.
    public var last: PriceLevel?
    public var volume: UInt64
    /// Messages applied to this instrument.
    public var messages: UInt64
}

extension BookEngine {
    /// Counters of everything seen and refused so far.
    public var statistics: BookStatistics {
        var s = stats
        for t in 0..<256 { s.byType[t] = typeCounts[t] }
        return s
    }

    /// Orders resting across all books.
    public var restingOrders: Int { orders.count }

    /// Locates of every instrument seen, in order of first sight.
    public var locates: [UInt16] { knownLocates }

    /// The locate of `symbol`, if an instrument has that symbol.
    public func locate(of symbol: Symbol) -> UInt16? { symbolIndex[symbol] }

    /// A summary of the instrument at `locate`, `nil` if never seen.
    public func summary(locate: UInt16) -> InstrumentSummary? {
        guard isKnown(locate) else { return nil }
        let b = books[Int(locate)]
        func best(_ ladder: PriceLadder) -> PriceLevel? {
            ladder.level(atDepth: 0).map { PriceLevel(price: $0.price, size: UInt32(clamping: $0.shares)) }
        }
        return InstrumentSummary(
            locate: locate, symbol: b.symbol, status: b.status, seq: b.seq,
            bestBid: best(b.bids), bestAsk: best(b.asks), bidLevels: b.bids.count, askLevels: b.asks.count,
            last: b.hasTraded ? PriceLevel(price: b.lastPrice, size: b.lastSize) : nil,
            volume: b.volume, messages: b.messages)
    }

    /// Every level of one side, best first: (price, shares, orders). For tests and tools.
    public func levels(locate: UInt16, buy: Bool) -> [(price: UInt32, shares: UInt64, orders: UInt32)] {
        guard isKnown(locate) else { return [] }
        let b = books[Int(locate)]
        let ladder = buy ? b.bids : b.asks
        return (0..<ladder.count).compactMap { ladder.level(atDepth: $0) }
    }

    /// Fills `tick` with a snapshot of the instrument: a quote of its current top levels carrying its
    /// last sequence number, status, last trade and volume (the sequence is not advanced).
    /// Returns `false` when the locate was never seen.
    public func snapshot(locate: UInt16, into tick: inout Tick) -> Bool {
        guard isKnown(locate) else { return false }
        let book = books + Int(locate)
        tick = Tick()
        tick.symbol = book.pointee.symbol
        tick.seq = book.pointee.seq
        tick.timestamp = book.pointee.lastTimestamp
        tick.volume = book.pointee.volume
        tick.tradePrice = book.pointee.lastPrice
        tick.tradeSize = book.pointee.lastSize
        tick.locate = locate
        tick.kind = .quote
        tick.status = book.pointee.status
        tick.bidCount = UInt8(book.pointee.bids.writeTop(into: &tick.bids))
        tick.askCount = UInt8(book.pointee.asks.writeTop(into: &tick.asks))
        return true
    }

    /// Whether the instrument at `locate` has traded.
    public func hasTraded(locate: UInt16) -> Bool { isKnown(locate) && books[Int(locate)].hasTraded }

    /// Checks every internal invariant (ladders sorted, level aggregates equal to the resting orders,
    /// order table consistent). For tests and fuzzing; O(orders). Returns a description of the first
    /// violation, or nil.
    public func checkInvariants() -> String? {
        var expected: [UInt64: (shares: UInt64, orders: UInt32)] = [:]  // key: locate<<33 | buy<<32 | price
        var counted = 0
        var problem: String?
        orders.forEach { o in
            counted += 1
            if o.shares == 0 && problem == nil { problem = "order \(o.reference) rests with 0 shares" }
            let key = UInt64(o.locate) << 33 | (o.isBuy ? 1 << 32 : 0) | UInt64(o.price)
            expected[key, default: (0, 0)].shares += UInt64(o.shares)
            expected[key, default: (0, 0)].orders += 1
        }
        if let problem { return problem }
        if counted != orders.count { return "order table count \(orders.count) != \(counted) live entries" }
        var seenLevels = 0
        for locate in knownLocates {
            for buy in [true, false] {
                let ladder = buy ? books[Int(locate)].bids : books[Int(locate)].asks
                var top = InlineArray<10, PriceLevel>(repeating: .empty)
                _ = ladder.writeTop(into: &top)
                for d in 0..<10 {
                    let expected = ladder.level(atDepth: d).map {
                        PriceLevel(price: $0.price, size: PriceLadder.saturated($0.shares))
                    } ?? .empty
                    if top[d] != expected {
                        return "locate \(locate) \(buy ? "bid" : "ask") cached top level \(d) is \(top[d]), not \(expected)"
                    }
                }
                var previous: UInt32?
                for d in 0..<ladder.count {
                    let l = ladder.level(atDepth: d)!
                    if let p = previous, buy ? !(l.price < p) : !(l.price > p) {
                        return "locate \(locate) \(buy ? "bid" : "ask") levels not strictly best-first at depth \(d)"
                    }
                    previous = l.price
                    let key = UInt64(locate) << 33 | (buy ? 1 << 32 : 0) | UInt64(l.price)
                    guard let e = expected[key] else { return "locate \(locate) level \(l.price) has no orders" }
                    if e.shares != l.shares || e.orders != l.orders {
                        return "locate \(locate) level \(l.price): \(l.shares)/\(l.orders) != orders' \(e.shares)/\(e.orders)"
                    }
                    seenLevels += 1
                }
            }
        }
        if seenLevels != expected.count { return "\(expected.count - seenLevels) order prices have no level" }
        return nil
    }
}

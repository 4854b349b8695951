import KRX

/// One side of the simulator's book: aggregated quantity per price, best first. Bounded: beyond
/// `maxLevels` the price farthest from the best is dropped (the simulator's books rarely hold
/// more than 30 levels).
struct BookSide: Sendable {
    /// True for bids (best = highest), false for asks (best = lowest).
    let isBid: Bool
    /// Levels, best first: strictly decreasing prices for bids, increasing for asks.
    private(set) var levels: [(price: Int64, quantity: Int64)] = []
    static let maxLevels = 64

    init(isBid: Bool) { self.isBid = isBid }

    var best: Int64? { levels.first?.price }
    var total: Int64 { levels.reduce(0) { $0 + $1.quantity } }
    var isEmpty: Bool { levels.isEmpty }

    /// Whether `a` is a better price than `b` on this side.
    func isBetter(_ a: Int64, than b: Int64) -> Bool { isBid ? a > b : a < b }

    /// Adds `quantity` at `price`.
    mutating func add(_ price: Int64, _ quantity: Int64) {
        var i = 0
        while i < levels.count, isBetter(levels[i].price, than: price) { i += 1 }
        if i < levels.count, levels[i].price == price {
            levels[i].quantity += quantity
        } else {
            levels.insert((price, quantity), at: i)
            if levels.count > BookSide.maxLevels { levels.removeLast() }
        }
    }

    /// Takes up to `quantity` from the level at `index`, removing it when empty; returns what it took.
    @discardableResult
    mutating func take(_ quantity: Int64, at index: Int) -> Int64 {
        let taken = min(quantity, levels[index].quantity)
        levels[index].quantity -= taken
        if levels[index].quantity == 0 { levels.remove(at: index) }
        return taken
    }

    /// Removes every level.
    mutating func removeAll() { levels.removeAll(keepingCapacity: true) }

    /// Executes `volume` shares against the levels at `price` or better, best first (an uncross).
    mutating func execute(_ volume: Int64, atOrBetterThan price: Int64) {
        var left = volume
        while left > 0, let first = levels.first, !isBetter(price, than: first.price) {
            left -= take(left, at: 0)
        }
    }
}

/// The simulator's book of one instrument: bids and asks as aggregated levels. In continuous trading
/// they never cross; during a single-price auction they may, and `uncross` says where they meet.
struct SimulatedBook: Sendable {
    var bids = BookSide(isBid: true)
    var asks = BookSide(isBid: false)

    /// The auction's result over the whole book, `nil` when nothing crosses.
    func uncross(reference: Int64) -> KRXUncross? {
        SinglePriceAuction.uncross(bids: bids.levels, asks: asks.levels, reference: reference)
    }

    /// Executes an uncross: `result.volume` shares off each side at `result.price` or better.
    mutating func apply(_ result: KRXUncross) {
        bids.execute(result.volume, atOrBetterThan: result.price)
        asks.execute(result.volume, atOrBetterThan: result.price)
    }

    /// The best 10 levels of each side as a quote's levels (0 for a level with no orders).
    var topLevels: [KRXQuoteLevel] {
        (0..<QuoteRecord.Layout.levelCount).map { i in
            let ask = i < asks.levels.count ? asks.levels[i] : (0, 0)
            let bid = i < bids.levels.count ? bids.levels[i] : (0, 0)
            return KRXQuoteLevel(askPrice: ask.0, bidPrice: bid.0, askQuantity: ask.1, bidQuantity: bid.1)
        }
    }
}

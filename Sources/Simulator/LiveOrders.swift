import Market

/// The simulator's own record of its resting orders, so that every delete, cancel, replace and
/// execution it writes names an order that is live, with no more shares than remain.
///
/// Layout: one fixed-capacity slab of 16-byte `LiveOrder`s per book side (`slot = instrumentIndex *
/// 2 + side`, side 0 = bid, 1 = ask), so touching an order is one cache line. Orders are appended and
/// removed by swapping the last one into the hole, so the hot path never allocates, never hashes,
/// and the most recently added orders sit near the end of a slab (where quote-flickering deletes
/// look for them). Storage is reference-counted and copied on write by `OrderFlowSimulator`.
final class LiveOrders {
    /// Most live orders one side of one book holds; adds beyond it become deletes. The depth feedback
    /// keeps a side near `InstrumentModel.targetPerSide` (≤ 90), so this is never the binding limit
    /// in practice.
    static let capacityPerSide = 256

    /// Number of slabs: two per instrument.
    let slots: Int
    /// The orders, `slots × capacityPerSide`; slot `s` uses the first `sides[s].count` of its slab.
    let orders: UnsafeMutablePointer<LiveOrder>
    /// Per-slot count and best price.
    let sides: UnsafeMutablePointer<SideSummary>
    /// Per-instrument market model.
    let models: UnsafeMutablePointer<InstrumentModel>
    /// Alias table of instrument activity weights (see `OrderFlowSimulator.aliasTable`): busy names
    /// trade far more than quiet ones.
    let activity: UnsafeMutablePointer<UInt64>

    init(models source: [InstrumentModel], activity weights: [UInt64]) {
        slots = source.count * 2
        let cells = slots * Self.capacityPerSide
        orders = .allocate(capacity: cells)
        sides = .allocate(capacity: slots)
        sides.initialize(repeating: SideSummary(), count: slots)
        models = .allocate(capacity: source.count)
        models.initialize(from: source, count: source.count)
        activity = .allocate(capacity: source.count)
        activity.initialize(from: weights, count: weights.count)
    }

    /// A deep copy, for copy-on-write.
    init(copying other: LiveOrders) {
        slots = other.slots
        let instruments = slots / 2
        let cells = slots * Self.capacityPerSide
        orders = .allocate(capacity: cells)
        for slot in 0..<slots {
            let base = slot * Self.capacityPerSide
            (orders + base).initialize(from: other.orders + base, count: Int(other.sides[slot].count))
        }
        sides = .allocate(capacity: slots)
        sides.initialize(from: other.sides, count: slots)
        models = .allocate(capacity: instruments)
        models.initialize(from: other.models, count: instruments)
        activity = .allocate(capacity: instruments)
        activity.initialize(from: other.activity, count: instruments)
    }

    deinit {
        orders.deallocate()
        sides.deallocate()
        models.deallocate()
        activity.deallocate()
    }

    /// Is `price` better than `than` for this side (higher for bids, lower for asks)?
    @inline(__always) static func better(_ price: UInt32, than: UInt32, bid: Bool) -> Bool {
        bid ? price > than : price < than
    }

    /// Appends an order to `slot`. Requires room (`count < capacityPerSide`).
    @inline(__always)
    func add(slot: Int, reference: UInt64, price: UInt32, shares qty: UInt32) {
        let summary = sides + slot
        let i = slot &* Self.capacityPerSide &+ Int(summary.pointee.count)
        orders[i] = LiveOrder(reference: reference, price: price, shares: qty)
        summary.pointee.count &+= 1
        if summary.pointee.count == 1 || Self.better(price, than: summary.pointee.best, bid: slot & 1 == 0) {
            summary.pointee.best = price
            summary.pointee.atBest = 1
        } else if price == summary.pointee.best {
            summary.pointee.atBest &+= 1
        }
    }

    /// Removes the order at `index` of `slot` (swap-remove), keeping the best price up to date.
    @inline(__always)
    func remove(slot: Int, index: Int) {
        let summary = sides + slot
        let base = slot &* Self.capacityPerSide
        let i = base &+ index
        let last = base &+ Int(summary.pointee.count) &- 1
        let price = orders[i].price
        orders[i] = orders[last]
        summary.pointee.count &-= 1
        if price == summary.pointee.best {
            summary.pointee.atBest &-= 1
            if summary.pointee.atBest == 0 { rescanBest(slot: slot) }
        }
    }

    /// Recomputes the best price of `slot` from its orders (when the last order at the best went).
    func rescanBest(slot: Int) {
        let summary = sides + slot
        let n = Int(summary.pointee.count)
        guard n > 0 else {
            summary.pointee.best = 0
            summary.pointee.atBest = 0
            return
        }
        let p = orders + slot &* Self.capacityPerSide
        let bid = slot & 1 == 0
        var best = p[0].price
        var atBest: Int32 = 1
        for i in 1..<n {
            let price = p[i].price
            if price == best {
                atBest &+= 1
            } else if Self.better(price, than: best, bid: bid) {
                best = price
                atBest = 1
            }
        }
        summary.pointee.best = best
        summary.pointee.atBest = atBest
    }

    /// Index of the order first in line at the best price of `slot` (lowest reference: time
    /// priority). Requires a non-empty side.
    func firstAtBest(slot: Int) -> Int {
        let summary = sides[slot]
        let base = slot &* Self.capacityPerSide
        var found = -1
        var lowest = UInt64.max
        for i in 0..<Int(summary.count) where orders[base &+ i].price == summary.best {
            let reference = orders[base &+ i].reference
            if reference < lowest {
                lowest = reference
                found = i
            }
        }
        return found
    }
}

/// One resting order as the simulator remembers it.
struct LiveOrder {
    /// Its order reference number.
    var reference: UInt64
    /// Price in ticks of $0.01.
    var price: UInt32
    /// Shares remaining.
    var shares: UInt32
}

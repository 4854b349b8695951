import Market

/// One aggregated price level of a ladder.
struct LadderLevel {
    /// The price transformed so that a higher key is always a better price (see `PriceLadder`).
    var key: UInt32
    /// Number of resting orders at this price.
    var orders: UInt32
    /// Total displayed shares at this price.
    var shares: UInt64
}

/// One side of an instrument's book: its price levels sorted so that the best one is last.
///
/// Keys: bids use the price itself, asks use its bitwise complement, so on both sides a greater key is
/// a better price and the array is ascending by key with the best level at `count - 1`. Putting the
/// best end last makes the common case cheap: activity clusters near the touch, so searches start
/// there and inserts/removals near the top move only a few levels.
///
/// The best `Tick.depth` levels are also kept, in tick form, in `top`, updated incrementally by every
/// change (a size change rewrites one entry, a new or removed level shifts the entries below it), so
/// a quote copies 80 contiguous bytes per side instead of gathering levels.
///
/// Invariants: `top[i]` is the level at depth `i` for `i < min(count, 10)` and `.empty` beyond;
/// `levels[0..<count]` strictly ascending by key; every level has `orders > 0` and
/// `shares > 0` is not required (an order may rest with 0 displayed shares only transiently — the
/// engine removes emptied orders, so in practice shares > 0); `count <= capacity`.
struct PriceLadder {
    // Laid out in 101 bytes (see `InstrumentBook`): a 32-bit capacity (a side of more than 2^31
    // price levels cannot be allocated anyway) and the flag at the end.
    private(set) var levels: UnsafeMutablePointer<LadderLevel>?
    private(set) var count = 0
    /// The best levels, best first, as a quote carries them.
    private(set) var top = InlineArray<10, PriceLevel>(repeating: .empty)
    private var capacity: Int32 = 0
    /// `true` for the ask side (keys are complemented prices).
    let isAsk: Bool

    init(isAsk: Bool) { self.isAsk = isAsk }

    /// Frees the storage. A ladder must be released exactly once by its owner.
    mutating func release() {
        levels?.deallocate()
        levels = nil
        count = 0
        capacity = 0
    }

    @inline(__always) func key(for price: UInt32) -> UInt32 { isAsk ? ~price : price }
    @inline(__always) func price(of key: UInt32) -> UInt32 { isAsk ? ~key : key }

    /// Depth (0 = best) of the level at array index `index`.
    @inline(__always) func depth(ofIndex index: Int) -> Int { count &- 1 &- index }

    /// Levels the search scans linearly from the best end before it binary-searches the rest. A scan
    /// step costs about a cycle and a half when its branch is predicted, and only the step that stops
    /// is mispredicted; each binary step is mispredicted half the time. So scanning beats bisecting
    /// through a few dozen levels: 32 against 8 measured +4.5 % on itch.book (4 of 4 interleaved
    /// pairs), 16 in between, 64 no better than 32. (A branch-free bisection was slower still: it
    /// makes every step wait for the previous load.)
    static let linearSearchLevels = 32

    /// Searches for `key`: returns the index where it is, or where it would be inserted, and whether
    /// it was found. Scans linearly from the best end, then binary-searches below.
    @inline(__always) func search(_ key: UInt32) -> (index: Int, found: Bool) {
        guard let levels else { return (0, false) }
        var i = count &- 1
        let stop = Swift.max(count &- Self.linearSearchLevels, 0)
        while i >= stop {
            // One branch per step: stop at the first key not greater, then tell equal from less.
            let k = levels[i].key
            if k <= key { return k == key ? (i, true) : (i &+ 1, false) }
            i &-= 1
        }
        // Every key in [stop, count) is greater than `key`: binary search [0, stop).
        var lo = 0
        var hi = stop
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            let k = levels[mid].key
            if k == key { return (mid, true) }
            if k < key { lo = mid &+ 1 } else { hi = mid }
        }
        return (lo, false)
    }

    /// Adds `shares` of one new order at `price`; returns the level's depth after the change, or
    /// `Int.max` when nothing visible changed (0 shares joining an existing level).
    @inline(__always) mutating func add(price: UInt32, shares: UInt32) -> Int {
        let key = key(for: price)
        let (index, found) = search(key)
        if found {
            levels![index].orders &+= 1
            levels![index].shares &+= UInt64(shares)
            guard shares != 0 else { return Int.max }
            let depth = count &- 1 &- index
            if depth < 10 { top[depth].size = Self.saturated(levels![index].shares) }
            return depth
        }
        insert(LadderLevel(key: key, orders: 1, shares: UInt64(shares)), at: index)
        let depth = count &- 1 &- index
        if depth < 10 {
            // Everything from `depth` down moves one deeper; the old 10th falls off.
            var j = 9
            while j > depth { top[j] = top[j &- 1]; j &-= 1 }
            top[depth] = PriceLevel(price: price, size: Self.saturated(UInt64(shares)))
        }
        return depth
    }

    /// Removes `shares` (and one order when `removesOrder`) at `price`; drops the level when it holds
    /// no more orders. Returns the depth the level had (`Int.max` when its price and size did not
    /// change), or -1 when no level has that price (a book inconsistency the caller counts).
    @inline(__always) mutating func remove(price: UInt32, shares: UInt32, removesOrder: Bool) -> Int {
        let key = key(for: price)
        let (index, found) = search(key)
        guard found else { return -1 }
        let depth = count &- 1 &- index
        let level = levels! + index
        let s = UInt64(shares)
        level.pointee.shares = level.pointee.shares >= s ? level.pointee.shares &- s : 0
        if removesOrder { level.pointee.orders &-= 1 }
        if level.pointee.orders == 0 {
            removeLevel(at: index)
            if depth < 10 {
                // Everything below `depth` moves one up; the new 10th (if any) comes from the array.
                var j = depth
                while j < 9 { top[j] = top[j &+ 1]; j &+= 1 }
                if count >= 10 {
                    let l = levels![count &- 10]
                    top[9] = PriceLevel(price: self.price(of: l.key), size: Self.saturated(l.shares))
                } else {
                    top[9] = .empty
                }
            }
            return depth
        }
        guard s != 0 else { return Int.max }
        if depth < 10 { top[depth].size = Self.saturated(level.pointee.shares) }
        return depth
    }

    private mutating func insert(_ level: LadderLevel, at index: Int) {
        if count == Int(capacity) { grow() }
        let base = levels!
        if index < count { (base + index + 1).update(from: base + index, count: count - index) }
        base[index] = level
        count &+= 1
    }

    private mutating func removeLevel(at index: Int) {
        let base = levels!
        if index < count - 1 { (base + index).update(from: base + index + 1, count: count - 1 - index) }
        count &-= 1
    }

    private mutating func grow() {
        let newCapacity = Swift.max(16, Int(capacity) * 2)
        let fresh = UnsafeMutablePointer<LadderLevel>.allocate(capacity: newCapacity)
        if let levels {
            fresh.moveInitialize(from: levels, count: count)
            levels.deallocate()
        }
        levels = fresh
        capacity = Int32(newCapacity)
    }

    /// Shares as a quote carries them: saturated at `UInt32.max`.
    @inline(__always) static func saturated(_ shares: UInt64) -> UInt32 {
        shares > UInt64(UInt32.max) ? UInt32.max : UInt32(truncatingIfNeeded: shares)
    }

    /// Copies the best levels into `out` (best first, the rest `.empty`); returns how many are valid.
    @inline(__always) func writeTop(into out: inout InlineArray<10, PriceLevel>) -> Int {
        out = top
        return Swift.min(count, 10)
    }

    /// The level at depth `depth` (0 = best) as (price, shares, orders), or nil past the end.
    func level(atDepth depth: Int) -> (price: UInt32, shares: UInt64, orders: UInt32)? {
        guard depth >= 0, depth < count, let levels else { return nil }
        let l = levels[count - 1 - depth]
        return (price(of: l.key), l.shares, l.orders)
    }
}

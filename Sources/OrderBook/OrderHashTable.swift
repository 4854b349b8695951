/// Order reference → resting order, as an open-addressing hash table with linear probing and
/// backward-shift deletion (no tombstones, so a table that sees a whole day of adds and deletes never
/// degrades).
///
/// Invariants: `capacity` is a power of two; `count <= capacity / 2` (grown before it would pass);
/// every live entry sits in the probe run that starts at its home slot with no empty slot between;
/// reference 0 is never stored (ITCH never assigns it to a displayed order), nor any above
/// `RestingOrder.maxReference`.
struct OrderHashTable: ~Copyable {
    private var slots: UnsafeMutablePointer<RestingOrder>
    private(set) var capacity: Int
    private var mask: Int
    private var shift: UInt64
    private(set) var count = 0
    /// The most orders the table will hold; adds past it are refused.
    let limit: Int

    init(initialCapacity: Int = 1 << 16, limit: Int) {
        var cap = 16
        while cap < initialCapacity { cap <<= 1 }
        capacity = cap
        mask = cap - 1
        shift = Self.hashShift(capacity: cap)
        slots = .allocate(capacity: cap)
        slots.initialize(repeating: .empty, count: cap)
        self.limit = limit
    }

    deinit { slots.deallocate() }

    /// Right shift that keeps as many hash bits as the table has index bits.
    private static func hashShift(capacity: Int) -> UInt64 {
        UInt64(64 - capacity.trailingZeroBitCount)
    }

    /// Home slot of a reference: Fibonacci hashing. ITCH references rise through the day; the
    /// multiply spreads any run of them evenly, so probe runs stay short at load ≤ 1/2 and a
    /// backward-shift delete scans only a few slots. (Keeping runs of references in neighbouring
    /// slots, for cache locality, was tried: runs of live references then form long clusters, and a
    /// backward-shift delete must scan to the end of its cluster; it was no faster here.)
    @inline(__always) private func home(_ reference: UInt64) -> Int {
        Int(truncatingIfNeeded: (reference &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Address of the home slot of `reference`, for a prefetch ahead of `find` or `insert`.
    @inline(__always) func homeAddress(_ reference: UInt64) -> UnsafeRawPointer {
        UnsafeRawPointer(slots + home(reference))
    }

    /// The slot index holding `reference`, or nil.
    @inline(__always) func find(_ reference: UInt64) -> Int? {
        var i = home(reference)
        while true {
            let k = slots[i].key
            // Empty first: an empty slot's reference bits are 0 too, so `find(0)` must not match it.
            if k == 0 { return nil }
            if k & RestingOrder.maxReference == reference { return i }
            i = (i &+ 1) & mask
        }
    }

    /// The order in slot `index` (from `find`).
    @inline(__always) subscript(index: Int) -> RestingOrder {
        get { slots[index] }
        nonmutating _modify { yield &slots[index] }
    }

    /// Result of an insert.
    enum InsertResult { case inserted, duplicate, full, outOfRange }

    /// Inserts an order unless its reference is 0 or above `RestingOrder.maxReference`, already
    /// present, or the table is at its limit.
    @inline(__always) mutating func insert(reference: UInt64, price: UInt32, shares: UInt32, locate: UInt16,
                                           isBuy: Bool) -> InsertResult {
        guard reference <= RestingOrder.maxReference else { return .outOfRange }
        if count >= limit { return .full }
        if count &+ 1 > (capacity >> 2) &* 3 { grow() }
        let order = RestingOrder(reference: reference, price: price, shares: shares, locate: locate, isBuy: isBuy)
        var i = home(reference)
        while true {
            let k = slots[i].key
            if k == 0 { break }
            if k & RestingOrder.maxReference == reference { return .duplicate }
            i = (i &+ 1) & mask
        }
        slots[i] = order
        count &+= 1
        return .inserted
    }

    /// Removes the entry in slot `index`, shifting later members of its probe run back so lookups
    /// still find them without tombstones.
    @inline(__always) mutating func remove(at index: Int) {
        var hole = index
        var j = index
        while true {
            j = (j &+ 1) & mask
            let k = slots[j].key
            if k == 0 { break }
            let h = home(k & RestingOrder.maxReference)
            // Move j into the hole when its home is not cyclically inside (hole, j].
            let distanceToHome = (j &- h) & mask
            let distanceToHole = (j &- hole) & mask
            if distanceToHome >= distanceToHole {
                slots[hole] = slots[j]
                hole = j
            }
        }
        slots[hole].key = 0
        count &-= 1
    }

    private mutating func grow() {
        let old = slots
        let oldCapacity = capacity
        capacity <<= 1
        mask = capacity - 1
        shift = Self.hashShift(capacity: capacity)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: .empty, count: capacity)
        for k in 0..<oldCapacity where old[k].key != 0 {
            var i = home(old[k].reference)
            while slots[i].key != 0 { i = (i &+ 1) & mask }
            slots[i] = old[k]
        }
        old.deallocate()
    }

    /// Calls `body` with every live order (unordered). For tests and snapshots.
    func forEach(_ body: (RestingOrder) -> Void) {
        for k in 0..<capacity where slots[k].key != 0 { body(slots[k]) }
    }
}

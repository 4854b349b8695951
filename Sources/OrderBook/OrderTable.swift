/// One resting order as the book remembers it.
struct RestingOrder {
    /// The order reference number; 0 marks an empty table slot.
    var reference: UInt64
    /// Price (`Price(4)`).
    var price: UInt32
    /// Shares still displayed.
    var shares: UInt32
    /// Stock locate of the order's instrument.
    var locate: UInt16
    /// `true` for a buy order.
    var isBuy: Bool
}

/// Order reference → resting order, as an open-addressing hash table with linear probing and
/// backward-shift deletion (no tombstones, so a table that sees a whole day of adds and deletes never
/// degrades).
///
/// Invariants: `capacity` is a power of two; `count <= capacity / 2` (grown before it would pass);
/// every live entry sits in the probe run that starts at its home slot with no empty slot between;
/// reference 0 is never stored (ITCH never assigns it to a displayed order).
struct OrderTable: ~Copyable {
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
        shift = Self.blockShift(capacity: cap)
        slots = .allocate(capacity: cap)
        slots.initialize(repeating: RestingOrder(reference: 0, price: 0, shares: 0, locate: 0, isBuy: false),
                         count: cap)
        self.limit = limit
    }

    deinit { slots.deallocate() }

    /// Right shift that leaves as many hash bits as there are 1024-slot blocks (≥ 64 while the table
    /// is smaller than one block: Swift's `>>` then yields 0).
    private static func blockShift(capacity: Int) -> UInt64 {
        UInt64(64 - capacity.trailingZeroBitCount + 10)
    }

    /// Home slot of a reference. ITCH references rise through the day, and an order is most often
    /// touched soon after it was added, so the low 10 bits pick the slot inside a block of 1024
    /// neighbours (recent orders share cache lines and pages) while a Fibonacci hash of the higher
    /// bits scatters the blocks over the table (so no pattern of references can pile more than 1024
    /// keys into one block's home range).
    @inline(__always) private func home(_ reference: UInt64) -> Int {
        let block = (reference >> 10) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: (block >> shift) << 10 | (reference & 1023)) & mask
    }

    /// The slot index holding `reference`, or nil.
    @inline(__always) func find(_ reference: UInt64) -> Int? {
        var i = home(reference)
        while true {
            let r = slots[i].reference
            if r == reference { return i }
            if r == 0 { return nil }
            i = (i &+ 1) & mask
        }
    }

    /// The order in slot `index` (from `find`).
    @inline(__always) subscript(index: Int) -> RestingOrder {
        get { slots[index] }
        nonmutating _modify { yield &slots[index] }
    }

    /// Result of an insert.
    enum InsertResult { case inserted, duplicate, full }

    /// Inserts `order` unless its reference is already present or the table is at its limit.
    @inline(__always) mutating func insert(_ order: RestingOrder) -> InsertResult {
        if count >= limit { return .full }
        if count &+ 1 > capacity >> 1 { grow() }
        var i = home(order.reference)
        while true {
            let r = slots[i].reference
            if r == 0 { break }
            if r == order.reference { return .duplicate }
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
            let r = slots[j].reference
            if r == 0 { break }
            let h = home(r)
            // Move j into the hole when its home is not cyclically inside (hole, j].
            let distanceToHome = (j &- h) & mask
            let distanceToHole = (j &- hole) & mask
            if distanceToHome >= distanceToHole {
                slots[hole] = slots[j]
                hole = j
            }
        }
        slots[hole].reference = 0
        count &-= 1
    }

    private mutating func grow() {
        let old = slots
        let oldCapacity = capacity
        capacity <<= 1
        mask = capacity - 1
        shift = Self.blockShift(capacity: capacity)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: RestingOrder(reference: 0, price: 0, shares: 0, locate: 0, isBuy: false),
                         count: capacity)
        for k in 0..<oldCapacity where old[k].reference != 0 {
            var i = home(old[k].reference)
            while slots[i].reference != 0 { i = (i &+ 1) & mask }
            slots[i] = old[k]
        }
        old.deallocate()
    }

    /// Calls `body` with every live order (unordered). For tests and snapshots.
    func forEach(_ body: (RestingOrder) -> Void) {
        for k in 0..<capacity where slots[k].reference != 0 { body(slots[k]) }
    }
}

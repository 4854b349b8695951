/// Every resting order of the feed, by reference: a direct-mapped window for the recent ones and a
/// hash table for the rest.
///
/// ITCH references rise through the day, and most orders are touched (executed, cancelled, replaced)
/// soon after they were added. So an order first lands in the window, at slot `reference mod
/// windowSize`: one load finds it, neighbours in time are neighbours in memory, a delete just clears
/// the slot, and nothing ever probes or shifts. When a newer reference needs an occupied slot, the
/// older order there moves to `overflow`, an open-addressing hash table (Fibonacci-hashed, linear
/// probing, backward-shift deletes) that holds the long-lived orders. No pattern of references can
/// degrade it: colliding references just spill into the hash table.
///
/// Invariants: a reference is in at most one of the two; `window[i]`, when not empty, holds a
/// reference `r` with `r mod windowSize == i`; `count == windowCount + overflow.count <= limit`.
/// Handles returned by `find` are window slots (`0..<windowSize`) or `windowSize + overflow slot`,
/// valid until the next insert or remove.
struct OrderTable: ~Copyable {
    /// Window slots, in zeroed anonymous memory (untouched pages cost nothing until used).
    private let window: UnsafeMutablePointer<RestingOrder>
    /// The mapping behind `window`, unmapped by `deinit`.
    private let windowMapping: ZeroedMapping
    private let windowSize: Int
    private let windowMask: Int
    private var windowCount = 0
    private var overflow: OrderHashTable
    /// The highest reference ever inserted. ITCH references rise through the day, so nearly every add
    /// is above it and cannot be a duplicate: its hash-table probe (a cache miss) is skipped.
    /// Invariant: every resident reference is `<= highestReference`.
    private var highestReference: UInt64 = 0
    /// The most orders the table will hold; adds past it are refused.
    let limit: Int

    /// A table with a window of `2^windowBits` slots and a hash table starting at `initialCapacity`.
    init(initialCapacity: Int = 1 << 12, windowBits: Int = 20, limit: Int) {
        windowSize = 1 << windowBits
        windowMask = windowSize - 1
        // The mapping is zeroed, and an all-zero RestingOrder is the empty slot.
        windowMapping = ZeroedMapping(byteCount: windowSize * MemoryLayout<RestingOrder>.stride)
        window = windowMapping.base.bindMemory(to: RestingOrder.self, capacity: windowSize)
        overflow = OrderHashTable(initialCapacity: initialCapacity, limit: limit)
        self.limit = limit
    }

    deinit { windowMapping.unmap() }

    /// Orders resting.
    var count: Int { windowCount &+ overflow.count }

    /// Orders that live in the hash table (for metrics and tests).
    var overflowCount: Int { overflow.count }

    /// Address of the window slot of `reference`, for a prefetch ahead of `find` or `insert`.
    @inline(__always) func homeAddress(_ reference: UInt64) -> UnsafeRawPointer {
        UnsafeRawPointer(window + (Int(truncatingIfNeeded: reference) & windowMask))
    }

    /// The handle of `reference`, or nil. Reference 0 is never found (an empty slot's bits are 0).
    @inline(__always) func find(_ reference: UInt64) -> Int? {
        let i = Int(truncatingIfNeeded: reference) & windowMask
        let k = window[i].key
        if k != 0, k & RestingOrder.maxReference == reference { return i }
        if overflow.count == 0 { return nil }
        return overflow.find(reference).map { $0 &+ windowSize }
    }

    /// The order of `reference` when it is in the window (one load, no hash-table probe), else nil.
    @inline(__always) func windowOrder(_ reference: UInt64) -> RestingOrder? {
        let order = window[Int(truncatingIfNeeded: reference) & windowMask]
        return order.key != 0 && order.reference == reference ? order : nil
    }

    /// The order behind a handle from `find`.
    @inline(__always) subscript(handle: Int) -> RestingOrder {
        get { handle < windowSize ? window[handle] : overflow[handle &- windowSize] }
        nonmutating _modify {
            if handle < windowSize {
                yield &window[handle]
            } else {
                yield &overflow[handle &- windowSize]
            }
        }
    }

    /// What an insert did.
    typealias InsertResult = OrderHashTable.InsertResult

    /// Inserts an order unless its reference is 0 or above `RestingOrder.maxReference`, already
    /// present, or the table is at its limit.
    @inline(__always) mutating func insert(reference: UInt64, price: UInt32, shares: UInt32, locate: UInt16,
                                           isBuy: Bool) -> InsertResult {
        guard reference != 0, reference <= RestingOrder.maxReference else { return .outOfRange }
        if count >= limit { return .full }
        let i = Int(truncatingIfNeeded: reference) & windowMask
        let resident = window[i]
        if resident.key != 0, resident.reference == reference { return .duplicate }
        if reference <= highestReference, overflow.count != 0, overflow.find(reference) != nil { return .duplicate }
        if resident.key != 0 {
            // The slot's current order moves to the hash table; it is unique, and the total is under
            // the limit, so the hash table takes it.
            _ = overflow.insert(reference: resident.reference, price: resident.price, shares: resident.shares,
                                locate: resident.locate, isBuy: resident.isBuy)
            windowCount &-= 1
        }
        window[i] = RestingOrder(reference: reference, price: price, shares: shares, locate: locate, isBuy: isBuy)
        windowCount &+= 1
        if reference > highestReference { highestReference = reference }
        return .inserted
    }

    /// Removes the order behind `handle`.
    @inline(__always) mutating func remove(at handle: Int) {
        if handle < windowSize {
            window[handle].key = 0
            windowCount &-= 1
        } else {
            overflow.remove(at: handle &- windowSize)
        }
    }

    /// Calls `body` with every live order (unordered). For tests and snapshots.
    func forEach(_ body: (RestingOrder) -> Void) {
        for i in 0..<windowSize where window[i].key != 0 { body(window[i]) }
        overflow.forEach(body)
    }
}

/// One resting order as the book remembers it, packed into 16 bytes (four to a cache line): the
/// reference, the instrument's locate and the side share one word.
///
/// Invariant: `key` holds the reference in its low 47 bits (ITCH references are day-unique counters,
/// far below 2^47), the locate in bits 47...62 and the buy flag in bit 63; `key == 0` only for an
/// empty table slot (reference 0 is never stored).
struct RestingOrder {
    /// Reference, locate and side, packed as documented above.
    var key: UInt64
    /// Price (`Price(4)`).
    var price: UInt32
    /// Shares still displayed.
    var shares: UInt32

    /// Largest reference the packing can hold; larger ones are refused and counted.
    static let maxReference: UInt64 = (1 << 47) - 1

    @inline(__always) init(reference: UInt64, price: UInt32, shares: UInt32, locate: UInt16, isBuy: Bool) {
        key = reference | UInt64(locate) << 47 | (isBuy ? 1 << 63 : 0)
        self.price = price
        self.shares = shares
    }

    /// The empty slot.
    static let empty = RestingOrder(reference: 0, price: 0, shares: 0, locate: 0, isBuy: false)

    /// The order reference number.
    @inline(__always) var reference: UInt64 { key & Self.maxReference }
    /// Stock locate of the order's instrument.
    @inline(__always) var locate: UInt16 { UInt16(truncatingIfNeeded: key >> 47) }
    /// `true` for a buy order.
    @inline(__always) var isBuy: Bool { key >> 63 != 0 }
}

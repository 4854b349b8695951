/// Dense numbers for the instruments of a KOSCOM feed: each ISIN seen gets the next index 0, 1, 2…,
/// which the sequence tracker and the market state use to index their preallocated arrays.
///
/// A fixed-capacity open-addressing table (linear probing, at most half full), allocated once:
/// looking up or adding an ISIN allocates nothing. An ISIN with a wrong check digit is never
/// added, and nothing is added past `capacity`; both are the caller's to count.
public struct KRXInstrumentDirectory: Sendable {
    /// The most instruments it numbers.
    public let capacity: Int
    /// The ISINs in index order.
    public private(set) var isins: [ISIN] = []
    /// Slot → index + 1 (0: empty).
    @usableFromInline var slots: [Int32]
    @usableFromInline let mask: Int

    /// A directory for up to `capacity` instruments (1…1 000 000).
    public init(capacity: Int) {
        precondition(capacity > 0 && capacity <= 1_000_000, "directory capacity out of range")
        self.capacity = capacity
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
        isins.reserveCapacity(capacity)
    }

    /// Instruments numbered so far.
    public var count: Int { isins.count }

    /// The index of `isin`, `nil` when it has none.
    @inlinable public func index(of isin: ISIN) -> Int? {
        var slot = ISIN.slotHash(isin) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            if isins[entry - 1] == isin { return entry - 1 }
            slot = (slot + 1) & mask
        }
    }

    /// Why an ISIN gets no index.
    public enum Refusal: Error, Sendable, Equatable {
        /// Its check digit is wrong (or it is not 12 letters and digits).
        case invalidISIN
        /// `capacity` instruments are numbered already.
        case full
    }

    /// The index of `isin`, numbering it first if it is new.
    public mutating func index(adding isin: ISIN) -> Result<Int, Refusal> {
        if let index = index(of: isin) { return .success(index) }
        guard isin.isValid else { return .failure(.invalidISIN) }
        guard isins.count < capacity else { return .failure(.full) }
        var slot = ISIN.slotHash(isin) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        isins.append(isin)
        slots[slot] = Int32(isins.count)
        return .success(isins.count - 1)
    }
}

extension ISIN {
    /// A well-mixed hash of the 12 bytes for the directory's slots.
    @inlinable @inline(__always) static func slotHash(_ isin: ISIN) -> Int {
        var h = isin.high &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(isin.low) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }
}

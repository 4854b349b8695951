/// One trade on an instrument's tape: what the `trades` message lists.
public struct TapeTrade: Sendable, Equatable, BitwiseCopyable {
    /// The trade tick's per-symbol seq.
    public var seq: UInt64
    /// Exchange time, nanoseconds since midnight.
    public var timestamp: UInt64
    /// Price in the instrument's units.
    public var price: UInt32
    public var size: UInt32
    /// Aggressor side: `B`, `S`, or 0 when unknown.
    public var side: UInt8

    @inlinable public init(seq: UInt64, timestamp: UInt64, price: UInt32, size: UInt32, side: UInt8) {
        self.seq = seq
        self.timestamp = timestamp
        self.price = price
        self.size = size
        self.side = side
    }
}

/// An instrument's most recent trades, at most `capacity` (50), in arrival order: a ring that
/// overwrites its oldest trade once full. Storage grows with the first trades (an instrument that
/// never trades holds none) and never past `capacity` × 32 bytes.
///
/// Invariant: `storage.count` ≤ `capacity`; when full, `storage[next]` is the oldest trade.
public struct TradeTape: Sendable {
    /// Trades kept.
    public static let capacity = 50

    @usableFromInline var storage: [TapeTrade] = []
    @usableFromInline var next = 0

    public init() {}

    /// A tape holding `trades` (oldest first; the newest `capacity` of them): another node's tape, as
    /// its `trades` lists it.
    public init(trades: some Sequence<TapeTrade>) {
        for trade in trades { append(trade) }
    }

    /// Adds the newest trade, dropping the oldest when full.
    @inlinable
    public mutating func append(_ trade: TapeTrade) {
        if storage.count < Self.capacity {
            if storage.isEmpty { storage.reserveCapacity(Self.capacity) }
            storage.append(trade)
        } else {
            storage[next] = trade
            next = next == Self.capacity - 1 ? 0 : next + 1
        }
    }

    /// Number of trades held.
    public var count: Int { storage.count }

    /// The trades held, oldest first (newest last).
    public var trades: [TapeTrade] {
        Array(storage[next...]) + storage[..<next]
    }
}

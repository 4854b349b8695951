/// An instrument's statistics for the trading day so far, as the feed handler knows them after a
/// trade: what a stock screen shows beside the price (open, high, low, change against the reference
/// price, value traded, number of trades). Carried by every trade tick (`Tick.statistics`), so a
/// consumer that missed ticks is whole again at the next trade, as with the exchange's own
/// cumulative fields.
///
/// Prices are in the instrument's price units (`InstrumentReference.decimals`); 0 means "none yet".
/// The cumulative volume is not here: it is the tick's own `volume`.
public struct DayStatistics: Sendable, Equatable, BitwiseCopyable {
    /// Price of the day's first trade (the opening cross on Nasdaq, the opening auction on KRX).
    public var open: UInt32
    /// Highest trade price of the day.
    public var high: UInt32
    /// Lowest trade price of the day.
    public var low: UInt32
    /// The reference price at the time of the trade (the previous close, the KRX base price); 0 while
    /// unknown.
    public var reference: UInt32
    /// Trades printed today.
    public var tradeCount: UInt32
    /// Σ price × size over today's trades, in price units (Nasdaq: 1/10 000 dollar).
    public var value: UInt64

    /// Statistics of a day without trades, with the given reference price.
    @inlinable public init(open: UInt32 = 0, high: UInt32 = 0, low: UInt32 = 0, reference: UInt32 = 0,
                           tradeCount: UInt32 = 0, value: UInt64 = 0) {
        self.open = open
        self.high = high
        self.low = low
        self.reference = reference
        self.tradeCount = tradeCount
        self.value = value
    }

    /// Counts a trade of `size` at `price`: open on the first, high, low, count and value.
    @inlinable @inline(__always)
    public mutating func record(price: UInt32, size: UInt64) {
        if open == 0 { open = price; high = price; low = price }
        if price > high { high = price }
        if price < low || low == 0 { low = price }
        tradeCount &+= 1
        value &+= UInt64(price) &* size
    }
}

extension Tick {
    /// The instrument's day statistics after a trade; valid for `.trade` ticks only.
    ///
    /// Invariant of the variant record: a trade carries no levels, so its statistics live in the
    /// first `MemoryLayout<DayStatistics>.size` (32) bytes of `asks`' storage (80 bytes); a trade's
    /// `askCount` is the book's count and says nothing about `asks`. This accessor is the only code
    /// that knows the overlap; quotes never read it (their `asks` are levels), and a trade's
    /// statistics travel through the ring with the tick's bytes.
    @inlinable public var statistics: DayStatistics {
        get {
            withUnsafeBytes(of: asks) { $0.loadUnaligned(as: DayStatistics.self) }
        }
        set {
            withUnsafeMutableBytes(of: &asks) { storage in
                withUnsafeBytes(of: newValue) { storage.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            }
        }
    }
}

/// Counters of everything the book engine saw and everything it refused. All monotonic.
public struct BookStatistics: Sendable, Equatable {
    /// Framed messages handed to the engine.
    public var messages: UInt64 = 0
    /// Messages of each type byte (index = type byte), decoded and applied.
    public var byType = [UInt64](repeating: 0, count: 256)
    /// Frames with a type byte the specification does not define (skipped by their length).
    public var unknownType: UInt64 = 0
    /// Frames whose length disagrees with their type's specified length (skipped).
    public var badLength: UInt64 = 0
    /// Zero-length frames.
    public var empty: UInt64 = 0
    /// Executions, cancels, deletes and replaces of orders the engine never saw (normal after a
    /// mid-session join: ignored).
    public var unknownReference: UInt64 = 0
    /// Adds whose reference is already resting (ignored).
    public var duplicateReference: UInt64 = 0
    /// Adds with reference 0 (ignored).
    public var zeroReference: UInt64 = 0
    /// Executions or cancels of more shares than the order had (clamped to what it had).
    public var overExecution: UInt64 = 0
    /// Messages about an instrument never introduced (a broken trade for an unseen locate; ignored).
    public var unknownLocate: UInt64 = 0
    /// Adds (or replacements) of 0 shares: nothing rests; a replaced order just leaves the book.
    public var zeroShares: UInt64 = 0
    /// Adds with a reference of 2^47 or more (beyond any real ITCH day; refused).
    public var referenceOutOfRange: UInt64 = 0
    /// Adds refused because the order table was at its limit.
    public var orderTableFull: UInt64 = 0
    /// Replaces whose stock locate differs from the original order's (applied to the original's).
    public var locateMismatch: UInt64 = 0
    /// Internal inconsistencies (an order whose price level is missing); should stay 0.
    public var levelMissing: UInt64 = 0
    /// Ticks produced, by kind.
    public var quotes: UInt64 = 0
    public var trades: UInt64 = 0
    public var statusChanges: UInt64 = 0
    public var tradeBreaks: UInt64 = 0
    /// Instrument ticks (a stock directory entry; the opening cross setting the reference price).
    public var instruments: UInt64 = 0
    /// Executions with price marked non-printable (book updated, no trade, no volume).
    public var nonPrintable: UInt64 = 0
    /// Book-changing messages that left the top 10 of both sides unchanged (no quote produced).
    public var quietBookChanges: UInt64 = 0
    /// The last System Event code seen (`O`, `S`, `Q`, `M`, `E`, `C`), 0 before any.
    public var systemEvent: UInt8 = 0

    public init() {}

    /// Messages decoded and applied (every frame minus the refused ones).
    public var decoded: UInt64 { messages - unknownType - badLength - empty }
}

import Market

/// One instrument of the simulated day, as announced by its Stock Directory (`R`) message.
public struct SimulatedInstrument: Sendable, Equatable {
    /// ITCH stock locate, 1…N in directory order.
    public var locate: UInt16
    /// The ticker.
    public var symbol: Symbol
    /// Opening mid price, `Price(4)` (a whole number of cents).
    public var startPrice: UInt32
}

/// The simulator's per-instrument market model: where new orders cluster and how the price moves.
/// Prices here are in ticks of $0.01 (`Price(4)` / 100).
struct InstrumentModel {
    /// The ticker, as written into every message that carries one.
    var symbol: Symbol
    /// The bid the market is quoting around; the ask anchor is `anchorBid + spread`.
    var anchorBid: Int32
    /// Quoted spread in ticks (1…4).
    var spread: Int32
    /// How many price levels from the touch new orders spread over (10…30).
    var depthLevels: Int32
    /// Live orders per side the book hovers around (a few per level).
    var targetPerSide: Int32
    /// Probability (scaled to 2³²) that one of this instrument's events moves the anchor one tick.
    var walkThreshold: UInt32
    /// Lot mix: probability (scaled to 256) that an order is an odd lot; higher for dear stocks.
    var oddLotThreshold: UInt32
    /// When the current halt ends (ns since midnight); 0 while trading.
    var haltedUntil: UInt64
}

/// The simulator's book-keeping of one side of one instrument's book: how many live orders it has
/// and its best price, so adds never cross and executions find the touch without a search.
///
/// Invariant: `atBest` is the number of live orders priced at `best`; `best` is 0 on an empty side.
struct SideSummary {
    /// Live orders on this side.
    var count: Int32 = 0
    /// Live orders at `best`.
    var atBest: Int32 = 0
    /// Best price in ticks (highest bid / lowest ask); 0 when the side is empty.
    var best: UInt32 = 0
}

import Market

/// Everything the engine keeps per instrument (per ITCH stock locate).
struct InstrumentBook {
    /// The instrument's symbol, `.none` until a directory entry or an order names it.
    var symbol: Symbol = .none
    var bids = PriceLadder(isAsk: false)
    var asks = PriceLadder(isAsk: true)
    /// Sequence number of the last tick produced for this instrument.
    var seq: UInt64 = 0
    var status: TradingStatus = .unknown
    var lastPrice: UInt32 = 0
    var lastSize: UInt32 = 0
    var volume: UInt64 = 0
    /// Messages applied to this instrument.
    var messages: UInt64 = 0
    /// Exchange timestamp of the last message applied.
    var lastTimestamp: UInt64 = 0
    /// Whether the instrument has traded since the engine started.
    var hasTraded = false
}

import Market

/// Everything the engine keeps per instrument (per ITCH stock locate).
///
/// Laid out to fill exactly four cache lines (256 bytes; the engine's array of books is page aligned,
/// see `ZeroedMapping`), since a quote reads nearly all of it: the bid ladder (101 bytes), the
/// one-byte and four-byte fields in its tail, the ask ladder, then the eight-byte fields. A test
/// pins it (`instrumentBookFillsExactlyFourCacheLines`).
struct InstrumentBook {
    var bids = PriceLadder(isAsk: false)
    var status: TradingStatus = .unknown
    /// Whether the instrument has traded since the engine started.
    var hasTraded = false
    var lastPrice: UInt32 = 0
    var lastSize: UInt32 = 0
    var asks = PriceLadder(isAsk: true)
    /// The instrument's symbol, `.none` until a directory entry or an order names it.
    var symbol: Symbol = .none
    /// Sequence number of the last tick produced for this instrument.
    var seq: UInt64 = 0
    var volume: UInt64 = 0
    /// Messages applied to this instrument.
    var messages: UInt64 = 0
    /// Exchange timestamp of the last message applied.
    var lastTimestamp: UInt64 = 0
}

import Market

/// One symbol's series for a stock screen, kept beside its `SymbolEntry`: the candles, the tape of
/// recent trades and what the `stats` message needs to know whether anything changed. Built from the
/// symbol's ticks alone, so every gateway that read the same ticks holds the same series.
struct SymbolSeries {
    var candles = CandleSeries()
    var tape = TradeTape()
    /// Bumped by every tick that changes what a `stats` message says (a trade, a status, reference
    /// data): a stats subscriber who was sent an older version is due a message. (The message's `seq`
    /// and `ts` are the symbol's latest tick's when it is sent: never below a seq its client holds.)
    var statsVersion: UInt64 = 0
    /// Per candle interval (`CandleInterval.rawValue`), the start of the newest bar sent to its
    /// subscribers and not yet sent closed; `noBar` when none.
    var openBars: InlineArray<5, UInt32> = InlineArray(repeating: SymbolSeries.noBar)
    /// Whether the entry is in the gateway's list of entries whose bars changed this turn.
    var candleQueued = false
    /// Whether the entry is in the gateway's list of entries with an announced open bar.
    var listedOpen = false

    static let noBar = UInt32.max

    /// Takes the symbol's next tick.
    @inline(__always)
    mutating func apply(_ tick: Tick) {
        switch tick.kind {
        case .trade:
            candles.record(price: tick.tradePrice, size: tick.tradeSize, timestamp: tick.timestamp)
            tape.append(TapeTrade(seq: tick.seq, timestamp: tick.timestamp, price: tick.tradePrice,
                                  size: tick.tradeSize, side: tick.side))
            statsVersion &+= 1
        case .status, .instrument:
            statsVersion &+= 1
        case .quote, .tradeBreak:
            break
        }
    }
}

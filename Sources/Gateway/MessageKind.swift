/// What kind of message went out, for the per-type counters.
enum MessageKind: Int {
    case quote = 0, trade, status, tradeBreak, snapshot, gap, control, instrument, stats, trades, candles, candle
    static let names = ["quote", "trade", "status", "trade_break", "snapshot", "gap", "control", "instrument",
                        "stats", "trades", "candles", "candle"]
}

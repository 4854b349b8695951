/// Writes the `trades` message (docs/websocket-api.md): an instrument's recent trades, newest last,
/// sent once on subscribe to the `trade` channel (allocates: a rare path).
public enum TradeTapeJSON {
    /// Upper bound of one trade's object.
    static let maxTradeLength = 160

    /// The `trades` message of `trades` (oldest first); `seq` is the symbol's latest tick.
    public static func encode(symbol: Symbol, seq: UInt64, trades: [TapeTrade], decimals: Int) -> [UInt8] {
        let capacity = 96 + trades.count * maxTradeLength
        return [UInt8](unsafeUninitializedCapacity: capacity) { buf, count in
            var w = TickJSON.Writer(buf.baseAddress!, decimals: decimals)
            w.raw("{\"type\":\"trades\",\"symbol\":")
            w.symbol(symbol)
            w.raw(",\"seq\":")
            w.int(seq)
            w.raw(",\"trades\":[")
            for (i, t) in trades.enumerated() {
                if i > 0 { w.byte(0x2C) }
                w.raw("{\"seq\":")
                w.int(t.seq)
                w.raw(",\"ts\":")
                w.int(t.timestamp)
                w.raw(",\"price\":")
                w.price(t.price)
                w.raw(",\"size\":")
                w.int(UInt64(t.size))
                w.raw(",\"side\":")
                w.side(t.side)
                w.byte(0x7D)
            }
            w.raw("]}")
            count = w.n
        }
    }
}

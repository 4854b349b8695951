/// Writes the candle messages (docs/websocket-api.md): `candle`, one bar's latest state (sent when
/// the newest bar changes and once more with `"closed":true` when the exchange clock passes its end),
/// and `candles`, an interval's bars so far in one message (sent on subscribe; allocates, a rare path).
public enum CandleJSON {
    /// Upper bound of one `candle` message.
    public static let maxLength = 400
    /// Upper bound of one bar's object in `candles`.
    @usableFromInline static let maxBarLength = 240

    /// Encodes a `candle` message for `bar` of `interval` with `"prev"` (omitted when nil); `seq` is
    /// the latest trade the bar reflects. `out` must have room for `maxLength` bytes.
    @inlinable
    public static func encode(symbol: Symbol, seq: UInt64, prev: UInt64?, interval: CandleInterval, bar: Candle,
                              closed: Bool, decimals: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var w = TickJSON.Writer(out, decimals: decimals)
        w.raw("{\"type\":\"candle\",\"symbol\":")
        w.symbol(symbol)
        w.raw(",\"seq\":")
        w.int(seq)
        if let prev {
            w.raw(",\"prev\":")
            w.int(prev)
        }
        intervalField(interval, &w)
        w.byte(0x2C)
        barFields(bar, &w)
        w.raw(closed ? ",\"closed\":true}" : ",\"closed\":false}")
        return w.n
    }

    /// The `candles` message: `bars` (oldest first) of `interval`, `seq` the latest tick of the symbol.
    public static func candles(symbol: Symbol, seq: UInt64, interval: CandleInterval, bars: [Candle], decimals: Int) -> [UInt8] {
        let capacity = 128 + bars.count * maxBarLength
        return [UInt8](unsafeUninitializedCapacity: capacity) { buf, count in
            var w = TickJSON.Writer(buf.baseAddress!, decimals: decimals)
            w.raw("{\"type\":\"candles\",\"symbol\":")
            w.symbol(symbol)
            w.raw(",\"seq\":")
            w.int(seq)
            intervalField(interval, &w)
            w.raw(",\"candles\":[")
            for (i, bar) in bars.enumerated() {
                if i > 0 { w.byte(0x2C) }
                w.byte(0x7B)
                barFields(bar, &w)
                w.byte(0x7D)
            }
            w.raw("]}")
            count = w.n
        }
    }

    @inlinable static func intervalField(_ interval: CandleInterval, _ w: inout TickJSON.Writer) {
        w.raw(",\"interval\":\"")
        switch interval {
        case .oneSecond: w.raw("1s")
        case .oneMinute: w.raw("1m")
        case .fiveMinutes: w.raw("5m")
        case .fifteenMinutes: w.raw("15m")
        case .oneHour: w.raw("1h")
        }
        w.byte(0x22)
    }

    /// `"t":…,"o":…,"h":…,"l":…,"c":…,"v":…,"n":…` (no braces).
    @inlinable static func barFields(_ bar: Candle, _ w: inout TickJSON.Writer) {
        w.raw("\"t\":")
        w.int(bar.startNanoseconds)
        w.raw(",\"o\":")
        w.price(bar.open)
        w.raw(",\"h\":")
        w.price(bar.high)
        w.raw(",\"l\":")
        w.price(bar.low)
        w.raw(",\"c\":")
        w.price(bar.close)
        w.raw(",\"v\":")
        w.int(bar.volume)
        w.raw(",\"n\":")
        w.int(UInt64(bar.count))
    }
}

/// Writes the `stats` message (docs/websocket-api.md): an instrument's day statistics, last price and
/// session state, with the change against the reference price. Like `TickJSON`: integer arithmetic
/// into the caller's buffer, no allocation, so a gateway can encode one per (symbol, interval group,
/// `prev`) at every interval boundary.
public enum StatsJSON {
    /// Upper bound of one message (every number at its widest).
    public static let maxLength = 640

    /// What a `stats` message says about one instrument.
    public struct Fields: Sendable {
        public var symbol: Symbol
        /// seq and exchange time of the latest tick the statistics reflect.
        public var seq: UInt64
        public var timestamp: UInt64
        public var status: TradingStatus
        /// The last trade price, 0 before the first trade.
        public var last: UInt32
        /// Cumulative volume.
        public var volume: UInt64
        public var statistics: DayStatistics
        /// Price limits (0: none), for `sign`.
        public var upperLimit: UInt32
        public var lowerLimit: UInt32
        /// Decimals of every price.
        public var decimals: Int

        public init(symbol: Symbol, seq: UInt64, timestamp: UInt64, status: TradingStatus, last: UInt32, volume: UInt64,
                    statistics: DayStatistics, upperLimit: UInt32 = 0, lowerLimit: UInt32 = 0,
                    decimals: Int = Price.defaultDecimals) {
            self.symbol = symbol
            self.seq = seq
            self.timestamp = timestamp
            self.status = status
            self.last = last
            self.volume = volume
            self.statistics = statistics
            self.upperLimit = upperLimit
            self.lowerLimit = lowerLimit
            self.decimals = decimals
        }
    }

    /// Encodes `fields` with `"prev"` (omitted when nil) into `out` (room for `maxLength` bytes);
    /// returns the byte count.
    @inlinable
    public static func encode(_ f: Fields, prev: UInt64?, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var w = TickJSON.Writer(out, decimals: f.decimals)
        w.raw("{\"type\":\"stats\",\"symbol\":")
        w.symbol(f.symbol)
        w.raw(",\"seq\":")
        w.int(f.seq)
        if let prev {
            w.raw(",\"prev\":")
            w.int(prev)
        }
        w.raw(",\"ts\":")
        w.int(f.timestamp)
        w.raw(",\"status\":\"")
        TickJSON.statusName(f.status, &w)
        w.raw("\",\"last\":")
        w.priceOrNull(f.last)
        w.raw(",\"reference\":")
        w.priceOrNull(f.statistics.reference)
        TickJSON.changeFields(last: f.last, reference: f.statistics.reference,
                              upperLimit: f.upperLimit, lowerLimit: f.lowerLimit, &w)
        w.raw(",\"open\":")
        w.priceOrNull(f.statistics.open)
        w.raw(",\"high\":")
        w.priceOrNull(f.statistics.high)
        w.raw(",\"low\":")
        w.priceOrNull(f.statistics.low)
        w.raw(",\"volume\":")
        w.int(f.volume)
        w.raw(",\"value\":")
        w.amount(f.statistics.value)
        w.raw(",\"trades\":")
        w.int(UInt64(f.statistics.tradeCount))
        w.byte(0x7D)
        return w.n
    }

    /// The message as a `String` (tools and tests; allocates).
    public static func string(_ f: Fields, prev: UInt64?) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLength) { buf in
            let n = encode(f, prev: prev, into: buf.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
    }
}

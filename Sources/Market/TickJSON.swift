/// Writes ticks as the WebSocket API's JSON messages (contract section 2) straight into bytes:
/// integer arithmetic only, no `JSONEncoder`, no string interpolation, no allocation.
///
/// Shapes: `quote`, `trade`, `status`, `snapshot` as the contract shows them (the snapshot with the
/// day's statistics and the instrument's reference data added), and the extensions `trade_break`
/// (`{"type":"trade_break","symbol":…,"seq":…,"ts":…,"rt":…,"match":N}`) for ITCH `B` messages and
/// `instrument` (reference data), documented in docs/websocket-api.md.
///
/// Prices are written with the instrument's decimals (`decimals`, 4 unless the caller knows better:
/// every Nasdaq output stays byte-identical).
public enum TickJSON {
    /// Upper bound of one encoded message (a snapshot with 10 levels a side at the widest values, the
    /// day's statistics and an instrument's names with every byte escaped).
    public static let maxLength = 2432

    /// A byte cursor over the caller's buffer. Invariant: callers never write more than `maxLength`.
    @usableFromInline struct Writer {
        @usableFromInline let base: UnsafeMutablePointer<UInt8>
        @usableFromInline var n = 0
        /// Implied decimals of the prices written.
        @usableFromInline var decimals: Int
        @inlinable init(_ base: UnsafeMutablePointer<UInt8>, decimals: Int = Price.defaultDecimals) {
            self.base = base
            self.decimals = decimals
        }

        @inlinable mutating func byte(_ b: UInt8) { base[n] = b; n &+= 1 }
        @inlinable mutating func raw(_ s: StaticString) {
            s.withUTF8Buffer { buf in
                (base + n).update(from: buf.baseAddress!, count: buf.count)
                n &+= buf.count
            }
        }
        @inlinable mutating func int(_ value: UInt64) {
            var v = value
            var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
            var count = 0
            withUnsafeMutableBytes(of: &tmp) { d in
                repeat {
                    d[count] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                    v /= 10
                    count &+= 1
                } while v > 0
                var i = count
                while i > 0 { i &-= 1; base[n] = d[i]; n &+= 1 }
            }
        }
        @inlinable mutating func price(_ p: UInt32) { amount(UInt64(p)) }
        /// A price-unit amount (a price, a value) as a decimal string.
        @inlinable mutating func amount(_ p: UInt64) {
            byte(0x22)
            n &+= Price.write(p, decimals: decimals, into: base + n)
            byte(0x22)
        }
        /// A price, or `null` for 0 (none yet).
        @inlinable mutating func priceOrNull(_ p: UInt32) {
            if p == 0 { raw("null") } else { price(p) }
        }
        /// A signed amount as a decimal string with `decimals` decimals.
        @inlinable mutating func signed(_ v: Int64, decimals d: Int) {
            byte(0x22)
            n &+= Price.write(signed: v, decimals: d, into: base + n)
            byte(0x22)
        }
        /// UTF-8 text as a JSON string (RFC 8259 §7 escapes; the bytes are valid UTF-8 by construction).
        @inlinable mutating func text(_ bytes: UnsafeRawBufferPointer) {
            byte(0x22)
            for c in bytes {
                switch c {
                case 0x22, 0x5C: byte(0x5C); byte(c)
                case 0..<0x20:
                    raw("\\u00")
                    byte(hexDigit(c >> 4))
                    byte(hexDigit(c & 0xF))
                default: byte(c)
                }
            }
            byte(0x22)
        }
        @inlinable func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 &+ v : 0x57 &+ v }
        @inlinable mutating func symbol(_ s: Symbol) {
            byte(0x22)
            var raw = s.raw
            var i = 0
            while i < 8 {
                let c = UInt8(truncatingIfNeeded: raw)
                if c == 0x20 { break }
                // Symbols are printable ASCII by construction; escape the two JSON-special ones anyway.
                if c == 0x22 || c == 0x5C { byte(0x5C) }
                byte(c)
                raw >>= 8
                i &+= 1
            }
            byte(0x22)
        }
        @inlinable mutating func levels(_ levels: InlineArray<10, PriceLevel>, count: Int) {
            byte(0x5B)
            var i = 0
            while i < count {
                if i > 0 { byte(0x2C) }
                byte(0x5B)
                price(levels[i].price)
                byte(0x2C)
                int(UInt64(levels[i].size))
                byte(0x5D)
                i &+= 1
            }
            byte(0x5D)
        }
        /// `{"type":…,"symbol":…,"seq":…[,"prev":…],"ts":…,"rt":…` (no closing brace).
        @inlinable mutating func header(_ type: StaticString, _ tick: Tick, prev: UInt64? = nil) {
            raw("{\"type\":\"")
            raw(type)
            raw("\",\"symbol\":")
            symbol(tick.symbol)
            raw(",\"seq\":")
            int(tick.seq)
            if let prev {
                raw(",\"prev\":")
                int(prev)
            }
            raw(",\"ts\":")
            int(tick.timestamp)
            raw(",\"rt\":")
            int(tick.receiveTime)
        }
    }

    /// Encodes `tick` as its WebSocket message, quotes cut to `depth` levels a side (1...10), prices
    /// with `decimals` decimals. `out` must have room for `maxLength` bytes. Returns the byte count.
    /// `conflated` adds `"conflated":true` to a quote (the gateway's mark that earlier quotes of the
    /// symbol were collapsed into this one for a slow client). `sign` adds `"sign":…` to a trade (the
    /// gateway's, for an instrument with a reference price; nil leaves the trade as before). `prev`
    /// adds `"prev":N` right after `seq`: the seq of the previous message the gateway sent this client
    /// for the symbol (docs/websocket-api.md, "The chain"); nil leaves it out (tools, the book dump).
    @inlinable
    public static func encode(_ tick: Tick, depth: Int = Tick.depth, conflated: Bool = false,
                              decimals: Int = Price.defaultDecimals, sign: ChangeSign? = nil, prev: UInt64? = nil,
                              into out: UnsafeMutablePointer<UInt8>) -> Int {
        var w = Writer(out, decimals: decimals)
        switch tick.kind {
        case .quote:
            w.header("quote", tick, prev: prev)
            w.raw(",\"bids\":")
            w.levels(tick.bids, count: min(Int(tick.bidCount), depth))
            w.raw(",\"asks\":")
            w.levels(tick.asks, count: min(Int(tick.askCount), depth))
            if tick.indicativePrice != 0 || tick.indicativeVolume != 0 { indicative(tick, &w) }
            if conflated { w.raw(",\"conflated\":true") }
        case .trade:
            w.header("trade", tick, prev: prev)
            w.raw(",\"price\":")
            w.price(tick.tradePrice)
            w.raw(",\"size\":")
            w.int(UInt64(tick.tradeSize))
            w.raw(",\"side\":")
            if tick.side == 0 {
                w.raw("null")
            } else {
                w.byte(0x22); w.byte(tick.side); w.byte(0x22)
            }
            if let sign { signField(sign, &w) }
        case .status:
            w.header("status", tick, prev: prev)
            w.raw(",\"status\":\"")
            statusName(tick.status, &w)
            w.byte(0x22)
            viKind(tick.flags, &w)
        case .tradeBreak:
            w.header("trade_break", tick, prev: prev)
            w.raw(",\"match\":")
            w.int(tick.matchNumber)
        case .instrument:
            let reference = tick.instrument
            w.decimals = Int(reference.decimals)
            w.header("instrument", tick, prev: prev)
            w.byte(0x2C)
            instrumentFields(reference, &w)
        }
        w.byte(0x7D)
        return w.n
    }

    /// Encodes a snapshot message from a tick holding an instrument's current state (see
    /// `BookEngine.snapshot`): top `depth` levels, status, `last` (`null` when `hasTraded` is false),
    /// `volume`, the day's `statistics` (reference, change, open, high, low, value, trades) and the
    /// instrument's reference data (`null` while unknown; its decimals scale every price).
    @inlinable
    public static func encodeSnapshot(_ tick: Tick, depth: Int = Tick.depth, hasTraded: Bool,
                                      statistics: DayStatistics = DayStatistics(),
                                      instrument: InstrumentReference? = nil,
                                      into out: UnsafeMutablePointer<UInt8>) -> Int {
        var w = Writer(out, decimals: instrument.map { Int($0.decimals) } ?? Price.defaultDecimals)
        w.header("snapshot", tick)
        w.raw(",\"status\":\"")
        statusName(tick.status, &w)
        w.byte(0x22)
        viKind(tick.flags, &w)
        w.raw(",\"bids\":")
        w.levels(tick.bids, count: min(Int(tick.bidCount), depth))
        w.raw(",\"asks\":")
        w.levels(tick.asks, count: min(Int(tick.askCount), depth))
        if tick.indicativePrice != 0 || tick.indicativeVolume != 0 { indicative(tick, &w) }
        dayFields(tick, hasTraded: hasTraded, statistics: statistics,
                  upperLimit: instrument?.upperLimit ?? 0, lowerLimit: instrument?.lowerLimit ?? 0, &w)
        w.raw(",\"instrument\":")
        if let instrument {
            w.byte(0x7B)
            instrumentFields(instrument, &w)
            w.byte(0x7D)
        } else {
            w.raw("null")
        }
        w.byte(0x7D)
        return w.n
    }

    /// `,"last":…,"volume":…,"reference":…,"change":…,"change_pct":…,"open":…,"high":…,"low":…,
    /// "value":…,"trades":…`: the snapshot's day fields. `change` and
    /// `change_pct` are `null` until both a trade and the reference price are known; `change_pct` is
    /// a percentage with 2 decimals, rounded half away from zero. `sign` follows `change_pct` only
    /// when they are known (against the limits, 0 when none).
    @inlinable static func dayFields(_ tick: Tick, hasTraded: Bool, statistics s: DayStatistics,
                                     upperLimit: UInt32, lowerLimit: UInt32, _ w: inout Writer) {
        w.raw(",\"last\":")
        if hasTraded {
            w.raw("{\"price\":")
            w.price(tick.tradePrice)
            w.raw(",\"size\":")
            w.int(UInt64(tick.tradeSize))
            w.byte(0x7D)
        } else {
            w.raw("null")
        }
        w.raw(",\"volume\":")
        w.int(tick.volume)
        w.raw(",\"reference\":")
        w.priceOrNull(s.reference)
        if hasTraded && s.reference != 0 && tick.tradePrice != 0 {
            let change = Int64(tick.tradePrice) - Int64(s.reference)
            w.raw(",\"change\":")
            w.signed(change, decimals: w.decimals)
            // Hundredths of a percent: change × 10 000 / reference, rounded half away from zero.
            let scaled = change * 10_000
            let reference = Int64(s.reference)
            let hundredths = (scaled.magnitude + UInt64(reference) / 2) / UInt64(reference)
            w.raw(",\"change_pct\":")
            w.signed(change < 0 ? -Int64(hundredths) : Int64(hundredths), decimals: 2)
            if let sign = ChangeSign.of(price: tick.tradePrice, reference: s.reference,
                                        upperLimit: upperLimit, lowerLimit: lowerLimit) {
                signField(sign, &w)
            }
        } else {
            w.raw(",\"change\":null,\"change_pct\":null")
        }
        w.raw(",\"open\":")
        w.priceOrNull(s.open)
        w.raw(",\"high\":")
        w.priceOrNull(s.high)
        w.raw(",\"low\":")
        w.priceOrNull(s.low)
        w.raw(",\"value\":")
        w.amount(s.value)
        w.raw(",\"trades\":")
        w.int(UInt64(s.tradeCount))
    }

    /// `,"sign":"up"`: the change sign (`ChangeSign.name`).
    @inlinable static func signField(_ sign: ChangeSign, _ w: inout Writer) {
        w.raw(",\"sign\":\"")
        switch sign {
        case .upperLimit: w.raw("upper_limit")
        case .up: w.raw("up")
        case .unchanged: w.raw("unchanged")
        case .lowerLimit: w.raw("lower_limit")
        case .down: w.raw("down")
        }
        w.byte(0x22)
    }

    /// `,"indicative":{"price":…,"volume":…}`: a call auction's estimated uncross.
    @inlinable static func indicative(_ tick: Tick, _ w: inout Writer) {
        w.raw(",\"indicative\":{\"price\":")
        w.priceOrNull(tick.indicativePrice)
        w.raw(",\"volume\":")
        w.int(UInt64(tick.indicativeVolume))
        w.byte(0x7D)
    }

    /// `,"vi":"static"` or `"dynamic"` while a volatility interruption holds (KRX).
    @inlinable static func viKind(_ flags: UInt8, _ w: inout Writer) {
        if flags & Tick.Flags.viStatic != 0 {
            w.raw(",\"vi\":\"static\"")
        } else if flags & Tick.Flags.viDynamic != 0 {
            w.raw(",\"vi\":\"dynamic\"")
        }
    }

    /// `"market":…,"decimals":…,"reference":…,"upper_limit":…,"lower_limit":…,"isin":…,"name":…,
    /// "english_name":…` (no braces); prices with the reference's own decimals.
    @inlinable static func instrumentFields(_ r: InstrumentReference, _ w: inout Writer) {
        let saved = w.decimals
        w.decimals = Int(r.decimals)
        w.raw("\"market\":\"")
        switch r.market {
        case .nasdaq: w.raw("nasdaq")
        case .krx: w.raw("krx")
        }
        w.raw("\",\"decimals\":")
        w.int(UInt64(r.decimals))
        w.raw(",\"reference\":")
        w.priceOrNull(r.referencePrice)
        w.raw(",\"upper_limit\":")
        w.priceOrNull(r.upperLimit)
        w.raw(",\"lower_limit\":")
        w.priceOrNull(r.lowerLimit)
        w.raw(",\"isin\":")
        if r.hasISIN { r.withISINBytes { w.text($0) } } else { w.raw("null") }
        w.raw(",\"name\":")
        r.withNameBytes { w.text($0) }
        w.raw(",\"english_name\":")
        r.withEnglishNameBytes { w.text($0) }
        w.decimals = saved
    }

    /// Encodes the gateway's `gap` message: updates `from`...`to` (inclusive) of `symbol` were not
    /// delivered one by one; the snapshot that follows (with `seq` = `to`) replaces them.
    @inlinable
    public static func encodeGap(symbol: Symbol, from: UInt64, to: UInt64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var w = Writer(out)
        w.raw("{\"type\":\"gap\",\"symbol\":")
        w.symbol(symbol)
        w.raw(",\"from\":")
        w.int(from)
        w.raw(",\"to\":")
        w.int(to)
        w.byte(0x7D)
        return w.n
    }

    @inlinable static func statusName(_ status: TradingStatus, _ w: inout Writer) {
        switch status {
        case .unknown: w.raw("unknown")
        case .trading: w.raw("trading")
        case .halted: w.raw("halted")
        case .paused: w.raw("paused")
        case .quotation: w.raw("quotation")
        case .stale: w.raw("stale")
        case .auction: w.raw("auction")
        case .volatilityInterruption: w.raw("vi")
        case .closed: w.raw("closed")
        }
    }

    /// The message for `tick` as a `String` (tools and tests; allocates).
    public static func string(_ tick: Tick, depth: Int = Tick.depth, decimals: Int = Price.defaultDecimals) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLength) { buf in
            let n = encode(tick, depth: depth, decimals: decimals, into: buf.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
    }
}

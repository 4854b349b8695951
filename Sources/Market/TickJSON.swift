/// Writes ticks as the WebSocket API's JSON messages (contract section 2) straight into bytes:
/// integer arithmetic only, no `JSONEncoder`, no string interpolation, no allocation.
///
/// Shapes: `quote`, `trade`, `status`, `snapshot` exactly as the contract shows them, and the
/// extension `trade_break` (`{"type":"trade_break","symbol":…,"seq":…,"ts":…,"rt":…,"match":N}`) for
/// ITCH `B` messages, documented in docs/feed-handler.md.
public enum TickJSON {
    /// Upper bound of one encoded message (a snapshot with 10 levels a side at the widest values).
    public static let maxLength = 1400

    /// A byte cursor over the caller's buffer. Invariant: callers never write more than `maxLength`.
    @usableFromInline struct Writer {
        @usableFromInline let base: UnsafeMutablePointer<UInt8>
        @usableFromInline var n = 0
        @inlinable init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

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
        @inlinable mutating func price(_ p: UInt32) {
            byte(0x22)
            n &+= Price.write(UInt64(p), into: base + n)
            byte(0x22)
        }
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
        @inlinable mutating func header(_ type: StaticString, _ tick: Tick) {
            raw("{\"type\":\"")
            raw(type)
            raw("\",\"symbol\":")
            symbol(tick.symbol)
            raw(",\"seq\":")
            int(tick.seq)
            raw(",\"ts\":")
            int(tick.timestamp)
            raw(",\"rt\":")
            int(tick.receiveTime)
        }
    }

    /// Encodes `tick` as its WebSocket message, quotes cut to `depth` levels a side (1...10).
    /// `out` must have room for `maxLength` bytes. Returns the byte count.
    /// `conflated` adds `"conflated":true` to a quote (the gateway's mark that earlier quotes of the
    /// symbol were collapsed into this one for a slow client).
    @inlinable
    public static func encode(_ tick: Tick, depth: Int = Tick.depth, conflated: Bool = false,
                              into out: UnsafeMutablePointer<UInt8>) -> Int {
        var w = Writer(out)
        switch tick.kind {
        case .quote:
            w.header("quote", tick)
            w.raw(",\"bids\":")
            w.levels(tick.bids, count: min(Int(tick.bidCount), depth))
            w.raw(",\"asks\":")
            w.levels(tick.asks, count: min(Int(tick.askCount), depth))
            if conflated { w.raw(",\"conflated\":true") }
        case .trade:
            w.header("trade", tick)
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
        case .status:
            w.header("status", tick)
            w.raw(",\"status\":\"")
            statusName(tick.status, &w)
            w.byte(0x22)
        case .tradeBreak:
            w.header("trade_break", tick)
            w.raw(",\"match\":")
            w.int(tick.matchNumber)
        }
        w.byte(0x7D)
        return w.n
    }

    /// Encodes a snapshot message from a tick holding an instrument's current state (see
    /// `BookEngine.snapshot`): top `depth` levels, status, `last` (`null` when `hasTraded` is false)
    /// and `volume`.
    @inlinable
    public static func encodeSnapshot(_ tick: Tick, depth: Int = Tick.depth, hasTraded: Bool,
                                      into out: UnsafeMutablePointer<UInt8>) -> Int {
        var w = Writer(out)
        w.header("snapshot", tick)
        w.raw(",\"status\":\"")
        statusName(tick.status, &w)
        w.raw("\",\"bids\":")
        w.levels(tick.bids, count: min(Int(tick.bidCount), depth))
        w.raw(",\"asks\":")
        w.levels(tick.asks, count: min(Int(tick.askCount), depth))
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
        w.byte(0x7D)
        return w.n
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
        }
    }

    /// The message for `tick` as a `String` (tools and tests; allocates).
    public static func string(_ tick: Tick, depth: Int = Tick.depth) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLength) { buf in
            let n = encode(tick, depth: depth, into: buf.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
    }
}

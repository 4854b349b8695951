import Market
import MoldUDP64

/// The normalized tick messages a `quotecast feed` node publishes to its gateways, one per MoldUDP64
/// message block; the byte layout is documented in docs/wire-format.md and named once here.
///
/// Every number is big-endian (as in ITCH, so the same tools read both); prices are `Price(4)`
/// (`UInt32`, four implied decimals); symbols are 8 ASCII bytes, space padded. A tick message starts
/// with the common 45-byte header and carries every field a gateway needs to rebuild the feed node's
/// `Tick` exactly (so every gateway serves the same `seq`, prices, sizes, `ts` and `rt`).
public enum NormalizedMessage {
    /// Message types (the first byte).
    public enum MessageType {
        /// A quote: the top levels of both sides, plus the instrument's state (a full last-value entry).
        public static let quote = UInt8(ascii: "Q")
        /// A trade.
        public static let trade = UInt8(ascii: "T")
        /// A trading status change.
        public static let status = UInt8(ascii: "S")
        /// A broken trade.
        public static let tradeBreak = UInt8(ascii: "B")
        /// A symbol directory entry: an instrument the channel carries (sent when it first appears and
        /// in snapshots), so gateways know symbols that have not ticked yet.
        public static let directory = UInt8(ascii: "R")
    }

    /// Offsets of the common header of the tick messages (Q, T, S, B).
    public enum Header {
        public static let type = 0
        /// `Tick.flags`.
        public static let flags = 1
        /// The feed's ITCH stock locate.
        public static let locate = 2
        public static let symbol = 4
        /// Per-symbol sequence number.
        public static let seq = 12
        /// Exchange timestamp, ns since midnight.
        public static let timestamp = 20
        /// The feed node's receive time, ns since the Unix epoch.
        public static let receiveTime = 28
        /// Cumulative volume after this tick.
        public static let volume = 36
        /// `TradingStatus` raw value after this tick.
        public static let status = 44
        public static let length = 45
    }

    /// Quote: header, then last trade, counts, changed level, then the levels (bids then asks, best
    /// first, 8 bytes each: price, size).
    public enum Quote {
        public static let lastPrice = 45
        public static let lastSize = 49
        public static let changedLevel = 53
        public static let bidCount = 54
        public static let askCount = 55
        public static let levels = 56
        public static let levelLength = 8
        /// Length of a quote with `levels` levels on both sides together.
        @inlinable public static func length(levels: Int) -> Int { Self.levels + levels * levelLength }
        /// The longest quote (10 levels a side).
        public static let maxLength = length(levels: 2 * Tick.depth)
    }

    /// Trade: header, then price, size, aggressor side (`B`, `S` or 0), match number.
    public enum Trade {
        public static let price = 45
        public static let size = 49
        public static let side = 53
        public static let matchNumber = 54
        public static let length = 62
    }

    /// Status and trade break: header, then last trade and (for a break) the broken match number.
    public enum Status {
        public static let lastPrice = 45
        public static let lastSize = 49
        public static let matchNumber = 53
        public static let length = 61
    }

    /// Symbol directory: type, reserved, locate, symbol.
    public enum Directory {
        public static let locate = 2
        public static let symbol = 4
        public static let length = 12
    }

    /// The longest message of any type.
    public static let maxLength = Quote.maxLength

    /// Encodes `tick` at `out` (room for `maxLength` bytes); returns the length written.
    public static func encode(_ tick: Tick, into out: UnsafeMutableRawPointer) -> Int {
        var w = BigEndianWriter(out)
        let type: UInt8 = switch tick.kind {
        case .quote: MessageType.quote
        case .trade: MessageType.trade
        case .status: MessageType.status
        case .tradeBreak: MessageType.tradeBreak
        }
        w.u8(type)
        w.u8(tick.flags)
        w.u16(tick.locate)
        w.symbol(tick.symbol)
        w.u64(tick.seq)
        w.u64(tick.timestamp)
        w.u64(tick.receiveTime)
        w.u64(tick.volume)
        w.u8(tick.status.rawValue)
        switch tick.kind {
        case .quote:
            w.u32(tick.tradePrice)
            w.u32(tick.tradeSize)
            w.u8(tick.changedLevel)
            let bids = Int(min(tick.bidCount, UInt8(Tick.depth))), asks = Int(min(tick.askCount, UInt8(Tick.depth)))
            w.u8(UInt8(bids))
            w.u8(UInt8(asks))
            for i in 0..<bids { w.u32(tick.bids[i].price); w.u32(tick.bids[i].size) }
            for i in 0..<asks { w.u32(tick.asks[i].price); w.u32(tick.asks[i].size) }
        case .trade:
            w.u32(tick.tradePrice)
            w.u32(tick.tradeSize)
            w.u8(tick.side)
            w.u64(tick.matchNumber)
        case .status, .tradeBreak:
            w.u32(tick.tradePrice)
            w.u32(tick.tradeSize)
            w.u64(tick.matchNumber)
        }
        return w.count
    }

    /// Encodes a directory entry for `symbol` (`locate`) at `out`; returns its length.
    public static func encodeDirectory(symbol: Symbol, locate: UInt16, into out: UnsafeMutableRawPointer) -> Int {
        var w = BigEndianWriter(out)
        w.u8(MessageType.directory)
        w.u8(0)
        w.u16(locate)
        w.symbol(symbol)
        return w.count
    }

    /// What one message block holds.
    public enum Decoded: Sendable {
        /// A tick (quote, trade, status or trade break), rebuilt field for field.
        case tick(Tick)
        /// A directory entry.
        case directory(symbol: Symbol, locate: UInt16)
    }

    /// Why a message block was refused (counted by the receiver, never fatal).
    public enum DecodeError: Error, Equatable, Sendable {
        /// The first byte is not a known type.
        case unknownType(UInt8)
        /// The length does not match the type (or the level counts).
        case badLength(type: UInt8, length: Int)
        /// A field holds a value the format does not allow (level count over 10, unknown status, a
        /// symbol that is not 1 to 8 printable ASCII characters space padded, a trade side other than
        /// `B`, `S` or 0).
        case badValue(String)
    }

    /// Decodes the message of `length` bytes at `base`.
    public static func decode(_ base: UnsafeRawPointer, length: Int) -> Result<Decoded, DecodeError> {
        guard length >= 1 else { return .failure(.badLength(type: 0, length: length)) }
        let r = WireBytes(base)
        let type = r.u8(0)
        if type == MessageType.directory {
            guard length == Directory.length else { return .failure(.badLength(type: type, length: length)) }
            let symbol = r.symbol(Directory.symbol)
            guard symbol.isWellFormed else { return .failure(.badValue("symbol")) }
            return .success(.directory(symbol: symbol, locate: r.u16(Directory.locate)))
        }
        let kind: TickKind
        switch type {
        case MessageType.quote: kind = .quote
        case MessageType.trade: kind = .trade
        case MessageType.status: kind = .status
        case MessageType.tradeBreak: kind = .tradeBreak
        default: return .failure(.unknownType(type))
        }
        guard length >= Header.length else { return .failure(.badLength(type: type, length: length)) }
        guard let status = TradingStatus(rawValue: r.u8(Header.status)) else {
            return .failure(.badValue("status \(r.u8(Header.status))"))
        }
        var tick = Tick()
        tick.kind = kind
        tick.flags = r.u8(Header.flags)
        tick.locate = r.u16(Header.locate)
        tick.symbol = r.symbol(Header.symbol)
        tick.seq = r.u64(Header.seq)
        tick.timestamp = r.u64(Header.timestamp)
        tick.receiveTime = r.u64(Header.receiveTime)
        tick.volume = r.u64(Header.volume)
        tick.status = status
        switch kind {
        case .quote:
            guard length >= Quote.levels else { return .failure(.badLength(type: type, length: length)) }
            let bids = Int(r.u8(Quote.bidCount)), asks = Int(r.u8(Quote.askCount))
            guard bids <= Tick.depth, asks <= Tick.depth else { return .failure(.badValue("level counts \(bids)/\(asks)")) }
            guard length == Quote.length(levels: bids + asks) else { return .failure(.badLength(type: type, length: length)) }
            tick.tradePrice = r.u32(Quote.lastPrice)
            tick.tradeSize = r.u32(Quote.lastSize)
            tick.changedLevel = r.u8(Quote.changedLevel)
            tick.bidCount = UInt8(bids)
            tick.askCount = UInt8(asks)
            var at = Quote.levels
            for i in 0..<bids { tick.bids[i] = PriceLevel(price: r.u32(at), size: r.u32(at + 4)); at += Quote.levelLength }
            for i in 0..<asks { tick.asks[i] = PriceLevel(price: r.u32(at), size: r.u32(at + 4)); at += Quote.levelLength }
        case .trade:
            guard length == Trade.length else { return .failure(.badLength(type: type, length: length)) }
            tick.tradePrice = r.u32(Trade.price)
            tick.tradeSize = r.u32(Trade.size)
            tick.side = r.u8(Trade.side)
            // Found by the `normalized` fuzz target: any other byte went into every subscriber's JSON as is.
            guard tick.side == 0 || tick.side == UInt8(ascii: "B") || tick.side == UInt8(ascii: "S") else {
                return .failure(.badValue("side \(tick.side)"))
            }
            tick.matchNumber = r.u64(Trade.matchNumber)
        case .status, .tradeBreak:
            guard length == Status.length else { return .failure(.badLength(type: type, length: length)) }
            tick.tradePrice = r.u32(Status.lastPrice)
            tick.tradeSize = r.u32(Status.lastSize)
            tick.matchNumber = r.u64(Status.matchNumber)
        }
        // Found by the `normalized` fuzz target: a symbol with a control character became invalid JSON
        // in every subscriber's messages. Refused here, where the bytes come off the network.
        guard tick.symbol.isWellFormed else { return .failure(.badValue("symbol")) }
        return .success(.tick(tick))
    }
}

/// Writes big-endian fields one after another from `base`. Invariant: the caller provides room for
/// everything it writes (the encoders above write at most `NormalizedMessage.maxLength` bytes).
struct BigEndianWriter {
    let base: UnsafeMutableRawPointer
    private(set) var count = 0

    init(_ base: UnsafeMutableRawPointer) { self.base = base }

    @inline(__always) mutating func u8(_ v: UInt8) { base.storeBytes(of: v, toByteOffset: count, as: UInt8.self); count &+= 1 }
    @inline(__always) mutating func u16(_ v: UInt16) { base.storeBytes(of: v.bigEndian, toByteOffset: count, as: UInt16.self); count &+= 2 }
    @inline(__always) mutating func u32(_ v: UInt32) { base.storeBytes(of: v.bigEndian, toByteOffset: count, as: UInt32.self); count &+= 4 }
    @inline(__always) mutating func u64(_ v: UInt64) { base.storeBytes(of: v.bigEndian, toByteOffset: count, as: UInt64.self); count &+= 8 }
    /// The symbol's 8 bytes as they are stored (`Symbol.raw` holds them in wire order).
    @inline(__always) mutating func symbol(_ s: Symbol) { base.storeBytes(of: s.raw.littleEndian, toByteOffset: count, as: UInt64.self); count &+= 8 }
}

/// Which channel an instrument is published on: FNV-1a (32-bit) over the symbol's 8 space-padded
/// ASCII bytes, modulo the channel count. Stable across processes, machines and releases (it depends
/// on nothing but the symbol's text), so a feed node and its gateways agree without talking.
public enum ChannelMap {
    /// The channel of `symbol` among `channels` (≥ 1).
    @inlinable public static func channel(of symbol: Symbol, channels: Int) -> Int {
        precondition(channels >= 1)
        var hash: UInt32 = 0x811C_9DC5
        for i in 0..<8 {
            hash ^= UInt32(truncatingIfNeeded: symbol.raw >> UInt64(8 * i)) & 0xFF  // byte i of the wire form
            hash = hash &* 0x0100_0193
        }
        return Int(hash % UInt32(channels))
    }
}

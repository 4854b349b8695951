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
        /// An instrument's reference data (an `.instrument` tick: it has a seq).
        public static let instrument = UInt8(ascii: "I")
        /// An instrument's day state (statistics, last trade, volume, status): snapshots only.
        public static let dayState = UInt8(ascii: "D")
    }

    /// Bit of the header's flags byte that only the wire uses: the quote carries an indicative
    /// price and volume after its levels. `Tick.flags` never has it (`Tick.Flags` leaves it free).
    public static let indicativeFlag: UInt8 = 0x40

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

    /// `DayStatistics` as trades and day states carry it (24 bytes): open, high, low, reference,
    /// trade count, value; offsets from the start of the block.
    public enum Statistics {
        public static let open = 0
        public static let high = 4
        public static let low = 8
        public static let reference = 12
        public static let tradeCount = 16
        public static let value = 20
        public static let length = 28
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
        /// Indicative price and volume, after the levels when the header's `indicativeFlag` is set.
        public static let indicativeLength = 8
        /// Length of a quote with `levels` levels on both sides together.
        @inlinable public static func length(levels: Int, indicative: Bool = false) -> Int {
            Self.levels + levels * levelLength + (indicative ? indicativeLength : 0)
        }
        /// The longest quote (10 levels a side, indicative price and volume).
        public static let maxLength = length(levels: 2 * Tick.depth, indicative: true)
    }

    /// Trade: header, then price, size, aggressor side (`B`, `S` or 0), match number, the day's
    /// statistics after the trade.
    public enum Trade {
        public static let price = 45
        public static let size = 49
        public static let side = 53
        public static let matchNumber = 54
        public static let statistics = 62
        public static let length = statistics + Statistics.length
    }

    /// Instrument reference data: header, then market, decimals, reference price, upper and lower
    /// limits, ISIN (12 ASCII bytes, spaces when none), the name and the English name (UTF-8, each
    /// after a 1-byte length).
    public enum Instrument {
        public static let market = 45
        public static let decimals = 46
        public static let referencePrice = 47
        public static let upperLimit = 51
        public static let lowerLimit = 55
        public static let isin = 59
        public static let nameLength = 71
        public static let name = 72
        /// Length with names of `name` and `englishName` bytes.
        @inlinable public static func length(name: Int, englishName: Int) -> Int { name + englishName + 73 }
        public static let maxLength = length(name: InstrumentReference.maxNameBytes,
                                             englishName: InstrumentReference.maxEnglishNameBytes)
    }

    /// Day state (snapshots only): header, then last trade price and size, the day's statistics.
    public enum DayState {
        public static let lastPrice = 45
        public static let lastSize = 49
        public static let statistics = 53
        public static let length = statistics + Statistics.length
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
    public static let maxLength = max(Quote.maxLength, Instrument.maxLength)

    /// Encodes `tick` at `out` (room for `maxLength` bytes); returns the length written.
    public static func encode(_ tick: Tick, into out: UnsafeMutableRawPointer) -> Int {
        var w = BigEndianWriter(out)
        let type: UInt8 = switch tick.kind {
        case .quote: MessageType.quote
        case .trade: MessageType.trade
        case .status: MessageType.status
        case .tradeBreak: MessageType.tradeBreak
        case .instrument: MessageType.instrument
        }
        let indicative = tick.kind == .quote && (tick.indicativePrice != 0 || tick.indicativeVolume != 0)
        header(tick, type: type, flags: tick.flags & ~indicativeFlag | (indicative ? indicativeFlag : 0), &w)
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
            if indicative { w.u32(tick.indicativePrice); w.u32(tick.indicativeVolume) }
        case .trade:
            w.u32(tick.tradePrice)
            w.u32(tick.tradeSize)
            w.u8(tick.side)
            w.u64(tick.matchNumber)
            statistics(tick.statistics, &w)
        case .status, .tradeBreak:
            w.u32(tick.tradePrice)
            w.u32(tick.tradeSize)
            w.u64(tick.matchNumber)
        case .instrument:
            let r = tick.instrument
            w.u8(r.market.rawValue)
            w.u8(r.decimals)
            w.u32(r.referencePrice)
            w.u32(r.upperLimit)
            w.u32(r.lowerLimit)
            r.withISINBytes { w.bytes($0) }
            r.withNameBytes { w.u8(UInt8($0.count)); w.bytes($0) }
            r.withEnglishNameBytes { w.u8(UInt8($0.count)); w.bytes($0) }
        }
        return w.count
    }

    /// Encodes the day state of the instrument whose merged state is `state` (status, flags, volume,
    /// last trade) with its `statistics`: a `D` message, for snapshots.
    public static func encodeDayState(_ state: Tick, statistics s: DayStatistics, into out: UnsafeMutableRawPointer) -> Int {
        var w = BigEndianWriter(out)
        header(state, type: MessageType.dayState, flags: state.flags & ~indicativeFlag, &w)
        w.u32(state.tradePrice)
        w.u32(state.tradeSize)
        statistics(s, &w)
        return w.count
    }

    private static func header(_ tick: Tick, type: UInt8, flags: UInt8, _ w: inout BigEndianWriter) {
        w.u8(type)
        w.u8(flags)
        w.u16(tick.locate)
        w.symbol(tick.symbol)
        w.u64(tick.seq)
        w.u64(tick.timestamp)
        w.u64(tick.receiveTime)
        w.u64(tick.volume)
        w.u8(tick.status.rawValue)
    }

    private static func statistics(_ s: DayStatistics, _ w: inout BigEndianWriter) {
        w.u32(s.open)
        w.u32(s.high)
        w.u32(s.low)
        w.u32(s.reference)
        w.u32(s.tradeCount)
        w.u64(s.value)
    }

    private static func statistics(_ r: WireBytes, at o: Int) -> DayStatistics {
        DayStatistics(open: r.u32(o + Statistics.open), high: r.u32(o + Statistics.high), low: r.u32(o + Statistics.low),
                      reference: r.u32(o + Statistics.reference), tradeCount: r.u32(o + Statistics.tradeCount),
                      value: r.u64(o + Statistics.value))
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
        /// A tick (quote, trade, status, trade break or instrument), rebuilt field for field.
        case tick(Tick)
        /// A directory entry.
        case directory(symbol: Symbol, locate: UInt16)
        /// A day state (snapshots): a `.trade`-shaped tick whose `statistics`, last trade, volume,
        /// status and flags are the instrument's; it reports no trade (`matchNumber` 0, `tradeSize`
        /// the last trade's).
        case dayState(Tick)
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
        case MessageType.trade, MessageType.dayState: kind = .trade
        case MessageType.status: kind = .status
        case MessageType.tradeBreak: kind = .tradeBreak
        case MessageType.instrument: kind = .instrument
        default: return .failure(.unknownType(type))
        }
        guard length >= Header.length else { return .failure(.badLength(type: type, length: length)) }
        guard let status = TradingStatus(rawValue: r.u8(Header.status)) else {
            return .failure(.badValue("status \(r.u8(Header.status))"))
        }
        var tick = Tick()
        tick.kind = kind
        let wireFlags = r.u8(Header.flags)
        // The indicative bit is a quote's (found by the `normalized` fuzz target: on a status it was
        // accepted and dropped, so the message did not encode back).
        guard kind == .quote || wireFlags & indicativeFlag == 0 else { return .failure(.badValue("flags \(wireFlags)")) }
        tick.flags = wireFlags & ~indicativeFlag
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
            let indicative = wireFlags & indicativeFlag != 0
            guard length == Quote.length(levels: bids + asks, indicative: indicative) else {
                return .failure(.badLength(type: type, length: length))
            }
            tick.tradePrice = r.u32(Quote.lastPrice)
            tick.tradeSize = r.u32(Quote.lastSize)
            tick.changedLevel = r.u8(Quote.changedLevel)
            tick.bidCount = UInt8(bids)
            tick.askCount = UInt8(asks)
            var at = Quote.levels
            for i in 0..<bids { tick.bids[i] = PriceLevel(price: r.u32(at), size: r.u32(at + 4)); at += Quote.levelLength }
            for i in 0..<asks { tick.asks[i] = PriceLevel(price: r.u32(at), size: r.u32(at + 4)); at += Quote.levelLength }
            if indicative {
                tick.indicativePrice = r.u32(at)
                tick.indicativeVolume = r.u32(at + 4)
                // The bit says the fields are there because they are not both zero (found by the
                // `normalized` fuzz target: zeros behind the bit were accepted and dropped).
                guard tick.indicativePrice != 0 || tick.indicativeVolume != 0 else {
                    return .failure(.badValue("indicative fields flagged but zero"))
                }
            }
        case .trade where type == MessageType.dayState:
            guard length == DayState.length else { return .failure(.badLength(type: type, length: length)) }
            tick.tradePrice = r.u32(DayState.lastPrice)
            tick.tradeSize = r.u32(DayState.lastSize)
            tick.statistics = statistics(r, at: DayState.statistics)
            return .success(.dayState(tick))
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
            tick.statistics = statistics(r, at: Trade.statistics)
        case .status, .tradeBreak:
            guard length == Status.length else { return .failure(.badLength(type: type, length: length)) }
            tick.tradePrice = r.u32(Status.lastPrice)
            tick.tradeSize = r.u32(Status.lastSize)
            tick.matchNumber = r.u64(Status.matchNumber)
        case .instrument:
            guard length > Instrument.nameLength else { return .failure(.badLength(type: type, length: length)) }
            let nameLength = Int(r.u8(Instrument.nameLength))
            guard length > Instrument.name + nameLength else { return .failure(.badLength(type: type, length: length)) }
            let englishLength = Int(r.u8(Instrument.name + nameLength))
            guard nameLength <= InstrumentReference.maxNameBytes, englishLength <= InstrumentReference.maxEnglishNameBytes,
                  length == Instrument.length(name: nameLength, englishName: englishLength) else {
                return .failure(.badLength(type: type, length: length))
            }
            guard let market = Market(rawValue: r.u8(Instrument.market)) else {
                return .failure(.badValue("market \(r.u8(Instrument.market))"))
            }
            let decimals = r.u8(Instrument.decimals)
            guard decimals <= InstrumentReference.maxDecimals else { return .failure(.badValue("decimals \(decimals)")) }
            func text(at offset: Int, count: Int) -> String? {
                var bytes = [UInt8](repeating: 0, count: count)
                for i in 0..<count { bytes[i] = r.u8(offset + i) }
                return String(validating: bytes, as: UTF8.self)
            }
            guard let isin = text(at: Instrument.isin, count: 12), let name = text(at: Instrument.name, count: nameLength),
                  let englishName = text(at: Instrument.name + nameLength + 1, count: englishLength) else {
                return .failure(.badValue("a name or the ISIN is not UTF-8"))
            }
            tick.instrument = InstrumentReference(
                market: market, decimals: decimals, referencePrice: r.u32(Instrument.referencePrice),
                upperLimit: r.u32(Instrument.upperLimit), lowerLimit: r.u32(Instrument.lowerLimit),
                isin: isin, name: name, englishName: englishName)
            guard tick.instrument.withNameBytes({ $0.count }) == nameLength,
                  tick.instrument.withEnglishNameBytes({ $0.count }) == englishLength else {
                return .failure(.badValue("a name holds a character that does not fit"))
            }
            // An ISIN is 12 printable ASCII characters, or 12 spaces when there is none (found by the
            // `normalized` fuzz target: other bytes were accepted and turned into spaces).
            guard tick.instrument.withISINBytes({ $0.elementsEqual((0..<12).map { r.u8(Instrument.isin + $0) }) }) else {
                return .failure(.badValue("ISIN"))
            }
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
    /// Raw bytes as they are.
    @inline(__always) mutating func bytes(_ b: UnsafeRawBufferPointer) {
        guard let from = b.baseAddress else { return }
        (base + count).copyMemory(from: from, byteCount: b.count)
        count &+= b.count
    }
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

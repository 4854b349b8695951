import Market
import MoldUDP64

/// One instrument's whole state as a feed node's snapshot carries it: the merged quote (top levels
/// from its latest quote; seq, timestamps, volume, last trade, status and flags from its latest tick
/// of any kind), its latest instrument tick, its day statistics, its candles and its tape of recent
/// trades (so a gateway node that joins late serves the same bars and trades as one that ran from
/// the start).
public struct InstrumentSnapshot: Sendable {
    /// The merged state, a quote tick.
    public var state: Tick
    /// The latest `.instrument` tick, if any was published.
    public var instrument: Tick?
    /// The day statistics after the latest trade (zero before any; the reference price comes with
    /// the instrument tick until then).
    public var statistics: DayStatistics
    /// The bars of its trades so far, built exactly as a gateway builds them.
    public var candles: CandleSeries
    /// Its latest trades.
    public var tape: TradeTape

    /// A snapshot of `state` with nothing else known yet.
    public init(state: Tick, instrument: Tick? = nil, statistics: DayStatistics = DayStatistics(),
                candles: CandleSeries = CandleSeries(), tape: TradeTape = TradeTape()) {
        self.state = state
        self.instrument = instrument
        self.statistics = statistics
        self.candles = candles
        self.tape = tape
    }

    /// The candles and tape as a gateway node hands them from its upstream thread to its gateway.
    public var series: SnapshotSeries {
        SnapshotSeries(symbol: state.symbol, seq: state.seq, candles: candles, tape: tape)
    }

    /// The day state as the ring carries it to a gateway: a `.trade`-shaped tick holding the merged
    /// state's header fields, last trade and `statistics` (see `NormalizedMessage.Decoded.dayState`).
    public var dayState: Tick {
        var t = state
        t.kind = .trade
        t.side = 0
        t.matchNumber = 0
        t.statistics = statistics
        return t
    }
}

/// The merged last state of every instrument a feed node published (`InstrumentSnapshot`): what a
/// gateway's snapshot is made of. Owned by the publisher thread.
public struct InstrumentStates {
    /// Index into `entries` of each locate, +1 (0: not seen).
    private var indexOfLocate = [UInt32](repeating: 0, count: 1 << 16)
    /// The instruments' states, in order of first appearance.
    public private(set) var entries: [InstrumentSnapshot] = []

    public init() {}

    /// The merged quotes, in order of first appearance.
    public var states: [Tick] { entries.map(\.state) }

    /// Merges `tick` into its instrument's state.
    @inline(__always)
    public mutating func apply(_ tick: Tick) {
        var index = Int(indexOfLocate[Int(tick.locate)])
        if index == 0 || entries[index - 1].state.symbol != tick.symbol {
            entries.append(InstrumentSnapshot(state: Tick()))
            index = entries.count
            indexOfLocate[Int(tick.locate)] = UInt32(index)
        }
        entries.withUnsafeMutableBufferPointer { all in
            let entry = all.baseAddress! + (index - 1)
            entry.pointee.state.merge(tick)
            switch tick.kind {
            case .trade:
                entry.pointee.statistics = tick.statistics
                entry.pointee.candles.record(price: tick.tradePrice, size: tick.tradeSize, timestamp: tick.timestamp)
                entry.pointee.tape.append(TapeTrade(seq: tick.seq, timestamp: tick.timestamp, price: tick.tradePrice,
                                                    size: tick.tradeSize, side: tick.side))
            case .instrument: entry.pointee.instrument = tick
            case .quote, .status, .tradeBreak: break
            }
        }
    }

    /// The merged quote of `locate`, if it was seen.
    public func state(locate: UInt16) -> Tick? { entry(locate: locate)?.state }

    /// Everything known of `locate`, if it was seen.
    public func entry(locate: UInt16) -> InstrumentSnapshot? {
        let index = Int(indexOfLocate[Int(locate)])
        return index == 0 ? nil : entries[index - 1]
    }
}

extension Tick {
    /// Merges `tick` (the next tick of this instrument) into this merged state: a quote replaces it
    /// whole; any other kind takes its header fields, last trade, volume, status and flags and keeps
    /// the levels and indicative values of the latest quote. The result is a quote tick.
    @inline(__always)
    public mutating func merge(_ tick: Tick) {
        if tick.kind == .quote {
            self = tick
            return
        }
        let (bids, asks, bidCount, askCount) = (self.bids, self.asks, self.bidCount, self.askCount)
        let (changed, indicativePrice, indicativeVolume) = (changedLevel, self.indicativePrice, self.indicativeVolume)
        self = tick
        self.bids = bids
        self.asks = asks
        self.bidCount = bidCount
        self.askCount = askCount
        self.changedLevel = changed
        self.indicativePrice = indicativePrice
        self.indicativeVolume = indicativeVolume
        self.side = 0
        self.matchNumber = 0
        self.kind = .quote
    }
}

/// The feed node's snapshot protocol, over TCP (see docs/wire-format.md). A gateway sends one request
/// naming channels; the feed node answers each channel with a header (channel, session, the next
/// sequence number the snapshot corresponds to, entry count), then per instrument a directory entry
/// followed by its messages: its latest instrument message (if any), a quote carrying its merged
/// state, its 1 s and 1 m bars, its tape and a day state; every message framed like a day-file (2-byte big-endian length first). The state reflects exactly the channel's messages below the announced sequence number: a
/// gateway applies it, then the channel's messages from that number on.
public enum SnapshotProtocol {
    /// The request's first four bytes.
    /// Version 3 (`QCS3`): entries carry bar and tape entries (version 2 added instrument and
    /// day-state messages); a gateway of an older version is refused (`badMagic`) rather than misled.
    public static let magic: [UInt8] = Array("QCS3".utf8)
    /// Snapshot header message type.
    public static let headerType = UInt8(ascii: "H")
    /// Header: type, channel, session (10), next sequence number (8), entries (4).
    public enum Header {
        public static let channel = 1
        public static let session = 2
        public static let nextSequence = 12
        public static let entries = 20
        public static let length = 24
    }

    /// A bar entry (snapshots only): one of the instrument's kept bars (`Candle`).
    public enum Bar {
        public static let type = UInt8(ascii: "C")
        /// `CandleInterval.rawValue`: 0 (1 s) or 1 (1 m); the longer bars are derived from the 1 m ones.
        public static let interval = 1
        /// Bar start, seconds since the exchange day's midnight.
        public static let start = 2
        public static let open = 6
        public static let high = 10
        public static let low = 14
        public static let close = 18
        public static let volume = 22
        public static let count = 30
        public static let length = 34
    }

    /// A tape entry (snapshots only): one of the instrument's latest trades (`TapeTrade`), oldest first.
    public enum Print {
        public static let type = UInt8(ascii: "P")
        public static let seq = 1
        public static let timestamp = 9
        public static let price = 17
        public static let size = 21
        /// `B`, `S` or 0.
        public static let side = 25
        public static let length = 26
    }

    /// The request for `channels` (each 0...255).
    public static func request(channels: [Int]) -> [UInt8] {
        magic + [UInt8(channels.count)] + channels.map { UInt8($0) }
    }

    /// The channels a complete request asks for; nil while incomplete; throws when it is malformed.
    public static func parseRequest(_ bytes: [UInt8], channelCount: Int) throws(SnapshotProtocolError) -> [Int]? {
        if bytes.count >= 4, Array(bytes[0..<4]) != magic { throw .badMagic }
        guard bytes.count >= 5 else { return nil }
        let n = Int(bytes[4])
        guard bytes.count >= 5 + n else { return nil }
        guard bytes.count == 5 + n else { throw .trailingBytes }
        let channels = bytes[5...].map(Int.init)
        guard channels.allSatisfy({ $0 < channelCount }) else { throw .unknownChannel }
        return channels
    }

    /// Appends the snapshot of `channel` to `out`: header, then per instrument its directory entry,
    /// instrument message (if any), merged quote, bar entries (1 s, then 1 m, each oldest first), tape
    /// entries (oldest first) and day state.
    public static func encode(channel: Int, session: MoldUDP64Session, nextSequence: UInt64,
                              entries: [InstrumentSnapshot], to out: inout [UInt8]) {
        var header = [UInt8](repeating: 0, count: Header.length)
        header[0] = headerType
        header[Header.channel] = UInt8(channel)
        header.withUnsafeMutableBytes { raw in
            session.write(to: raw.baseAddress! + Header.session)
            raw.storeBytes(of: nextSequence.bigEndian, toByteOffset: Header.nextSequence, as: UInt64.self)
            raw.storeBytes(of: UInt32(entries.count).bigEndian, toByteOffset: Header.entries, as: UInt32.self)
        }
        frame(header, to: &out)
        var scratch = [UInt8](repeating: 0, count: NormalizedMessage.maxLength)
        func message(_ encode: (UnsafeMutableRawPointer) -> Int) {
            let n = scratch.withUnsafeMutableBytes { encode($0.baseAddress!) }
            frame(scratch[0..<n], to: &out)
        }
        for entry in entries {
            let state = entry.state
            message { NormalizedMessage.encodeDirectory(symbol: state.symbol, locate: state.locate, into: $0) }
            if let instrument = entry.instrument { message { NormalizedMessage.encode(instrument, into: $0) } }
            message { NormalizedMessage.encode(state, into: $0) }
            for interval in [CandleInterval.oneSecond, .oneMinute] {
                for bar in entry.candles.bars(interval) {
                    message { p in
                        let w = MutableWireBytes(p)
                        w.u8(0, Bar.type)
                        w.u8(Bar.interval, interval.rawValue)
                        w.u32(Bar.start, bar.start)
                        w.u32(Bar.open, bar.open)
                        w.u32(Bar.high, bar.high)
                        w.u32(Bar.low, bar.low)
                        w.u32(Bar.close, bar.close)
                        w.u64(Bar.volume, bar.volume)
                        w.u32(Bar.count, bar.count)
                        return Bar.length
                    }
                }
            }
            for trade in entry.tape.trades {
                message { p in
                    let w = MutableWireBytes(p)
                    w.u8(0, Print.type)
                    w.u64(Print.seq, trade.seq)
                    w.u64(Print.timestamp, trade.timestamp)
                    w.u32(Print.price, trade.price)
                    w.u32(Print.size, trade.size)
                    w.u8(Print.side, trade.side)
                    return Print.length
                }
            }
            message { NormalizedMessage.encodeDayState(state, statistics: entry.statistics, into: $0) }
        }
    }

    private static func frame(_ message: some Collection<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(message.count >> 8))
        out.append(UInt8(message.count & 0xFF))
        out.append(contentsOf: message)
    }

    /// One channel's snapshot as a gateway reads it.
    public struct ChannelSnapshot: Sendable {
        public let channel: Int
        public let session: MoldUDP64Session
        /// The first sequence number *not* reflected in `entries`.
        public let nextSequence: UInt64
        /// The instruments' states.
        public let entries: [InstrumentSnapshot]
        /// The instruments' merged quotes.
        public var states: [Tick] { entries.map(\.state) }
    }

    /// Decodes complete snapshots from the start of `bytes`; returns them and the bytes consumed
    /// (an incomplete channel at the end is left for more bytes). Throws on malformed input.
    public static func decode(_ bytes: [UInt8]) throws(SnapshotProtocolError) -> (snapshots: [ChannelSnapshot], consumed: Int) {
        var snapshots: [ChannelSnapshot] = []
        var offset = 0
        func message(at o: Int) -> (start: Int, length: Int)? {
            guard o + 2 <= bytes.count else { return nil }
            let n = Int(bytes[o]) << 8 | Int(bytes[o + 1])
            guard o + 2 + n <= bytes.count else { return nil }
            return (o + 2, n)
        }
        func decode(_ start: Int, _ length: Int) -> Result<NormalizedMessage.Decoded, NormalizedMessage.DecodeError> {
            bytes.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress! + start, length: length) }
        }
        // A bar entry's fields; nil when they cannot be a bar (an interval other than 1 s / 1 m, no
        // trade, a high under a low or an open or close outside them).
        func readBar(_ start: Int) -> (interval: CandleInterval, candle: Candle)? {
            bytes.withUnsafeBytes { raw in
                let w = WireBytes(raw.baseAddress! + start)
                guard let interval = CandleInterval(rawValue: w.u8(Bar.interval)), interval.rawValue <= 1 else { return nil }
                let bar = Candle(start: w.u32(Bar.start), open: w.u32(Bar.open), high: w.u32(Bar.high), low: w.u32(Bar.low),
                                 close: w.u32(Bar.close), volume: w.u64(Bar.volume), count: w.u32(Bar.count))
                guard bar.count > 0, bar.low <= bar.high, (bar.low...bar.high).contains(bar.open),
                      (bar.low...bar.high).contains(bar.close), interval.barStart(bar.start) == bar.start else { return nil }
                return (interval, bar)
            }
        }
        // A tape entry's fields; nil for a side other than `B`, `S` or 0 (it would reach clients' JSON).
        func readPrint(_ start: Int) -> TapeTrade? {
            bytes.withUnsafeBytes { raw in
                let w = WireBytes(raw.baseAddress! + start)
                let side = w.u8(Print.side)
                guard side == 0 || side == UInt8(ascii: "B") || side == UInt8(ascii: "S") else { return nil }
                return TapeTrade(seq: w.u64(Print.seq), timestamp: w.u64(Print.timestamp), price: w.u32(Print.price),
                                 size: w.u32(Print.size), side: side)
            }
        }
        while let (start, length) = message(at: offset) {
            guard length == Header.length, bytes[start] == headerType else { throw .malformed("expected a snapshot header") }
            let (channel, session, next, count) = bytes.withUnsafeBytes { raw -> (Int, MoldUDP64Session, UInt64, Int) in
                let w = WireBytes(raw.baseAddress! + start)
                return (Int(w.u8(Header.channel)), MoldUDP64Session(wireAt: raw.baseAddress! + start + Header.session),
                        w.u64(Header.nextSequence), Int(w.u32(Header.entries)))
            }
            var o = start + length
            var entries: [InstrumentSnapshot] = []
            entries.reserveCapacity(min(count, 1 << 16))
            var complete = true
            entry: for _ in 0..<count {
                // R, then the entry's messages; its day state comes last.
                guard let (ds, dl) = message(at: o) else { complete = false; break }
                guard case .success(.directory(let symbol, let locate)) = decode(ds, dl) else {
                    throw .malformed("expected a directory entry")
                }
                o = ds + dl
                var state: Tick?
                var instrument: Tick?
                var bars: [[Candle]] = [[], []]
                var prints: [TapeTrade] = []
                // In the order `encode` writes them (so an accepted answer is one `encode` wrote): 1 s
                // bars, 1 m bars, then the tape; 0, 1, 2 here.
                var part = 0
                while true {
                    guard let (ms, ml) = message(at: o) else { complete = false; break entry }
                    o = ms + ml
                    // Bars and tape, after the quote and before the day state (their own layouts).
                    if ml > 0 && (bytes[ms] == Bar.type || bytes[ms] == Print.type) {
                        guard state != nil else { throw .malformed("a bar or tape entry before the entry's quote") }
                        if bytes[ms] == Bar.type {
                            guard ml == Bar.length, let bar = readBar(ms) else { throw .malformed("a bad bar entry of \(symbol)") }
                            guard Int(bar.interval.rawValue) >= part, part < 2 else { throw .malformed("bars of \(symbol) out of order") }
                            part = Int(bar.interval.rawValue)
                            bars[part].append(bar.candle)
                        } else {
                            guard ml == Print.length, prints.count < TradeTape.capacity, let trade = readPrint(ms) else {
                                throw .malformed("a bad tape entry of \(symbol)")
                            }
                            part = 2
                            prints.append(trade)
                        }
                        continue
                    }
                    let decoded = decode(ms, ml)
                    // The entry names one instrument throughout; a disagreement means a corrupt answer, not a state to serve.
                    if case .success(.tick(let tick)) = decoded, tick.symbol != symbol || tick.locate != locate {
                        throw .malformed("directory entry \(symbol)/\(locate) before a tick of \(tick.symbol)/\(tick.locate)")
                    }
                    switch decoded {
                    case .success(.tick(let tick)) where tick.kind == .instrument && state == nil: instrument = tick
                    case .success(.tick(let tick)) where tick.kind == .quote && state == nil: state = tick
                    case .success(.dayState(let day)):
                        guard let state else { throw .malformed("a day state before the entry's quote") }
                        // The day state repeats the quote's header and last trade (found by the `snapshot`
                        // fuzz target: a disagreeing one was accepted and its fields dropped unseen).
                        guard day.locate == state.locate, day.symbol == state.symbol, day.seq == state.seq,
                              day.timestamp == state.timestamp, day.receiveTime == state.receiveTime,
                              day.volume == state.volume, day.status == state.status, day.flags == state.flags,
                              day.tradePrice == state.tradePrice, day.tradeSize == state.tradeSize else {
                            throw .malformed("the day state of \(day.symbol)/\(day.locate) disagrees with its quote")
                        }
                        guard let candles = CandleSeries(seconds: bars[0], minutes: bars[1]) else {
                            throw .malformed("the bars of \(symbol) are out of order or over the bounds")
                        }
                        entries.append(InstrumentSnapshot(state: state, instrument: instrument, statistics: day.statistics,
                                                          candles: candles, tape: TradeTape(trades: prints)))
                        continue entry
                    default: throw .malformed("an entry holds an unexpected message")
                    }
                }
            }
            guard complete else { break }
            snapshots.append(ChannelSnapshot(channel: channel, session: session, nextSequence: next, entries: entries))
            offset = o
        }
        return (snapshots, offset)
    }
}

/// Why a snapshot request or answer was refused.
public enum SnapshotProtocolError: Error, Equatable, Sendable {
    /// The request does not start with `magic`.
    case badMagic
    /// Bytes after the channel list.
    case trailingBytes
    /// A channel the feed node does not publish.
    case unknownChannel
    /// The answer is not what the protocol says.
    case malformed(String)
}

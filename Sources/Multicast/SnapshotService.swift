import Market
import MoldUDP64

/// One instrument's whole state as a feed node's snapshot carries it: the merged quote (top levels
/// from its latest quote; seq, timestamps, volume, last trade, status and flags from its latest tick
/// of any kind), its latest instrument tick and its day statistics.
public struct InstrumentSnapshot: Sendable {
    /// The merged state, a quote tick.
    public var state: Tick
    /// The latest `.instrument` tick, if any was published.
    public var instrument: Tick?
    /// The day statistics after the latest trade (zero before any; the reference price comes with
    /// the instrument tick until then).
    public var statistics: DayStatistics

    /// A snapshot of `state` with nothing else known yet.
    public init(state: Tick, instrument: Tick? = nil, statistics: DayStatistics = DayStatistics()) {
        self.state = state
        self.instrument = instrument
        self.statistics = statistics
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
            case .trade: entry.pointee.statistics = tick.statistics
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
/// state and a day state; every message framed like a day-file (2-byte big-endian length first). The state reflects exactly the channel's messages below the announced sequence number: a
/// gateway applies it, then the channel's messages from that number on.
public enum SnapshotProtocol {
    /// The request's first four bytes.
    /// Version 2 (`QCS2`): entries carry instrument and day-state messages; a gateway of version 1
    /// is refused (`badMagic`) rather than misled.
    public static let magic: [UInt8] = Array("QCS2".utf8)
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
    /// instrument message (if any), merged quote and day state.
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
                while true {
                    guard let (ms, ml) = message(at: o) else { complete = false; break entry }
                    o = ms + ml
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
                        entries.append(InstrumentSnapshot(state: state, instrument: instrument, statistics: day.statistics))
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
    /// The request does not start with "QCS1".
    case badMagic
    /// Bytes after the channel list.
    case trailingBytes
    /// A channel the feed node does not publish.
    case unknownChannel
    /// The answer is not what the protocol says.
    case malformed(String)
}

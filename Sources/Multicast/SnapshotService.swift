import Market
import MoldUDP64

/// The merged last state of every instrument a feed node published, as full quote ticks (top levels
/// from the latest quote; seq, timestamps, volume, last trade and status from the latest tick of any
/// kind): what a gateway's snapshot is made of. Owned by the publisher thread.
public struct InstrumentStates {
    /// Index into `states` of each locate, +1 (0: not seen).
    private var indexOfLocate = [UInt32](repeating: 0, count: 1 << 16)
    /// The merged states, in order of first appearance.
    public private(set) var states: [Tick] = []

    public init() {}

    /// Merges `tick` into its instrument's state.
    @inline(__always)
    public mutating func apply(_ tick: Tick) {
        var index = Int(indexOfLocate[Int(tick.locate)])
        if index == 0 || states[index - 1].symbol != tick.symbol {
            states.append(Tick())
            index = states.count
            indexOfLocate[Int(tick.locate)] = UInt32(index)
        }
        states.withUnsafeMutableBufferPointer { all in
            let state = all.baseAddress! + (index - 1)
            if tick.kind == .quote {
                state.pointee = tick
            } else {
                let (bids, asks, bidCount, askCount, changed) = (state.pointee.bids, state.pointee.asks,
                                                                  state.pointee.bidCount, state.pointee.askCount,
                                                                  state.pointee.changedLevel)
                state.pointee = tick
                state.pointee.bids = bids
                state.pointee.asks = asks
                state.pointee.bidCount = bidCount
                state.pointee.askCount = askCount
                state.pointee.changedLevel = changed
                state.pointee.side = 0
                state.pointee.matchNumber = 0
            }
            state.pointee.kind = .quote
        }
    }

    /// The state of `locate`, if it was seen.
    public func state(locate: UInt16) -> Tick? {
        let index = Int(indexOfLocate[Int(locate)])
        return index == 0 ? nil : states[index - 1]
    }
}

/// The feed node's snapshot protocol, over TCP (see docs/wire-format.md). A gateway sends one request
/// naming channels; the feed node answers each channel with a header (channel, session, the next
/// sequence number the snapshot corresponds to, entry count), then per instrument a directory entry
/// and a quote carrying its whole state; every message framed like a day-file (2-byte big-endian length
/// first). The state reflects exactly the channel's messages below the announced sequence number: a
/// gateway applies it, then the channel's messages from that number on.
public enum SnapshotProtocol {
    /// The request's first four bytes.
    public static let magic: [UInt8] = Array("QCS1".utf8)
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

    /// Appends the snapshot of `channel` to `out`: header, then (directory, quote) per instrument.
    public static func encode(channel: Int, session: MoldUDP64Session, nextSequence: UInt64,
                              states: [Tick], to out: inout [UInt8]) {
        var header = [UInt8](repeating: 0, count: Header.length)
        header[0] = headerType
        header[Header.channel] = UInt8(channel)
        header.withUnsafeMutableBytes { raw in
            session.write(to: raw.baseAddress! + Header.session)
            raw.storeBytes(of: nextSequence.bigEndian, toByteOffset: Header.nextSequence, as: UInt64.self)
            raw.storeBytes(of: UInt32(states.count).bigEndian, toByteOffset: Header.entries, as: UInt32.self)
        }
        frame(header, to: &out)
        var scratch = [UInt8](repeating: 0, count: NormalizedMessage.maxLength)
        for state in states {
            let d = scratch.withUnsafeMutableBytes { NormalizedMessage.encodeDirectory(symbol: state.symbol, locate: state.locate, into: $0.baseAddress!) }
            frame(scratch[0..<d], to: &out)
            let q = scratch.withUnsafeMutableBytes { NormalizedMessage.encode(state, into: $0.baseAddress!) }
            frame(scratch[0..<q], to: &out)
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
        /// The first sequence number *not* reflected in `states`.
        public let nextSequence: UInt64
        /// The instruments' states (quote ticks).
        public let states: [Tick]
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
        while let (start, length) = message(at: offset) {
            guard length == Header.length, bytes[start] == headerType else { throw .malformed("expected a snapshot header") }
            let (channel, session, next, entries) = bytes.withUnsafeBytes { raw -> (Int, MoldUDP64Session, UInt64, Int) in
                let w = WireBytes(raw.baseAddress! + start)
                return (Int(w.u8(Header.channel)), MoldUDP64Session(wireAt: raw.baseAddress! + start + Header.session),
                        w.u64(Header.nextSequence), Int(w.u32(Header.entries)))
            }
            var o = start + length
            var states: [Tick] = []
            states.reserveCapacity(min(entries, 1 << 16))
            var complete = true
            for _ in 0..<entries {
                guard let (ds, dl) = message(at: o), let (qs, ql) = message(at: ds + dl) else { complete = false; break }
                let decoded = bytes.withUnsafeBytes { raw in
                    (NormalizedMessage.decode(raw.baseAddress! + ds, length: dl), NormalizedMessage.decode(raw.baseAddress! + qs, length: ql))
                }
                guard case .success(.directory(let symbol, let locate)) = decoded.0, case .success(.tick(let state)) = decoded.1,
                      state.kind == .quote else {
                    throw .malformed("expected a directory entry and a quote")
                }
                // The pair names one instrument twice; a disagreement means a corrupt answer, not a state to serve.
                guard symbol == state.symbol, locate == state.locate else {
                    throw .malformed("directory entry \(symbol)/\(locate) before a quote of \(state.symbol)/\(state.locate)")
                }
                states.append(state)
                o = qs + ql
            }
            guard complete else { break }
            snapshots.append(ChannelSnapshot(channel: channel, session: session, nextSequence: next, states: states))
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

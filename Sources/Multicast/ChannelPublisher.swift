import Market
import MoldUDP64

/// How a feed node packs its ticks onto the channels.
public struct ChannelPublisherConfiguration: Sendable {
    /// Number of channels (≥ 1); instruments are mapped to them by `ChannelMap`.
    public var channels: Int
    /// Largest MoldUDP64 packet (header included), bytes: 1400 by default, under a 1500-byte MTU.
    public var maxPayload = MoldUDP64.defaultMaxPayloadSize
    /// The smallest `maxPayload` that holds a packet of one message of any kind.
    public static let minimumPayload = MoldUDP64.headerLength + 2 + NormalizedMessage.maxLength
    /// A packet that is not full is sent at the latest this long after its first message, so light
    /// load does not wait for a full packet (nanoseconds; 100 µs by default).
    public var flushAfterNanoseconds: UInt64 = 100_000
    /// A channel that sent nothing for this long sends a heartbeat (nanoseconds; 1 s by default).
    public var heartbeatNanoseconds: UInt64 = 1_000_000_000
    /// Packets that can wait in the outbox for one `sendmmsg` batch.
    public var outboxCapacity = 64

    /// The defaults with `channels` channels.
    public init(channels: Int) { self.channels = channels }
}

/// One packet waiting in the outbox: which channel it goes to and its bytes (valid until the outbox
/// is cleared).
public struct OutgoingPacket {
    /// The channel (its group is GROUP + channel).
    public let channel: Int
    /// The datagram.
    public let bytes: UnsafeRawBufferPointer
    /// When it was queued (monotonic ns).
    public let queuedAt: UInt64
}

/// Packs normalized ticks into MoldUDP64 packets, one stream per channel, each with its own session
/// (`base` + two-digit channel number, so a retransmission request names its channel) and sequence.
/// Finished packets (full, flushed after `flushAfterNanoseconds`, heartbeats, end of session) are
/// copied to an outbox that the caller sends in one batch (`sendmmsg`) and clears.
///
/// Owned by the publisher thread. Invariants: every channel's builder holds a valid packet of the
/// messages not yet moved to the outbox; the outbox holds at most `outboxCapacity` packets, each at
/// most `maxPayload` bytes; sequence numbers on each channel increase by one per message, from 1.
public final class ChannelPublisher {
    public let configuration: ChannelPublisherConfiguration
    /// The session of each channel.
    public let sessions: [MoldUDP64Session]
    private var builders: [MoldUDP64PacketBuilder]
    /// When each channel's pending packet got its first message (0: nothing pending).
    private var firstPending: [UInt64]
    /// When each channel last moved a packet to the outbox (heartbeats count).
    private var lastSent: [UInt64]
    /// Channel of each locate, once seen (`UInt16.max`: not yet).
    private let channelOfLocate: UnsafeMutablePointer<UInt16>
    /// Whether each locate's directory entry went out.
    private let announced: UnsafeMutablePointer<Bool>
    /// The symbol each cached locate had (a locate that changes symbol is mapped afresh).
    private let symbolOfLocate: UnsafeMutablePointer<Symbol>
    private let packetStorage: UnsafeMutableRawPointer
    private let outboxStorage: UnsafeMutableRawPointer
    private var outboxLengths: [Int]
    private var outboxChannels: [Int]
    /// When each outbox packet was queued (monotonic ns), for the pacing delay.
    private var outboxQueuedAt: [UInt64]
    /// Packets in the outbox.
    public private(set) var outboxCount = 0
    /// Packets in the outbox per channel (a channel with packets waiting for the budget is behind).
    public private(set) var waiting: [Int]
    /// Scratch space for one encoded message.
    private let scratch: UnsafeMutableRawPointer

    /// Counters, read by the publisher thread's metrics.
    public private(set) var messagesPublished = 0
    public private(set) var packetsPublished = 0
    public private(set) var heartbeatsPublished = 0

    /// A publisher whose channel sessions are `base` (up to 8 printable ASCII characters, padded with
    /// spaces; pick a new one per start, e.g. from the start time) followed by the channel number.
    public init(configuration: ChannelPublisherConfiguration, sessionBase: String) {
        precondition(configuration.channels >= 1 && configuration.channels <= 100, "1...100 channels")
        precondition(configuration.maxPayload >= ChannelPublisherConfiguration.minimumPayload,
                     "a packet must hold at least one quote")
        self.configuration = configuration
        var base = String(sessionBase.prefix(8))
        while base.utf8.count < 8 { base += " " }
        sessions = (0..<configuration.channels).map { channel in
            let digits = channel < 10 ? "0\(channel)" : "\(channel)"
            return MoldUDP64Session(base + digits) ?? .blank
        }
        let size = configuration.maxPayload
        packetStorage = .allocate(byteCount: size * configuration.channels, alignment: 64)
        outboxStorage = .allocate(byteCount: size * configuration.outboxCapacity, alignment: 64)
        outboxLengths = Array(repeating: 0, count: configuration.outboxCapacity)
        outboxChannels = Array(repeating: 0, count: configuration.outboxCapacity)
        outboxQueuedAt = Array(repeating: 0, count: configuration.outboxCapacity)
        waiting = Array(repeating: 0, count: configuration.channels)
        scratch = .allocate(byteCount: NormalizedMessage.maxLength, alignment: 8)
        channelOfLocate = .allocate(capacity: 1 << 16)
        channelOfLocate.initialize(repeating: UInt16.max, count: 1 << 16)
        announced = .allocate(capacity: 1 << 16)
        announced.initialize(repeating: false, count: 1 << 16)
        symbolOfLocate = .allocate(capacity: 1 << 16)
        symbolOfLocate.initialize(repeating: .none, count: 1 << 16)
        var builders: [MoldUDP64PacketBuilder] = []
        for channel in 0..<configuration.channels {
            let buffer = UnsafeMutableRawBufferPointer(start: packetStorage + channel * size, count: size)
            builders.append(MoldUDP64PacketBuilder(buffer: buffer, session: sessions[channel], maxPayloadSize: size))
        }
        self.builders = builders
        firstPending = Array(repeating: 0, count: configuration.channels)
        lastSent = Array(repeating: 0, count: configuration.channels)
    }

    deinit {
        packetStorage.deallocate()
        outboxStorage.deallocate()
        scratch.deallocate()
        channelOfLocate.deallocate()
        announced.deallocate()
        symbolOfLocate.deallocate()
    }

    /// The sequence number the next message of `channel` will get.
    public func nextSequenceNumber(channel: Int) -> UInt64 { builders[channel].nextSequenceNumber }

    /// The channel `tick`'s instrument is on (cached per locate).
    @inline(__always)
    public func channel(of tick: Tick) -> Int {
        let cached = channelOfLocate[Int(tick.locate)]
        if cached != UInt16.max, symbolOfLocate[Int(tick.locate)] == tick.symbol { return Int(cached) }
        return Int(register(tick))
    }

    private func register(_ tick: Tick) -> UInt16 {
        let channel = UInt16(ChannelMap.channel(of: tick.symbol, channels: configuration.channels))
        channelOfLocate[Int(tick.locate)] = channel
        symbolOfLocate[Int(tick.locate)] = tick.symbol
        announced[Int(tick.locate)] = false
        return channel
    }

    /// Whether the outbox has no room for another packet: send and `clearOutbox()` before publishing more.
    public var outboxIsFull: Bool { outboxCount == configuration.outboxCapacity }

    /// Encodes `tick` onto its channel, first with a directory entry when the instrument is new.
    /// Returns the message's (channel, sequence number). The outbox must not be full.
    @discardableResult
    public func publish(_ tick: Tick, now: UInt64) -> (channel: Int, sequenceNumber: UInt64) {
        let channel = self.channel(of: tick)
        if !announced[Int(tick.locate)] {
            announced[Int(tick.locate)] = true
            let n = NormalizedMessage.encodeDirectory(symbol: tick.symbol, locate: tick.locate, into: scratch)
            _ = append(length: n, channel: channel, now: now)
        }
        let n = NormalizedMessage.encode(tick, into: scratch)
        return (channel, append(length: n, channel: channel, now: now))
    }

    /// Appends the `length` bytes in `scratch` to `channel`, moving a full packet to the outbox first;
    /// returns the message's sequence number.
    @inline(__always)
    private func append(length: Int, channel: Int, now: UInt64) -> UInt64 {
        let source = UnsafeRawBufferPointer(start: scratch, count: length)
        if builders[channel].append(source) == .full {
            moveToOutbox(channel: channel, now: now)
            builders[channel].append(source)  // fits: the packet is empty and holds any one message
        }
        if firstPending[channel] == 0 { firstPending[channel] = max(now, 1) }
        messagesPublished &+= 1
        return builders[channel].nextSequenceNumber &- 1
    }

    /// Moves every channel's pending packet that is older than the flush bound to the outbox (as
    /// many as fit); and, with `heartbeats`, queues a heartbeat on channels idle for the heartbeat
    /// interval. Call between ring reads, and whenever the ring is empty.
    /// Channels for which `holding` is true are left alone: a channel over its bandwidth budget
    /// sends full packets only.
    public func flushDue(now: UInt64, heartbeats: Bool = true, holding: (Int) -> Bool = { _ in false }) {
        for channel in 0..<configuration.channels where !outboxIsFull && !holding(channel) {
            let first = firstPending[channel]
            if first != 0, now &- first >= configuration.flushAfterNanoseconds {
                moveToOutbox(channel: channel, now: now)
            } else if heartbeats, first == 0, now &- lastSent[channel] >= configuration.heartbeatNanoseconds {
                queueControl(channel: channel, now: now, count: MoldUDP64.heartbeatCount)
                heartbeatsPublished &+= 1
            }
        }
    }

    /// Moves every pending packet to the outbox (as many as fit; call again after sending if not all did),
    /// but for channels for which `holding` is true. Returns whether nothing is left pending.
    @discardableResult
    public func flushAll(now: UInt64, holding: (Int) -> Bool = { _ in false }) -> Bool {
        for channel in 0..<configuration.channels where firstPending[channel] != 0 && !holding(channel) {
            if outboxIsFull { return false }
            moveToOutbox(channel: channel, now: now)
        }
        return true
    }

    /// Queues an end-of-session packet on every channel (after `flushAll`); returns false when the
    /// outbox had no room for all of them (send, clear, call again).
    public func endSession(now: UInt64) -> Bool {
        guard flushAll(now: now), outboxCount + configuration.channels <= configuration.outboxCapacity else { return false }
        for channel in 0..<configuration.channels { queueControl(channel: channel, now: now, count: MoldUDP64.endOfSessionCount) }
        return true
    }

    /// Calls `body` with the packets waiting in the outbox, in order (valid during the call only).
    public func withOutbox<R>(_ body: (UnsafeBufferPointer<OutgoingPacket>) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(of: OutgoingPacket.self, capacity: max(outboxCount, 1)) { list in
            for i in 0..<outboxCount {
                let start = outboxStorage + i * configuration.maxPayload
                list.initializeElement(at: i, to: OutgoingPacket(channel: outboxChannels[i],
                                                                 bytes: UnsafeRawBufferPointer(start: start, count: outboxLengths[i]),
                                                                 queuedAt: outboxQueuedAt[i]))
            }
            return try body(UnsafeBufferPointer(rebasing: list[0..<outboxCount]))
        }
    }

    /// Empties the outbox (after its packets were sent).
    public func clearOutbox() {
        outboxCount = 0
        for channel in waiting.indices { waiting[channel] = 0 }
    }

    /// Removes the outbox packets whose `sent[i]` is true (they were sent), keeping the others in
    /// order: a paced sender sends what its budget allows and keeps the rest for later.
    public func removeFromOutbox(sent: UnsafeBufferPointer<Bool>) {
        var kept = 0
        for i in 0..<outboxCount {
            if sent[i] {
                waiting[outboxChannels[i]] -= 1
                continue
            }
            if kept != i {
                (outboxStorage + kept * configuration.maxPayload).copyMemory(from: outboxStorage + i * configuration.maxPayload,
                                                                             byteCount: outboxLengths[i])
                outboxLengths[kept] = outboxLengths[i]
                outboxChannels[kept] = outboxChannels[i]
                outboxQueuedAt[kept] = outboxQueuedAt[i]
            }
            kept += 1
        }
        outboxCount = kept
    }

    private func moveToOutbox(channel: Int, now: UInt64) {
        precondition(!outboxIsFull, "send and clear the outbox before publishing more")
        let packet = builders[channel].packet
        (outboxStorage + outboxCount * configuration.maxPayload).copyMemory(from: packet.baseAddress!, byteCount: packet.count)
        outboxLengths[outboxCount] = packet.count
        outboxChannels[outboxCount] = channel
        outboxQueuedAt[outboxCount] = now
        outboxCount += 1
        waiting[channel] += 1
        packetsPublished &+= 1
        builders[channel].reset()
        firstPending[channel] = 0
        lastSent[channel] = now
    }

    private func queueControl(channel: Int, now: UInt64, count: UInt16) {
        precondition(!outboxIsFull, "send and clear the outbox before publishing more")
        let out = outboxStorage + outboxCount * configuration.maxPayload
        MoldUDP64.writeHeader(session: sessions[channel], sequenceNumber: builders[channel].nextSequenceNumber,
                              count: count, to: out)
        outboxLengths[outboxCount] = MoldUDP64.headerLength
        outboxChannels[outboxCount] = channel
        outboxQueuedAt[outboxCount] = now
        outboxCount += 1
        waiting[channel] += 1
        lastSent[channel] = now
    }
}

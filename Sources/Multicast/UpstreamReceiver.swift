import Fanout
import Glibc
import Market
import MoldUDP64
import Sockets
import System

/// What the upstream receiver notices, for the log.
public enum UpstreamEvent: Sendable, Equatable {
    /// A channel's group was joined.
    case joined(channel: Int, group: String, receiveBuffer: Int)
    /// A channel took a snapshot and is live from `next` on.
    case synced(channel: Int, session: String, next: UInt64, instruments: Int, reason: UpstreamResyncReason)
    /// Every channel has taken its first snapshot: the gateway answers clients from now on.
    case ready(instruments: Int, milliseconds: Int)
    /// A snapshot fetch failed; it is tried again after `retrySeconds`.
    case snapshotFailed(error: String, retrySeconds: Double)
    /// A channel needs a fresh snapshot.
    case resync(channel: Int, reason: UpstreamResyncReason, detail: String)
    /// A datagram longer than `maxDatagram` arrived on a channel, or (`channel` nil) as a
    /// retransmission answer; logged once per channel and once for answers: the feed node's payload
    /// size is larger than this gateway accepts.
    case oversize(channel: Int?, maxDatagram: Int)
    /// A sequencing event of one channel (gap, recovery, silence, end of session).
    case channel(Int, SessionEvent)
}

/// The gateway node's receiving side (`quotecast gateway`): joins the feed node's K normalized
/// channels, takes a snapshot of their state from the feed node's service before anything else,
/// then applies every channel's messages in sequence (gaps filled by MoldUDP64 retransmission
/// requests to the same service, through the same `LineArbiter` the exchange feed uses), writing
/// ticks into the gateway's ring. A gap that cannot be filled in time, or a new session (the feed
/// node restarted), resynchronizes the channel from a fresh snapshot; its instruments' states reach
/// the ring as ticks flagged `Tick.Flags.snapshot`, which the gateway turns into `gap` + `snapshot`
/// for subscribers whose stream they interrupt.
///
/// Live packets are never lost while a snapshot is fetched: the fetch runs on this thread, and
/// what arrives meanwhile waits in the channel sockets' receive buffers (`receiveBuffer`); what
/// overflows them is a gap, filled by retransmission.
public struct UpstreamReceiver: Sendable {
    public let configuration: UpstreamConfiguration
    public var onEvent: (@Sendable (UpstreamEvent) -> Void)?
    /// Where each snapshot's candles and tapes are left for the gateway (the ring carries its ticks
    /// only); nil drops them.
    public var seriesMailbox: SnapshotSeriesMailbox?

    public init(configuration: UpstreamConfiguration, onEvent: (@Sendable (UpstreamEvent) -> Void)? = nil,
                seriesMailbox: SnapshotSeriesMailbox? = nil) {
        self.configuration = configuration
        self.onEvent = onEvent
        self.seriesMailbox = seriesMailbox
    }

    /// The channel a session names: its last two characters, as digits.
    static func channel(of session: MoldUDP64Session) -> Int? {
        let high = UInt8(truncatingIfNeeded: session.tail), low = UInt8(truncatingIfNeeded: session.tail >> 8)
        guard (48...57).contains(high), (48...57).contains(low) else { return nil }
        return Int(high - 48) * 10 + Int(low - 48)
    }

    /// Joins the channels (so nothing sent from now on is missed), then runs until `stop` is raised.
    /// An ended session is not the end: a feed node that restarts starts new sessions, and each
    /// channel resynchronizes from a snapshot. Throws only when a socket cannot be set up.
    public func run(writer: inout RingWriter, stop: StopFlag, counters: UpstreamCounters) throws {
        let c = configuration
        let report: (UpstreamEvent) -> Void = { event in onEvent?(event) }
        var groups: [SocketAddress] = []
        for channel in 0..<c.channels {
            guard let group = c.group(ofChannel: channel) else { throw SystemError("channel \(channel) group", errno: EINVAL) }
            groups.append(group)
        }
        // Stream i is channel i's group; the last one asks the service and hears its answers.
        let input = try MulticastInput(groups: groups, interface: c.sequencing.interface, receiveBuffer: c.sequencing.receiveBuffer,
                                       unicast: true, maxDatagram: c.sequencing.maxDatagram, batchCapacity: 64)
        defer { input.close() }
        // Held here, so reading a datagram costs no reference counting on the input's batch.
        let batch = input.batch
        input.wait = c.wait
        for (channel, group) in groups.enumerated() {
            report(.joined(channel: channel, group: group.description, receiveBuffer: input.receiveBufferBytes(of: channel)))
        }

        var arbiters = (0..<c.channels).map { _ in LineArbiter(configuration: c.sequencing, lines: 1, retransmission: true) }
        defer { arbiters.forEach { $0.deallocate() } }
        for i in 0..<c.channels { arbiters[i].setReceiveBuffer(line: .a, bytes: input.receiveBufferBytes(of: i)) }
        // Channels that have taken at least one snapshot, and those that need one now (with why).
        var synced = [Bool](repeating: false, count: c.channels)
        var due: [UpstreamResyncReason?] = Array(repeating: .start, count: c.channels)
        var states = [UpstreamChannelState](repeating: .syncing, count: c.channels)
        var nextSnapshotAttempt: UInt64 = 0
        var snapshotBackoff: UInt64 = 250_000_000
        let started = Clock.monotonic()
        var ready = false

        // One more flag for the retransmission answers (index `c.channels`), counted apart.
        var oversizeReported = [Bool](repeating: false, count: c.channels + 1)
        var oversizeAnswers = 0
        let requestBytes = UnsafeMutableRawPointer.allocate(byteCount: MoldUDP64.requestLength, alignment: 8)
        defer { requestBytes.deallocate() }
        var drops = SplitMix64(seed: c.dropSeed)
        let dropThreshold = UInt64(min(max(c.dropRate, 0), 1) * Double(UInt64.max >> 11)) << 11
        var applied = 0, ticks = 0, dropped = 0
        var channel = 0

        func write(_ tick: Tick) {
            if writer.write(tick) { ticks &+= 1 }
        }
        func apply(_ message: FramedMessage) {
            switch NormalizedMessage.decode(message.base, length: message.length) {
            case .success(.tick(let tick)):
                guard ChannelMap.channel(of: tick.symbol, channels: c.channels) == channel else {
                    counters.refused(.wrongChannel)
                    return
                }
                write(tick)
                applied &+= 1
            case .success(.directory):
                applied &+= 1
            case .success(.dayState):
                counters.refused(.unknownType)  // day states travel in snapshots only
            case .failure(.unknownType): counters.refused(.unknownType)
            case .failure(.badLength): counters.refused(.badLength)
            case .failure(.badValue): counters.refused(.badValue)
            }
        }
        func sendRequest(_ request: MoldUDP64Request) {
            request.encode(into: requestBytes)
            input.send(UnsafeRawBufferPointer(start: requestBytes, count: MoldUDP64.requestLength), to: c.service)
        }
        /// Acts on what channel `channel`'s arbiter handed back, in order.
        func takeSteps() {
            while let step = arbiters[channel].nextStep() {
                switch step {
                case .messages(let packet, let skip, _):
                    var messages = packet.messages(droppingFirst: skip)
                    while let message = messages.next() { apply(message) }
                case .request(let request): sendRequest(request)
                case .stale:
                    // A gap the service could not fill in time: this channel starts over from a snapshot.
                    if due[channel] == nil {
                        due[channel] = .gap
                        report(.resync(channel: channel, reason: .gap, detail: "a gap was not filled within the recovery timeout"))
                    }
                case .current: break  // the resync above replaces the channel's state anyway
                case .event(let event): report(.channel(channel, event))
                }
            }
        }
        func publish() {
            writer.flush()
            counters.add(messages: applied, ticks: ticks)
            if dropped > 0 { counters.dropped(dropped) }
            applied = 0
            ticks = 0
            dropped = 0
        }

        /// Fetches snapshots for every channel that needs one and restarts their sequencing there.
        func resynchronize(now: UInt64) {
            let wanted = (0..<c.channels).filter { due[$0] != nil }
            for ch in wanted { states[ch] = synced[ch] ? .resyncing : .syncing }
            let snapshots: [SnapshotProtocol.ChannelSnapshot]
            do {
                snapshots = try SnapshotClient.fetch(from: c.service, channels: wanted, timeoutMilliseconds: c.snapshotTimeoutMilliseconds)
            } catch {
                counters.snapshotFailed()
                nextSnapshotAttempt = Clock.monotonic() &+ snapshotBackoff
                report(.snapshotFailed(error: "\(error)", retrySeconds: Double(snapshotBackoff) / 1e9))
                snapshotBackoff = min(snapshotBackoff * 2, 5_000_000_000)
                return
            }
            snapshotBackoff = 250_000_000
            let at = Clock.monotonic()
            for snapshot in snapshots {
                let ch = snapshot.channel
                // Per instrument: its reference data and day state, then the quote that makes the
                // gateway's entry exact (see `Gateway.applySnapshotState`).
                for entry in snapshot.entries where ChannelMap.channel(of: entry.state.symbol, channels: c.channels) == ch {
                    if var instrument = entry.instrument {
                        instrument.flags |= Tick.Flags.snapshot
                        write(instrument)
                    }
                    // Left before the day state is written: the gateway takes it when it reads that tick.
                    seriesMailbox?.put(entry.series, locate: entry.state.locate)
                    var day = entry.dayState
                    day.flags |= Tick.Flags.snapshot
                    write(day)
                    var state = entry.state
                    state.flags |= Tick.Flags.snapshot
                    write(state)
                }
                arbiters[ch].resynchronize(session: snapshot.session, next: snapshot.nextSequence, now: at)
                let reason = due[ch]!
                counters.snapshotTaken(instruments: snapshot.states.count)
                counters.resynced(reason)
                due[ch] = nil
                synced[ch] = true
                report(.synced(channel: ch, session: snapshot.session.description, next: snapshot.nextSequence,
                               instruments: snapshot.states.count, reason: reason))
            }
            publish()
            if !ready && synced.allSatisfy({ $0 }) {
                ready = true
                counters.markSynced(ringPosition: writer.written)
                report(.ready(instruments: counters.snapshotInstruments, milliseconds: Int((at &- started) / 1_000_000)))
            }
        }

        /// One datagram from a channel's group, or (line `retransmit`) from the service.
        func receive(_ datagram: UnsafeRawBufferPointer, line: SessionLine, socketChannel: Int?, now: UInt64, receiveTime: UInt64) {
            guard datagram.count >= MoldUDP64.headerLength,
                  let session = try? MoldUDP64Packet(datagram).session,
                  let ch = Self.channel(of: session), ch < c.channels, socketChannel == nil || socketChannel == ch else {
                // Not a MoldUDP64 packet of one of our channels (or of this socket's channel).
                counters.refused(.notAChannelPacket)
                return
            }
            // Before a channel's snapshot, its packets are older than the snapshot will be: dropped.
            guard due[ch] == nil, let current = arbiters[ch].session else { return }
            if session != current {
                // A new session (the feed node restarted) replaces the channel's state: resync. A
                // retransmission of another session is a stale answer: ignored.
                if line == .a && due[ch] == nil {
                    due[ch] = .session
                    report(.resync(channel: ch, reason: .session, detail: "session \(current) → \(session)"))
                }
                return
            }
            channel = ch
            arbiters[ch].receive(datagram, line: line, now: now, receiveTime: receiveTime)
            takeSteps()
        }

        while !stop.isRaised {
            let now = Clock.monotonic()
            if due.contains(where: { $0 != nil }) && now >= nextSnapshotAttempt { resynchronize(now: now) }
            let received = try input.drain { i, n in
                let now = Clock.monotonic(), receiveTime = Clock.realtime()
                let isChannel = i != input.unicastStream
                for k in 0..<n {
                    if isChannel && dropThreshold != 0 && drops.next() < dropThreshold { dropped += 1; continue }
                    if let datagram = batch.datagram(k) {
                        receive(datagram, line: isChannel ? .a : .retransmission,
                                socketChannel: isChannel ? i : nil, now: now, receiveTime: receiveTime)
                    } else {
                        if isChannel { arbiters[i].receiveOversize(line: .a) } else { oversizeAnswers &+= 1 }
                        if !oversizeReported[i] {
                            oversizeReported[i] = true
                            report(.oversize(channel: isChannel ? i : nil, maxDatagram: c.sequencing.maxDatagram))
                        }
                    }
                }
                publish()
                return true
            }
            let after = Clock.monotonic()
            var total = ReceiverTally()
            var next = [UInt64](repeating: 0, count: c.channels)
            var anyHole = false
            for ch in 0..<c.channels {
                channel = ch
                if due[ch] == nil {
                    arbiters[ch].service(now: after)
                    takeSteps()
                }
                states[ch] = due[ch] != nil ? (synced[ch] ? .resyncing : .syncing) : .sequencing(arbiters[ch].health)
                anyHole = anyHole || arbiters[ch].hasHole
                total.accumulate(arbiters[ch].tally)
                next[ch] = arbiters[ch].next
            }
            publish()
            total.malformedOversize &+= oversizeAnswers
            counters.publish(states: states, next: next, tally: total)
            if received == 0 {
                let waitMilliseconds: Int32 = due.contains(where: { $0 != nil }) ? 20 : anyHole ? 2 : 50
                try input.idle(timeoutMilliseconds: waitMilliseconds)
            }
        }
        publish()
    }
}

/// A blocking client of the feed node's snapshot service (`SnapshotProtocol`), bounded in time.
public enum SnapshotClient {
    /// Asks `service` for `channels` and returns their snapshots (every one of them, or throws).
    public static func fetch(from service: SocketAddress, channels: [Int],
                             timeoutMilliseconds: Int32) throws -> [SnapshotProtocol.ChannelSnapshot] {
        let deadline = Clock.monotonic() &+ UInt64(timeoutMilliseconds) * 1_000_000
        let connection = try TCPConnection.connect(to: service, timeoutMilliseconds: timeoutMilliseconds)
        defer { connection.close() }
        try connection.writeAll(SnapshotProtocol.request(channels: channels))
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        reading: while true {
            let now = Clock.monotonic()
            guard now < deadline else { throw SystemError("snapshot read", errno: ETIMEDOUT) }
            var p = pollfd(fd: connection.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, Int32(min((deadline - now) / 1_000_000 + 1, 100)))
            switch chunk.withUnsafeMutableBytes({ connection.read(into: $0) }) {
            case .bytes(let n): answer += chunk[0..<n]
            case .wouldBlock: continue
            case .endOfStream: break reading
            case .failed(let error): throw error
            }
        }
        let (snapshots, consumed) = try SnapshotProtocol.decode(answer)
        guard consumed == answer.count, Set(snapshots.map(\.channel)) == Set(channels) else {
            throw SnapshotProtocolError.malformed("the answer holds channels \(snapshots.map(\.channel)) of \(channels)"
                                                  + (consumed == answer.count ? "" : ", cut short"))
        }
        return snapshots
    }
}

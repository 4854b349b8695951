import Fanout
import Glibc
import Market
import MoldUDP64
import Sockets
import Synchronization
import System

/// Where a feed node sends: channel `i` to `group + i` (same port), out of `interface`.
public struct FeedNodeOutput: Sendable {
    /// The first channel's group; channel `i` uses the group address plus `i`.
    public var group: SocketAddress
    /// Address of the interface to send from.
    public var interface: String
    /// Multicast TTL (1: the local network only).
    public var ttl: Int
    /// Messages each channel's retransmission window keeps.
    public var windowMessages = 1_000_000
    /// Packet bytes all the channels' windows keep together (split evenly; memory is taken up front).
    public var windowBytes = 64 << 20
    /// Largest MoldUDP64 packet sent, header included (multicast and retransmission answers): 1400 by
    /// default, under a 1500-byte MTU; up to ~8900 on a 9000-byte (jumbo) network, which carries ~6×
    /// more ticks per datagram and so per system call. Gateways must accept it (`--max-datagram`).
    /// At least `ChannelPublisherConfiguration.minimumPayload`.
    public var payloadSize = MoldUDP64.defaultMaxPayloadSize
    /// The bandwidth budget the publisher keeps (off by default).
    public var budget = PublishBudget()

    public init(group: SocketAddress, interface: String, ttl: Int) {
        self.group = group
        self.interface = interface
        self.ttl = ttl
    }

    /// The group of `channel`: the base group's address plus `channel`, same port; nil if that leaves
    /// the multicast range.
    public func group(ofChannel channel: Int) -> SocketAddress? {
        let parts = group.host.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4 else { return nil }
        let value = (parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]) &+ UInt32(channel)
        let host = "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
        guard let address = SocketAddress(host: host, port: group.port), address.isMulticast else { return nil }
        return address
    }
}

/// What the service thread asks the publisher thread for: a consistent snapshot of some channels.
/// The publisher fills `answer` between two ticks and signals.
final class SnapshotRequest: @unchecked Sendable {
    // @unchecked: `answer` is written once by the publisher thread before `done` is signalled and
    // read by the service thread only after waiting on it.
    let channels: [Int]
    var answer: [UInt8] = []
    let done = Mutex<Bool>(false)
    init(channels: [Int]) { self.channels = channels }
}

/// What one channel sent, counted by the publisher thread after each `sendmmsg` (datagrams the
/// socket took only). Relaxed atomics: statistics, nothing is inferred from their order.
public final class ChannelSendCounters: Sendable {
    /// Datagrams sent (message packets, heartbeats and ends of session).
    public let packets = Atomic<Int>(0)
    /// Message blocks in the packets sent (directory entries included).
    public let messages = Atomic<Int>(0)
    /// UDP payload bytes sent (MoldUDP64 headers included).
    public let bytes = Atomic<Int>(0)
    /// Heartbeats sent (count 0).
    public let heartbeats = Atomic<Int>(0)
    /// Ends of session sent (count 0xFFFF).
    public let endsOfSession = Atomic<Int>(0)
    /// Bytes on the wire: UDP payload plus IPv4 and UDP headers (`WireRateBucket.wireBytes`).
    public let wireBytes = Atomic<Int>(0)
    /// With a budget: quotes replaced by a newer one of their instrument before they were sent.
    public let quotesConflated = Atomic<Int>(0)
    /// With a budget: time spent over it (episodes, from the first held-back packet to the last).
    public let overBudgetNanoseconds = Atomic<Int>(0)
    /// With a budget: over-budget episodes begun.
    public let overBudgetEpisodes = Atomic<Int>(0)
    /// With a budget: the longest a packet waited for it, nanoseconds.
    public let longestPacingDelayNanoseconds = Atomic<Int>(0)
    /// With a budget: time the channel's budget went unused while its packets waited (the publisher
    /// thread did not run: a loaded host), nanoseconds.
    public let budgetUnusedNanoseconds = Atomic<Int>(0)
    /// With a budget: bits on the wire per second over the last whole second.
    public let wireBitsPerSecond = Atomic<Int>(0)
    /// With a budget: datagrams per second over the last whole second.
    public let packetsPerSecond = Atomic<Int>(0)

    init() {}
}

/// Counters of a feed node's publisher, readable from any thread.
public final class FeedNodeCounters: Sendable {
    let messages = Atomic<Int>(0)
    let snapshots = Atomic<Int>(0)
    let snapshotRequests = Atomic<Int>(0)
    let sendFailures = Atomic<Int>(0)
    /// Per channel, what was sent.
    public let channels: [ChannelSendCounters]
    /// The budget kept (its samples are listed when one is set).
    public let budget: PublishBudget

    /// Counters for `channels` channels.
    public init(channels: Int = 1, budget: PublishBudget = PublishBudget()) {
        self.channels = (0..<max(channels, 1)).map { _ in ChannelSendCounters() }
        self.budget = budget
    }

    /// Samples for `/metrics`: per channel (label `channel`) packets, messages, bytes, heartbeats and
    /// ends of session sent; snapshots served; datagrams the socket refused.
    public func samples() -> [MetricSample] {
        func v(_ a: borrowing Atomic<Int>) -> Double { Double(a.load(ordering: .relaxed)) }
        var out: [MetricSample] = []
        for (i, c) in channels.enumerated() {
            let labels = [("channel", String(i))]
            out.append(MetricSample("quotecast_publish_packets_total", .counter, help: "MoldUDP64 datagrams sent, per channel (heartbeats and ends of session included)",
                                    labels: labels, value: v(c.packets)))
            out.append(MetricSample("quotecast_publish_messages_total", .counter, help: "Message blocks sent, per channel (directory entries included)",
                                    labels: labels, value: v(c.messages)))
            out.append(MetricSample("quotecast_publish_bytes_total", .counter, help: "UDP payload bytes sent, per channel",
                                    labels: labels, value: v(c.bytes)))
            out.append(MetricSample("quotecast_publish_heartbeats_total", .counter, help: "Heartbeats sent on idle channels, per channel",
                                    labels: labels, value: v(c.heartbeats)))
            out.append(MetricSample("quotecast_publish_end_of_session_total", .counter, help: "End-of-session packets sent, per channel",
                                    labels: labels, value: v(c.endsOfSession)))
            out.append(MetricSample("quotecast_publish_wire_bytes_total", .counter,
                                    help: "Bytes on the wire sent, per channel: UDP payload plus 28 bytes of IPv4 and UDP headers per datagram",
                                    labels: labels, value: v(c.wireBytes)))
            guard budget.isEnabled else { continue }
            if let rate = budget.channelBitsPerSecond {
                out.append(MetricSample("quotecast_publish_budget_bits_per_second", .gauge, help: "The bandwidth budget (--max-rate per channel, --max-rate-total across channels)",
                                        labels: labels, value: Double(rate)))
            }
            out.append(MetricSample("quotecast_publish_wire_bits_per_second", .gauge, help: "Bits on the wire per second over the last whole second, per channel",
                                    labels: labels, value: v(c.wireBitsPerSecond)))
            out.append(MetricSample("quotecast_publish_packets_per_second", .gauge, help: "Datagrams per second over the last whole second, per channel",
                                    labels: labels, value: v(c.packetsPerSecond)))
            out.append(MetricSample("quotecast_publish_quotes_conflated_total", .counter, help: "Quotes replaced by a newer quote of their instrument while over budget (never sent), per channel",
                                    labels: labels, value: v(c.quotesConflated)))
            out.append(MetricSample("quotecast_publish_over_budget_seconds_total", .counter, help: "Time spent over the budget (packets or quotes held back), per channel",
                                    labels: labels, value: v(c.overBudgetNanoseconds) / 1e9))
            out.append(MetricSample("quotecast_publish_over_budget_episodes_total", .counter, help: "Over-budget episodes begun (one over_budget log line each), per channel",
                                    labels: labels, value: v(c.overBudgetEpisodes)))
            out.append(MetricSample("quotecast_publish_budget_unused_seconds_total", .counter, help: "Time the channel's budget went unused while its packets waited (the publisher was not running)",
                                    labels: labels, value: v(c.budgetUnusedNanoseconds) / 1e9))
            out.append(MetricSample("quotecast_publish_pacing_delay_max_seconds", .gauge, help: "Longest time a packet waited for the budget, per channel",
                                    labels: labels, value: v(c.longestPacingDelayNanoseconds) / 1e9))
        }
        if let rate = budget.totalBitsPerSecond {
            out.append(MetricSample("quotecast_publish_budget_bits_per_second", .gauge, help: "The bandwidth budget (--max-rate per channel, --max-rate-total across channels)",
                                    labels: [("channel", "all")], value: Double(rate)))
        }
        out.append(MetricSample("quotecast_publish_send_failures_total", .counter, help: "Datagrams the socket did not take",
                                value: v(sendFailures)))
        out.append(MetricSample("quotecast_publish_snapshot_requests_total", .counter, help: "Snapshot requests answered (each names one or more channels)",
                                value: v(snapshotRequests)))
        out.append(MetricSample("quotecast_publish_snapshots_total", .counter, help: "Channel snapshots served to gateways",
                                value: v(snapshots)))
        return out
    }

    /// Messages encoded onto the channels so far (those still waiting for their packet included).
    public var messagesPublished: Int { messages.load(ordering: .relaxed) }
}

/// The feed node's publisher stage: reads every tick from its (gating) ring reader, keeps each
/// instrument's merged state, packs ticks onto the channels (`ChannelPublisher`), sends each batch
/// with `sendmmsg` per channel group, remembers what it sent in each channel's retransmission window,
/// and answers snapshot requests between two ticks so they match the sequence numbers exactly.
public final class FeedNodePublisher: @unchecked Sendable {
    // @unchecked: `run` owns the mutable state on the publisher thread; other threads touch only
    // `mailbox` (a Mutex), the counters (atomics) and the windows (their own locks).
    public let publisher: ChannelPublisher
    public let windows: [RetransmissionWindow]
    public let counters: FeedNodeCounters
    let output: FeedNodeOutput
    private let groups: [SocketAddress]
    private let socket: UDPSocket
    var states = InstrumentStates()
    let onBudgetEvent: @Sendable (BudgetEvent) -> Void
    private let mailbox = Mutex<[SnapshotRequest]>([])
    let pending = Atomic<Bool>(false)

    /// A publisher sending `channels` channels as `output` says, sessions named from `sessionBase`;
    /// with a budget, `onBudgetEvent` hears each over-budget episode begin and end (on the publisher
    /// thread: log and return).
    public init(channels: Int, output: FeedNodeOutput, sessionBase: String,
                onBudgetEvent: @escaping @Sendable (BudgetEvent) -> Void = { _ in }) throws(SystemError) {
        precondition(!output.budget.isEnabled
                     || output.budget.burstBytes(payloadSize: output.payloadSize) >= WireRateBucket.wireBytes(datagram: output.payloadSize),
                     "the burst must hold one packet")
        self.onBudgetEvent = onBudgetEvent
        var configuration = ChannelPublisherConfiguration(channels: channels)
        configuration.outboxCapacity = 64
        configuration.maxPayload = output.payloadSize
        publisher = ChannelPublisher(configuration: configuration, sessionBase: sessionBase)
        counters = FeedNodeCounters(channels: channels, budget: output.budget)
        self.output = output
        var groups: [SocketAddress] = []
        for channel in 0..<channels {
            guard let g = output.group(ofChannel: channel) else {
                throw SystemError("channel \(channel) of \(output.group) is outside 224.0.0.0/4", errno: EINVAL)
            }
            groups.append(g)
        }
        self.groups = groups
        socket = try UDPSocket.multicastSender(interface: output.interface, ttl: output.ttl)
        let bytesPerChannel = max(1 << 20, output.windowBytes / channels)
        windows = publisher.sessions.map {
            RetransmissionWindow(session: $0, capacityMessages: output.windowMessages, capacityBytes: bytesPerChannel)
        }
    }

    /// Largest packet sent, header included.
    public var payloadSize: Int { publisher.configuration.maxPayload }

    /// Asks the publisher thread for a snapshot of `channels` and waits (at most `timeoutMilliseconds`)
    /// for the answer: the bytes of `SnapshotProtocol` for each channel, or nil on timeout.
    func snapshot(channels: [Int], timeoutMilliseconds: Int = 5_000) -> [UInt8]? {
        let request = SnapshotRequest(channels: channels)
        mailbox.withLock { $0.append(request) }
        pending.store(true, ordering: .releasing)
        for _ in 0..<(timeoutMilliseconds / 2) {
            if request.done.withLock({ $0 }) { return request.answer }
            usleep(2_000)
        }
        return nil
    }

    /// Runs until the ring is closed and drained: publishes every tick, then ends the session on every
    /// channel (after `lingerNanoseconds`, snapshots are still answered until `stop` is raised).
    public func run(reader: inout RingReader, stop: StopFlag) {
        if output.budget.isEnabled { return runWithinBudget(reader: &reader, stop: stop) }
        var tick = Tick()
        var now = Clock.monotonic()
        var sinceClock = 0
        loop: while true {
            switch reader.poll(into: &tick) {
            case .tick:
                states.apply(tick)
                if publisher.outboxIsFull { send() }
                publisher.publish(tick, now: now)
                sinceClock &+= 1
                if sinceClock == 64 {
                    // Under load: the clock every 64 ticks bounds a packet's wait by the flush bound.
                    sinceClock = 0
                    now = Clock.monotonic()
                    publisher.flushDue(now: now, heartbeats: false)
                    if publisher.outboxCount > 0 { send() }
                }
            case .lapped:
                continue  // a gating reader is never lapped
            case .empty:
                // Nothing more to batch with: send what is pending at once (latency), then wait.
                now = Clock.monotonic()
                while !publisher.flushAll(now: now) { send() }
                send()
                serveSnapshots()
                publisher.flushDue(now: now)  // heartbeats on idle channels
                send()
                if case .tick = reader.next(into: &tick, timeoutMilliseconds: 50) {
                    now = Clock.monotonic()
                    states.apply(tick)
                    publisher.publish(tick, now: now)
                }
            case .closed:
                break loop
            }
            if pending.load(ordering: .acquiring) { serveSnapshots() }
        }
        now = Clock.monotonic()
        while !publisher.flushAll(now: now) { send() }
        send()
        while !publisher.endSession(now: now) { send() }
        send()
        // Keep answering snapshots (gateways that start late) until told to stop.
        while !stop.isRaised {
            serveSnapshots()
            usleep(10_000)
        }
    }

    func serveSnapshots() {
        let requests = mailbox.withLock { list in
            defer { list.removeAll() }
            return list
        }
        pending.store(false, ordering: .relaxed)
        for request in requests {
            var bytes: [UInt8] = []
            for channel in request.channels {
                let mine = states.entries.filter { publisher.channel(of: $0.state) == channel }
                SnapshotProtocol.encode(channel: channel, session: publisher.sessions[channel],
                                        nextSequence: publisher.nextSequenceNumber(channel: channel), entries: mine, to: &bytes)
            }
            request.answer = bytes
            request.done.withLock { $0 = true }
            counters.snapshotRequests.add(1, ordering: .relaxed)
            counters.snapshots.add(request.channels.count, ordering: .relaxed)
        }
    }

    /// Sends the outbox: per channel one `sendmmsg` batch to its group, remembered in its window.
    private func send() {
        guard publisher.outboxCount > 0 else { return }
        transmit(selected: nil)
        publisher.clearOutbox()
    }

    /// Sends the outbox's packets (those with `selected[i]` true, or all): per channel one `sendmmsg`
    /// batch to its group, in order; each channel's retransmission window remembers exactly the
    /// packets that went out, so a gateway recovering a gap gets the bytes the others got.
    func transmit(selected: UnsafeMutableBufferPointer<Bool>?) {
        publisher.withOutbox { list in
            withUnsafeTemporaryAllocation(of: UnsafeRawPointer?.self, capacity: list.count) { pointers in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: list.count) { lengths in
                    for channel in 0..<groups.count {
                        var n = 0
                        for (i, packet) in list.enumerated() where packet.channel == channel && selected?[i] ?? true {
                            pointers[n] = packet.bytes.baseAddress
                            lengths[n] = UInt32(packet.bytes.count)
                            n += 1
                        }
                        guard n > 0 else { continue }
                        var sent = 0
                        while sent < n {
                            let k = (try? socket.send(pointers.baseAddress! + sent, lengths: lengths.baseAddress! + sent,
                                                      count: n - sent, to: groups[channel])) ?? 0
                            if k == 0 { counters.sendFailures.add(n - sent, ordering: .relaxed); break }
                            sent += k
                        }
                        windows[channel].append(pointers.baseAddress!, lengths: lengths.baseAddress!, count: n)
                        count(sent: sent, of: pointers.baseAddress!, lengths: lengths.baseAddress!, channel: channel)
                    }
                }
            }
        }
        counters.messages.store(publisher.messagesPublished, ordering: .relaxed)
    }

    /// Adds the first `sent` packets of a channel's batch to its counters, by the message count in
    /// each header: heartbeat, end of session, or that many message blocks.
    private func count(sent: Int, of packets: UnsafePointer<UnsafeRawPointer?>, lengths: UnsafePointer<UInt32>, channel: Int) {
        guard sent > 0 else { return }
        var messages = 0
        var bytes = 0
        var heartbeats = 0
        var ends = 0
        for i in 0..<sent {
            bytes += Int(lengths[i])
            let count = UInt16(bigEndian: packets[i]!.loadUnaligned(fromByteOffset: MoldUDP64.messageCountOffset, as: UInt16.self))
            switch count {
            case MoldUDP64.heartbeatCount: heartbeats += 1
            case MoldUDP64.endOfSessionCount: ends += 1
            default: messages += Int(count)
            }
        }
        let c = counters.channels[channel]
        c.packets.add(sent, ordering: .relaxed)
        c.messages.add(messages, ordering: .relaxed)
        c.bytes.add(bytes, ordering: .relaxed)
        c.wireBytes.add(bytes + sent * WireRateBucket.ipUDPHeaderBytes, ordering: .relaxed)
        if heartbeats > 0 { c.heartbeats.add(heartbeats, ordering: .relaxed) }
        if ends > 0 { c.endsOfSession.add(ends, ordering: .relaxed) }
    }
}

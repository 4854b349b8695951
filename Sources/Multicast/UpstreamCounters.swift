import Market
import MoldUDP64
import Synchronization

/// Where one upstream channel stands (a gauge per channel in `/metrics`): taking a snapshot, or
/// sequencing its MoldUDP64 session, whose health is the session's own state machine (`LineArbiter`).
public enum UpstreamChannelState: Equatable, Sendable {
    /// Waiting for its first snapshot.
    case syncing
    /// A gap could not be filled, or the feed node started a new session: a fresh snapshot is due.
    case resyncing
    /// Applying the channel's packets in sequence; the session's health.
    case sequencing(FeedHealth)

    /// Every name a channel's state can have, as `/metrics` lists them.
    public static let names = ["syncing", "live", "recovering", "resyncing", "silent", "ended"]

    /// The lower-case name used in `/healthz` and `/metrics`. A stale session shows as `recovering`:
    /// its resynchronization is due.
    public var name: String {
        switch self {
        case .syncing: "syncing"
        case .resyncing: "resyncing"
        case .sequencing(.stale): "recovering"
        case .sequencing(.starting): "live"
        case .sequencing(let health): health.name
        }
    }

    /// Whether clients get exact, current data from the channel.
    public var isHealthy: Bool { name == "live" || name == "recovering" }
}

/// What made a channel take a snapshot.
public enum UpstreamResyncReason: Int, Sendable, CaseIterable {
    case start = 0, gap, session
    public var name: String { ["start", "gap", "session"][rawValue] }
}

/// Why the upstream receiver refused a message block (or a whole datagram): docs/wire-format.md,
/// "Receiving rules". Counted, never fatal.
public enum UpstreamRefusal: Int, Sendable, CaseIterable {
    case unknownType = 0, badLength, badValue, wrongChannel, notAChannelPacket
    public var name: String { ["unknown_type", "bad_length", "bad_value", "wrong_channel", "not_a_channel_packet"][rawValue] }
}

/// Counters of the gateway node's upstream receiver, for `/healthz` and `/metrics`. Written by the
/// receiver thread only (published once per receive round), read by anyone.
public final class UpstreamCounters: Sendable {
    private let blocks = Atomic<Int>(0)
    private let tickCount = Atomic<Int>(0)
    private let refusedCounts = Mutex([Int](repeating: 0, count: UpstreamRefusal.allCases.count))
    private let snapshotCount = Atomic<Int>(0)
    private let snapshotFailureCount = Atomic<Int>(0)
    private let snapshotInstrumentCount = Atomic<Int>(0)
    private let resyncCounts = Mutex([Int](repeating: 0, count: UpstreamResyncReason.allCases.count))
    private let droppedCount = Atomic<Int>(0)
    private let readyFlag = Atomic<Bool>(false)
    private let readyPosition = Atomic<Int>(0)
    private let channelStates: Mutex<[UpstreamChannelState]>
    private let channelNext: Mutex<[UInt64]>
    private let tally = Mutex(ReceiverTally())

    public init(channels: Int) {
        channelStates = Mutex(Array(repeating: .syncing, count: channels))
        channelNext = Mutex(Array(repeating: 0, count: channels))
    }

    /// Message blocks applied (ticks and directory entries).
    public var messages: Int { blocks.load(ordering: .relaxed) }
    /// Ticks written to the gateway's ring (snapshot entries included).
    public var ticks: Int { tickCount.load(ordering: .relaxed) }
    /// Snapshots taken (one per channel per fetch).
    public var snapshots: Int { snapshotCount.load(ordering: .relaxed) }
    /// Instrument states applied from snapshots.
    public var snapshotInstruments: Int { snapshotInstrumentCount.load(ordering: .relaxed) }
    /// Resynchronizations by reason.
    public func resyncs(_ reason: UpstreamResyncReason) -> Int { resyncCounts.withLock { $0[reason.rawValue] } }
    /// Refused blocks or datagrams, by `UpstreamRefusal` raw value.
    public var refusals: [Int] { refusedCounts.withLock { $0 } }
    /// Every channel has taken its first snapshot and its ticks are in the ring up to `readyRingPosition`.
    public var isSynced: Bool { readyFlag.load(ordering: .acquiring) }
    /// The ring position (ticks written) at which the first full snapshot was complete.
    public var readyRingPosition: Int { readyPosition.load(ordering: .relaxed) }
    /// Each channel's state.
    public var states: [UpstreamChannelState] { channelStates.withLock { $0 } }
    /// The summed sequencing counters of every channel. A copy taken under a lock.
    public var receiver: ReceiverTally { tally.withLock { $0 } }

    /// Whether every channel gives clients exact, current data.
    public var isHealthy: Bool { isSynced && states.allSatisfy(\.isHealthy) }

    func add(messages: Int, ticks: Int) {
        if messages != 0 { blocks.add(messages, ordering: .relaxed) }
        if ticks != 0 { tickCount.add(ticks, ordering: .relaxed) }
    }
    /// Counts a refusal (rare: malformed input).
    func refused(_ reason: UpstreamRefusal) { refusedCounts.withLock { $0[reason.rawValue] += 1 } }
    func snapshotTaken(instruments: Int) {
        snapshotCount.add(1, ordering: .relaxed)
        snapshotInstrumentCount.add(instruments, ordering: .relaxed)
    }
    func snapshotFailed() { snapshotFailureCount.add(1, ordering: .relaxed) }
    func resynced(_ reason: UpstreamResyncReason) { resyncCounts.withLock { $0[reason.rawValue] += 1 } }
    func dropped(_ n: Int) { droppedCount.add(n, ordering: .relaxed) }
    func markSynced(ringPosition: Int) {
        readyPosition.store(ringPosition, ordering: .relaxed)
        readyFlag.store(true, ordering: .releasing)
    }
    func publish(states: [UpstreamChannelState], next: [UInt64], tally t: ReceiverTally) {
        channelStates.withLock { $0 = states }
        channelNext.withLock { $0 = next }
        tally.withLock { $0 = t }
    }

    /// The `/healthz` body.
    public func healthJSON() -> String {
        let s = states
        let list = s.map { "\"\($0.name)\"" }.joined(separator: ",")
        return "{\"synced\":\(isSynced),\"healthy\":\(isHealthy),\"channels\":[\(list)],\"messages\":\(messages),"
            + "\"ticks\":\(ticks),\"snapshots\":\(snapshots),\"gaps\":\(receiver.gaps),\"resyncs\":"
            + "\(UpstreamResyncReason.allCases.map { resyncs($0) }.reduce(0, +))}"
    }

    /// `quotecast_upstream_*` for `/metrics` (documented in docs/operations.md).
    public func metricSamples() -> [MetricSample] {
        var out: [MetricSample] = [
            MetricSample("quotecast_upstream_synced", .gauge, help: "1 once every channel took its first snapshot",
                         value: isSynced ? 1 : 0),
            MetricSample("quotecast_upstream_messages_total", .counter, help: "Normalized message blocks applied", value: Double(messages)),
            MetricSample("quotecast_upstream_ticks_total", .counter, help: "Ticks written to the gateway's ring (snapshots included)",
                         value: Double(ticks)),
            MetricSample("quotecast_upstream_snapshots_total", .counter, help: "Channel snapshots taken", value: Double(snapshots)),
            MetricSample("quotecast_upstream_snapshot_failures_total", .counter, help: "Snapshot fetches that failed (retried)",
                         value: Double(snapshotFailureCount.load(ordering: .relaxed))),
            MetricSample("quotecast_upstream_snapshot_instruments_total", .counter, help: "Instrument states applied from snapshots",
                         value: Double(snapshotInstruments)),
            MetricSample("quotecast_upstream_dropped_total", .counter, help: "Datagrams dropped by --drop fault injection",
                         value: Double(droppedCount.load(ordering: .relaxed))),
        ]
        for (reason, n) in zip(UpstreamRefusal.allCases.map(\.name), refusals) {
            out.append(MetricSample("quotecast_upstream_refused_total", .counter, help: "Message blocks (or datagrams) refused, by reason",
                                    labels: [("reason", reason)], value: Double(n)))
        }
        for reason in UpstreamResyncReason.allCases {
            out.append(MetricSample("quotecast_upstream_resyncs_total", .counter, help: "Channel snapshots taken, by reason",
                                    labels: [("reason", reason.name)], value: Double(resyncs(reason))))
        }
        let s = states, next = channelNext.withLock { $0 }
        for (channel, state) in s.enumerated() {
            for candidate in UpstreamChannelState.names {
                out.append(MetricSample("quotecast_upstream_channel_state", .gauge, help: "1 for each channel's current state",
                                        labels: [("channel", "\(channel)"), ("state", candidate)],
                                        value: candidate == state.name ? 1 : 0))
            }
        }
        for (channel, n) in next.enumerated() {
            out.append(MetricSample("quotecast_upstream_next_sequence", .gauge, help: "Next expected sequence number, by channel",
                                    labels: [("channel", "\(channel)")], value: Double(n)))
        }
        let t = receiver
        let plain: [(String, MetricSample.Kind, String, Int)] = [
            ("quotecast_upstream_datagrams_total", .counter, "Channel datagrams received", t.datagrams[0]),
            ("quotecast_upstream_bytes_total", .counter, "Channel datagram bytes received", t.bytes[0]),
            ("quotecast_upstream_retransmitted_datagrams_total", .counter, "Datagrams received from the retransmission service", t.datagrams[2]),
            ("quotecast_upstream_heartbeats_total", .counter, "Heartbeats received", t.heartbeats[0]),
            ("quotecast_upstream_malformed_total", .counter, "Malformed datagrams skipped",
             t.malformedShort + t.malformedFraming + t.malformedSession + t.malformedOversize),
            ("quotecast_upstream_duplicate_messages_total", .counter, "Messages already applied, dropped", t.duplicateMessages),
            ("quotecast_upstream_gaps_total", .counter, "Gaps detected", t.gaps),
            ("quotecast_upstream_gap_messages_total", .counter, "Messages missing in gaps when detected", t.gapMessages),
            ("quotecast_upstream_retransmission_requests_total", .counter, "Retransmission requests sent (retries included)", t.requests),
            ("quotecast_upstream_recoveries_total", .counter, "Gaps filled by retransmission", t.gapsRecovered),
            ("quotecast_upstream_recovered_messages_total", .counter, "Messages applied from retransmitted packets", t.recoveredMessages),
            ("quotecast_upstream_unrecovered_gaps_total", .counter, "Gaps not filled in time (resynchronized from a snapshot)", t.unrecoveredGaps),
            ("quotecast_upstream_buffered_packets", .gauge, "Packets waiting behind a gap", t.buffered),
            ("quotecast_upstream_buffer_overflows_total", .counter, "Packets dropped because the gap buffer was full", t.bufferOverflows),
            ("quotecast_upstream_silences_total", .counter, "Times a channel went silent", t.silences),
            ("quotecast_upstream_receive_buffer_bytes", .gauge, "Receive buffer granted per channel socket", t.receiveBuffer[0]),
        ]
        for (name, kind, help, v) in plain { out.append(MetricSample(name, kind, help: help, value: Double(v))) }
        return out
    }
}

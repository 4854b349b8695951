import KRX
import Market
import MoldUDP64
import Synchronization

/// Counters the feed thread publishes for the status line, `/healthz` and `/metrics`. Written by the
/// feed thread only, read by anyone.
public final class FeedCounters: Sendable {
    private let messageCount = Atomic<Int>(0)
    private let tickCount = Atomic<Int>(0)
    private let ringFails = Atomic<Int>(0)
    private let finishedFlag = Atomic<Bool>(false)
    private let healthState = Atomic<UInt8>(FeedHealth.starting.rawValue)
    private let tally = Mutex(ReceiverTally())
    private let multicast = Atomic<Bool>(false)
    private let staleCount = Atomic<Int>(0)
    private let krxTally = Mutex<KRXReceiverTally?>(nil)

    /// Counters at zero, state `starting`.
    public init() {}

    // Relaxed everywhere: these are statistics; nothing is inferred from their order.
    /// Exchange messages applied (ITCH messages; KOSCOM records).
    public var messages: Int { messageCount.load(ordering: .relaxed) }
    /// Ticks written to the ring.
    public var ticks: Int { tickCount.load(ordering: .relaxed) }
    /// Ticks the ring refused (a gating reader full under the `.fail` policy, or the ring closed).
    public var ringRefusals: Int { ringFails.load(ordering: .relaxed) }
    /// Whether the source ran out (a file ended, or the simulator reached its message limit).
    public var finished: Bool { finishedFlag.load(ordering: .relaxed) }
    /// The feed's state (for /healthz).
    public var health: FeedHealth { FeedHealth(rawValue: healthState.load(ordering: .relaxed)) ?? .starting }
    /// The multicast receiver's counters (all zero for other sources). A copy, taken under a lock:
    /// call it from the metrics endpoint, not a hot path.
    public var receiver: ReceiverTally { tally.withLock { $0 } }
    /// Instruments the feed has marked stale now (a gap it could not fill in time).
    public var staleInstruments: Int { staleCount.load(ordering: .relaxed) }
    /// The KRX adapter's counters (`nil` for other feeds). A copy, taken under a lock: call it from
    /// the metrics endpoint, not a hot path.
    public var krx: KRXReceiverTally? { krxTally.withLock { $0 } }

    func add(messages: Int, ticks: Int, refusals: Int) {
        messageCount.add(messages, ordering: .relaxed)
        tickCount.add(ticks, ordering: .relaxed)
        if refusals > 0 { ringFails.add(refusals, ordering: .relaxed) }
    }

    func markFinished() { finishedFlag.store(true, ordering: .relaxed) }

    @usableFromInline func setHealth(_ h: FeedHealth) { healthState.store(h.rawValue, ordering: .relaxed) }

    func setStaleInstruments(_ n: Int) { staleCount.store(n, ordering: .relaxed) }

    /// Copies the receiver's tally (once per receive round, uncontended: only /metrics reads it).
    func publish(_ t: ReceiverTally) {
        multicast.store(true, ordering: .relaxed)
        tally.withLock { $0 = t }
    }

    /// Copies the KRX adapter's tally (once per receive round, uncontended: only /metrics reads it).
    func publish(krx t: KRXReceiverTally) {
        krxTally.withLock { $0 = t }
    }

    /// The `/healthz` body: `{"state":"live","messages":N,"ticks":N,...}` with the receiver's gap
    /// figures when the source is multicast.
    public func healthJSON() -> String {
        var s = "{\"state\":\"\(health.name)\",\"healthy\":\(health.isHealthy),\"messages\":\(messages),\"ticks\":\(ticks)"
        if multicast.load(ordering: .relaxed) {
            let t = receiver
            s += ",\"next_sequence\":\(t.nextSequence),\"gaps\":\(t.gaps),\"recovered_messages\":\(t.recoveredMessages)"
                + ",\"unrecovered_gaps\":\(t.unrecoveredGaps),\"stale_instruments\":\(staleInstruments)"
                + ",\"ends_of_session\":\(t.endsOfSession)"
        }
        if let t = krx {
            s += ",\"gaps\":\(t.gaps),\"missing_records\":\(t.missingRecords),\"stale_instruments\":\(t.staleInstruments)"
                + ",\"heals\":\(t.heals),\"refused_records\":\(t.decode.refusedTotal)"
        }
        return s + "}"
    }

    /// The feed's metrics for `/metrics` (`quotecast_feed_*`, documented in docs/feed-input.md).
    public func metricSamples() -> [MetricSample] {
        var out: [MetricSample] = [
            MetricSample("quotecast_feed_messages_total", .counter, help: "Exchange messages applied (ITCH messages, KOSCOM records)",
                         value: Double(messages)),
            MetricSample("quotecast_feed_ticks_total", .counter, help: "Ticks written to the broadcast ring", value: Double(ticks)),
            MetricSample("quotecast_feed_ring_refusals_total", .counter, help: "Ticks the ring refused", value: Double(ringRefusals)),
        ]
        let h = health
        for state in FeedHealth.allCases {
            out.append(MetricSample("quotecast_feed_state", .gauge, help: "1 for the feed's current state (starting, live, recovering, stale, silent, ended)",
                                    labels: [("state", state.name)], value: state == h ? 1 : 0))
        }
        if let t = krx { out += Self.krxSamples(t, stale: staleInstruments) }
        guard multicast.load(ordering: .relaxed) else { return out }
        let t = receiver
        let lines = SessionLine.allCases.map(\.name)
        for i in 0..<3 {
            out.append(MetricSample("quotecast_feed_datagrams_total", .counter, help: "Datagrams received, by line",
                                    labels: [("line", lines[i])], value: Double(t.datagrams[i])))
        }
        for i in 0..<3 {
            out.append(MetricSample("quotecast_feed_bytes_total", .counter, help: "Datagram bytes received, by line",
                                    labels: [("line", lines[i])], value: Double(t.bytes[i])))
        }
        for i in 0..<2 {
            out.append(MetricSample("quotecast_feed_heartbeats_total", .counter, help: "MoldUDP64 heartbeats received, by line",
                                    labels: [("line", lines[i])], value: Double(t.heartbeats[i])))
        }
        for (reason, v) in [("short", t.malformedShort), ("framing", t.malformedFraming), ("session", t.malformedSession),
                            ("oversize", t.malformedOversize)] {
            out.append(MetricSample("quotecast_feed_malformed_total", .counter, help: "Malformed datagrams counted and skipped, by reason",
                                    labels: [("reason", reason)], value: Double(v)))
        }
        for i in 0..<3 {
            out.append(MetricSample("quotecast_feed_receive_buffer_bytes", .gauge, help: "Socket receive buffer granted by the kernel, by line",
                                    labels: [("line", lines[i])], value: Double(t.receiveBuffer[i])))
        }
        let plain: [(String, MetricSample.Kind, String, Int)] = [
            ("quotecast_feed_duplicate_packets_total", .counter, "Packets already applied (the other line's copy), dropped", t.duplicatePackets),
            ("quotecast_feed_duplicate_messages_total", .counter, "Messages already applied, dropped", t.duplicateMessages),
            ("quotecast_feed_old_session_packets_total", .counter, "Packets of a session already replaced, dropped", t.oldSessionPackets),
            ("quotecast_feed_frozen_packets_total", .counter, "Packets not applied: a new session began while the books were stale", t.frozenPackets),
            ("quotecast_feed_line_fills_total", .counter, "Holes on one line filled by the other line (not gaps)", t.lineFills),
            ("quotecast_feed_gaps_total", .counter, "Gaps on every line", t.gaps),
            ("quotecast_feed_gap_messages_total", .counter, "Messages missing in gaps when detected", t.gapMessages),
            ("quotecast_feed_retransmission_requests_total", .counter, "MoldUDP64 retransmission requests sent (retries included)", t.requests),
            ("quotecast_feed_retransmission_retries_total", .counter, "Retransmission requests sent again after a timeout", t.requestRetries),
            ("quotecast_feed_recoveries_total", .counter, "Gaps filled by retransmission", t.gapsRecovered),
            ("quotecast_feed_recovered_messages_total", .counter, "Messages applied from retransmitted packets", t.recoveredMessages),
            ("quotecast_feed_unrecovered_gaps_total", .counter, "Gaps not filled within the recovery timeout (books marked stale)", t.unrecoveredGaps),
            ("quotecast_feed_stale_instruments", .gauge, "Instruments currently marked stale", staleInstruments),
            ("quotecast_feed_unstale_total", .counter, "Late recoveries that cleared the stale mark", t.unstaleEvents),
            ("quotecast_feed_buffered_packets", .gauge, "Packets waiting behind a gap", t.buffered),
            ("quotecast_feed_buffer_overflows_total", .counter, "Packets dropped because the gap buffer was full", t.bufferOverflows),
            ("quotecast_feed_sessions_total", .counter, "MoldUDP64 sessions seen", t.sessions),
            ("quotecast_feed_ends_of_session_total", .counter, "End-of-session packets honoured", t.endsOfSession),
            ("quotecast_feed_silences_total", .counter, "Times a line or the feed went silent", t.silences),
            ("quotecast_feed_next_sequence", .gauge, "Next expected MoldUDP64 sequence number", Int(clamping: t.nextSequence)),
        ]
        for (name, kind, help, v) in plain { out.append(MetricSample(name, kind, help: help, value: Double(v))) }
        return out
    }

    /// The KRX adapter's metrics (docs/krx.md, "Receiving the feed"): the same names as the MoldUDP64
    /// receiver's where they mean the same (datagrams and bytes per line, gaps, stale instruments),
    /// records by kind and refusals by reason for the rest.
    static func krxSamples(_ t: KRXReceiverTally, stale: Int) -> [MetricSample] {
        var out: [MetricSample] = []
        for (i, name) in t.streams.enumerated() where i < t.datagrams.count {
            out.append(MetricSample("quotecast_feed_datagrams_total", .counter, help: "Datagrams received, by line",
                                    labels: [("line", name)], value: Double(t.datagrams[i])))
        }
        for (i, name) in t.streams.enumerated() where i < t.bytes.count {
            out.append(MetricSample("quotecast_feed_bytes_total", .counter, help: "Datagram bytes received, by line",
                                    labels: [("line", name)], value: Double(t.bytes[i])))
        }
        for kind in KRXRecordKind.allCases {
            out.append(MetricSample("quotecast_feed_records_total", .counter, help: "KOSCOM records decoded, by kind",
                                    labels: [("kind", kind.name)], value: Double(t.decode.accepted(kind))))
        }
        for reason in KRXRecordError.allCases {
            out.append(MetricSample("quotecast_feed_refused_records_total", .counter,
                                    help: "KOSCOM records refused whole, by reason", labels: [("reason", reason.label)],
                                    value: Double(t.decode.refused(reason))))
        }
        let plain: [(String, MetricSample.Kind, String, Int)] = [
            ("quotecast_feed_malformed_total", .counter, "Datagrams longer than the receiver keeps, skipped", t.oversize),
            ("quotecast_feed_gaps_total", .counter, "Holes in an instrument's record sequence", t.gaps),
            ("quotecast_feed_gap_messages_total", .counter, "Records missing in those holes", Int(clamping: t.missingRecords)),
            ("quotecast_feed_duplicate_messages_total", .counter, "Records already applied or older than the state (duplicates, late reordered), dropped",
             t.duplicateRecords),
            ("quotecast_feed_untracked_records_total", .counter, "Records applied without sequence tracking (tracker full)", t.untrackedRecords),
            ("quotecast_feed_stale_instruments", .gauge, "Instruments currently marked stale", stale),
            ("quotecast_feed_unstale_total", .counter, "Stale marks cleared by the instrument's next quote", t.heals),
            ("quotecast_feed_other_board_records_total", .counter, "Records of boards other than the regular G1, not applied", t.state.otherBoard),
            ("quotecast_feed_invalid_isin_records_total", .counter, "Records whose ISIN check digit is wrong, not applied", t.state.invalidISIN),
            ("quotecast_feed_instruments_full_records_total", .counter, "Records of new instruments past the receiver's capacity, not applied",
             t.state.directoryFull),
        ]
        for (name, kind, help, v) in plain { out.append(MetricSample(name, kind, help: help, value: Double(v))) }
        return out
    }
}

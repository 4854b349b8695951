/// Everything the receiver of a MoldUDP64 session counts, as plain integers: kept by the receiving
/// thread and copied into its owner's shared counters once per receive round.
public struct ReceiverTally: Sendable, Equatable {
    /// Datagrams received per line: A, B, retransmission.
    public var datagrams = [0, 0, 0]
    /// Bytes received per line.
    public var bytes = [0, 0, 0]
    /// Heartbeats per line.
    public var heartbeats = [0, 0, 0]
    /// Malformed datagrams (counted, skipped), by reason: under 20 bytes;
    public var malformedShort = 0
    /// blocks that do not fill the packet with the announced count (or a control packet with a body);
    public var malformedFraming = 0
    /// a session that is not printable ASCII;
    public var malformedSession = 0
    /// longer than the largest datagram kept.
    public var malformedOversize = 0
    /// Packets (and messages) already applied: the later copy of A/B, retransmission overlaps.
    public var duplicatePackets = 0
    /// Messages skipped as already applied (whole duplicate packets and overlaps).
    public var duplicateMessages = 0
    /// Packets of a session that has been replaced by a newer one.
    public var oldSessionPackets = 0
    /// Packets not applied because a new session began while the books were stale (until a restart).
    public var frozenPackets = 0
    /// Holes on one line that the other line filled before they counted as gaps.
    public var lineFills = 0
    /// Gaps on every line, and the messages missing in them when confirmed.
    public var gaps = 0
    /// Messages missing in those gaps when they were confirmed.
    public var gapMessages = 0
    /// Retransmission requests sent (retries included), and the retries alone.
    public var requests = 0
    /// Requests sent again after a timeout.
    public var requestRetries = 0
    /// Gaps filled by retransmission, and the messages applied from retransmitted packets.
    public var gapsRecovered = 0
    /// Messages applied from retransmitted packets.
    public var recoveredMessages = 0
    /// Gaps not filled within the recovery timeout (each marks the books stale).
    public var unrecoveredGaps = 0
    /// Times stale instruments became current again (a late recovery).
    public var unstaleEvents = 0
    /// Packets waiting behind a gap now, and packets dropped because that buffer was full.
    public var buffered = 0
    /// Packets dropped because the gap buffer was full (asked for again later).
    public var bufferOverflows = 0
    /// Sessions started (the first one included), ends of session seen.
    public var sessions = 0
    /// End-of-session packets honoured (once per session).
    public var endsOfSession = 0
    /// Times a line or the feed went silent.
    public var silences = 0
    /// Receive buffer granted per line socket (A, B, retransmission), bytes.
    public var receiveBuffer = [0, 0, 0]
    /// Next expected sequence number.
    public var nextSequence: UInt64 = 0

    /// All zero.
    public init() {}
}

extension ReceiverTally {
    /// Adds `other`'s counts to these (gauges too: a sum over channels). The receive buffer stays the
    /// largest granted.
    public mutating func accumulate(_ other: ReceiverTally) {
        for i in 0..<3 {
            datagrams[i] += other.datagrams[i]
            bytes[i] += other.bytes[i]
            heartbeats[i] += other.heartbeats[i]
            receiveBuffer[i] = max(receiveBuffer[i], other.receiveBuffer[i])
        }
        malformedShort += other.malformedShort
        malformedFraming += other.malformedFraming
        malformedSession += other.malformedSession
        malformedOversize += other.malformedOversize
        duplicatePackets += other.duplicatePackets
        duplicateMessages += other.duplicateMessages
        oldSessionPackets += other.oldSessionPackets
        frozenPackets += other.frozenPackets
        lineFills += other.lineFills
        gaps += other.gaps
        gapMessages += other.gapMessages
        requests += other.requests
        requestRetries += other.requestRetries
        gapsRecovered += other.gapsRecovered
        recoveredMessages += other.recoveredMessages
        unrecoveredGaps += other.unrecoveredGaps
        unstaleEvents += other.unstaleEvents
        buffered += other.buffered
        bufferOverflows += other.bufferOverflows
        sessions += other.sessions
        endsOfSession += other.endsOfSession
        silences += other.silences
    }
}

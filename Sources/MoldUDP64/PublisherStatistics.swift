/// What a publisher sent, for the progress line and the final report.
public struct PublisherStatistics: Sendable, Equatable {
    /// Messages put into packets.
    public var messages = 0
    /// Data packets built (each sent once per line unless dropped).
    public var packets = 0
    /// Datagrams sent per line (A, B), faults included.
    public var datagrams = [0, 0]
    /// Packets dropped, duplicated, reordered, and malformed datagrams injected, per line.
    public var dropped = [0, 0]
    /// Packets sent twice, per line.
    public var duplicated = [0, 0]
    /// Packets swapped with the next one, per line.
    public var reordered = [0, 0]
    /// Malformed datagrams injected, per line.
    public var malformed = [0, 0]
    /// Heartbeats sent (per line, counted once).
    public var heartbeats = 0
    /// Datagrams the socket refused per line (a firewall, a lost route): counted and skipped, so a
    /// failing line A does not stop line B; receivers recover them from the retransmission window.
    public var sendErrors = [0, 0]
    /// The latest refusal, for the report.
    public var lastSendError: String?
    /// All zero.
    public init() {}
}

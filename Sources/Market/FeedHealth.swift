/// The feed's state as `/healthz` and `/metrics` show it.
public enum FeedHealth: UInt8, Sendable, CaseIterable {
    /// Nothing received yet.
    case starting = 0
    /// Packets arrive and every message so far was applied in order.
    case live = 1
    /// A gap on every line is being filled from the retransmission server; books wait (not wrong).
    case recovering = 2
    /// A gap could not be filled in time: instruments are marked stale, their books are frozen at the
    /// last state the feed handler can vouch for.
    case stale = 3
    /// No packet and no heartbeat for the silence timeout.
    case silent = 4
    /// The session ended (end-of-session packet, every message before it applied); a source that ran
    /// out (a file, the simulator's message limit) also ends here.
    case ended = 5

    /// The lower-case name used in logs, `/healthz` and the `state` label of the health metric.
    public var name: String {
        switch self {
        case .starting: "starting"
        case .live: "live"
        case .recovering: "recovering"
        case .stale: "stale"
        case .silent: "silent"
        case .ended: "ended"
        }
    }

    /// Whether `/healthz` answers 200: the feed is live (or briefly recovering a gap).
    public var isHealthy: Bool { self == .live || self == .recovering }
}

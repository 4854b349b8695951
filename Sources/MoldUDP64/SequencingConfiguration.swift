/// How a receiver takes in and sequences a MoldUDP64 session: its sockets' interface and buffers, the
/// gap buffer, and the timers and limits of recovery. One set of settings for every receiver: the
/// exchange's lines A/B (`MoldUDP64FeedConfiguration`) and a gateway node's channels.
public struct SequencingConfiguration: Sendable, Equatable {
    /// Address of the interface the groups are joined on (and requests are sent from). Default 127.0.0.1.
    public var interface: String = "127.0.0.1"
    /// Receive buffer asked for per socket, bytes. Default 16 MiB (SO_RCVBUFFORCE as root, else
    /// capped by `net.core.rmem_max`; the granted size is logged).
    public var receiveBuffer: Int = 16 << 20
    /// Largest datagram kept; longer ones are counted as malformed. Default 2048.
    public var maxDatagram: Int = 2048
    /// Packets that may wait behind a gap (each up to `maxDatagram` bytes). Default 4096.
    public var bufferPackets: Int = 4096
    /// How long a gap on one line waits for the other line (or for a late, reordered packet on a quiet
    /// line) before it is a gap on every line. Default 20 ms; 0 with a single line.
    public var lineWaitNanoseconds: UInt64 = 20_000_000
    /// How long an unanswered retransmission request waits before it is sent again. Default 100 ms.
    public var requestTimeoutNanoseconds: UInt64 = 100_000_000
    /// How long a gap on every line may stay open before the receiver gives up on it (the books are
    /// marked stale, or a channel resynchronizes from a snapshot). Default 1 s.
    public var recoveryTimeoutNanoseconds: UInt64 = 1_000_000_000
    /// Most messages asked for in one request. Default 2000.
    public var maxRequestMessages: Int = 2000
    /// Most requests sent per second (a token bucket of this depth). Default 50.
    public var maxRequestsPerSecond: Int = 50
    /// No packet and no heartbeat for this long makes a line (or the whole session) silent. Default 3 s.
    public var silenceNanoseconds: UInt64 = 3_000_000_000

    /// The documented defaults.
    public init() {}
}

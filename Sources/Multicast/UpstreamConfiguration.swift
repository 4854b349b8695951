import MoldUDP64
import Sockets
import System

/// How a gateway node (`quotecast gateway`) receives a feed node's normalized channels: where they
/// are, where the feed node's snapshot and retransmission service is, and the limits of recovery.
/// Every limit has a documented default (docs/operations.md).
public struct UpstreamConfiguration: Sendable, Equatable {
    /// Channel 0's group and port (the feed node's `--publish`); channel i is on GROUP+i.
    public var group: SocketAddress
    /// How many channels the feed node publishes (its `--channels`).
    public var channels: Int
    /// The feed node's `--service`: snapshots over TCP, retransmissions over UDP, same port.
    public var service: SocketAddress
    /// How long one snapshot fetch (connect, request, whole answer) may take. Default 5 s.
    public var snapshotTimeoutMilliseconds: Int32 = 5_000
    /// The channel sockets' settings and the sequencing's timers and limits, as for the exchange's
    /// lines. Here `recoveryTimeoutNanoseconds` is how long a gap the service has not filled may last
    /// before the channel is resynchronized from a snapshot; `receiveBuffer` also holds the live
    /// packets while a snapshot is being fetched; `maxDatagram` must be at least the feed node's
    /// `--payload-size` (longer datagrams are cut by the kernel, counted as malformed and logged, and
    /// leave a gap that retransmission, sent in packets of the same size, cannot fill). With one line
    /// per channel, a hole is a gap at once (`lineWaitNanoseconds` 0).
    public var sequencing: SequencingConfiguration = {
        var s = SequencingConfiguration()
        s.lineWaitNanoseconds = 0
        return s
    }()
    /// Fault injection for tests and drills: drop this fraction of the channel datagrams received
    /// (before sequencing, so recovery has to fill them). Default 0.
    public var dropRate: Double = 0
    /// Seed of the drop decisions.
    public var dropSeed: UInt64 = 1
    /// How the receiving thread waits when no datagram arrived (`MulticastInput.wait`; the gateway's
    /// `--wait`). Default `.adaptive`.
    public var wait: WaitStrategy = .adaptive

    /// Channels `group`+0..<`channels` and the feed node's `service`, every limit at its default.
    public init(group: SocketAddress, channels: Int, service: SocketAddress) {
        self.group = group
        self.channels = channels
        self.service = service
    }

    /// The group of `channel` (GROUP+channel, same port); nil if that leaves the multicast range.
    public func group(ofChannel channel: Int) -> SocketAddress? {
        FeedNodeOutput(group: group, interface: sequencing.interface, ttl: 1).group(ofChannel: channel)
    }
}

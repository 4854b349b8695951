import Feed
import Sockets

/// How a gateway node (`quotecast gateway`) receives a feed node's normalized channels: where they
/// are, where the feed node's snapshot and retransmission service is, and the limits of recovery.
/// Every limit has a documented default (docs/operations.md).
public struct UpstreamConfiguration: Sendable, Equatable {
    /// Channel 0's group and port (the feed node's `--publish`); channel i is on GROUP+i.
    public var group: SocketAddress
    /// How many channels the feed node publishes (its `--channels`).
    public var channels: Int
    /// Address of the interface the groups are joined on and requests are sent from.
    public var interface: String = "127.0.0.1"
    /// The feed node's `--service`: snapshots over TCP, retransmissions over UDP, same port.
    public var service: SocketAddress
    /// Receive buffer asked for per channel socket, bytes (default 16 MiB). It also holds the live
    /// packets while a snapshot is being fetched.
    public var receiveBuffer: Int = 16 << 20
    /// How long one snapshot fetch (connect, request, whole answer) may take. Default 5 s.
    public var snapshotTimeoutMilliseconds: Int32 = 5_000
    /// A gap the retransmission service has not filled after this long is unrecoverable: the channel
    /// is resynchronized from a snapshot. Default 1 s.
    public var recoveryTimeoutNanoseconds: UInt64 = 1_000_000_000
    /// How long an unanswered retransmission request waits before it is sent again. Default 100 ms.
    public var requestTimeoutNanoseconds: UInt64 = 100_000_000
    /// No packet and no heartbeat on a channel for this long makes it silent (the feed node sends a
    /// heartbeat every second). Default 3 s.
    public var silenceNanoseconds: UInt64 = 3_000_000_000
    /// Largest datagram accepted, bytes (default 2048): at least the feed node's `--payload-size`.
    /// Longer ones are cut by the kernel, counted as malformed (oversize) and logged, and leave a gap
    /// that retransmission, sent in packets of the same size, cannot fill. Every channel keeps up to
    /// 4096 packets of this size behind a gap, so memory grows with it.
    public var maxDatagram: Int = 2048
    /// Fault injection for tests and drills: drop this fraction of the channel datagrams received
    /// (before sequencing, so recovery has to fill them). Default 0.
    public var dropRate: Double = 0
    /// Seed of the drop decisions.
    public var dropSeed: UInt64 = 1

    public init(group: SocketAddress, channels: Int, service: SocketAddress) {
        self.group = group
        self.channels = channels
        self.service = service
    }

    /// The group of `channel` (GROUP+channel, same port); nil if that leaves the multicast range.
    public func group(ofChannel channel: Int) -> SocketAddress? {
        FeedNodeOutput(group: group, interface: interface, ttl: 1).group(ofChannel: channel)
    }

    /// The sequencing settings of one channel: its group as the only line, the service as the
    /// retransmission server.
    func sequencing(channel: Int) -> MulticastFeedConfiguration {
        var c = MulticastFeedConfiguration(lineA: group(ofChannel: channel)!)
        c.interface = interface
        c.retransmit = service
        c.receiveBuffer = receiveBuffer
        c.maxDatagram = maxDatagram
        c.recoveryTimeoutNanoseconds = recoveryTimeoutNanoseconds
        c.requestTimeoutNanoseconds = requestTimeoutNanoseconds
        c.silenceNanoseconds = silenceNanoseconds
        // One line: a hole is a gap at once (no other line to wait for).
        c.lineWaitNanoseconds = 0
        return c
    }
}

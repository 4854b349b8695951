import Sockets

/// Where and how the feed handler receives the exchange's MoldUDP64 multicast: the `--feed
/// moldudp64://GROUP:PORT?interface=ADDR&b=GROUP:PORT&retransmit=HOST:PORT&...` URL, parsed and
/// validated once at start-up (`init(url:)`), every limit with a documented default.
public struct MulticastFeedConfiguration: Sendable, Equatable {
    /// Line A's group and port.
    public var lineA: SocketAddress
    /// Line B's group and port, if the exchange sends a redundant copy.
    public var lineB: SocketAddress?
    /// Address of the interface the groups are joined on (and requests are sent from). Default 127.0.0.1.
    public var interface: String = "127.0.0.1"
    /// The exchange's MoldUDP64 retransmission request server, if any.
    public var retransmit: SocketAddress?
    /// Receive buffer asked for per line socket, bytes. Default 16 MiB (SO_RCVBUFFORCE as root, else
    /// capped by `net.core.rmem_max`; the granted size is logged).
    public var receiveBuffer: Int = 16 << 20
    /// Packets that may wait behind a gap (each up to `maxDatagram` bytes). Default 4096.
    public var bufferPackets: Int = 4096
    /// Largest datagram kept; longer ones are counted as malformed. Default 2048.
    public var maxDatagram: Int = 2048
    /// How long a gap on one line waits for the other line (or for a late, reordered packet on a quiet
    /// line) before it is a gap on both lines. Default 20 ms.
    public var lineWaitNanoseconds: UInt64 = 20_000_000
    /// How long an unanswered retransmission request waits before it is sent again. Default 100 ms.
    public var requestTimeoutNanoseconds: UInt64 = 100_000_000
    /// How long a gap on both lines may stay open before the books are marked stale. Default 1 s.
    public var recoveryTimeoutNanoseconds: UInt64 = 1_000_000_000
    /// Most messages asked for in one request. Default 2000.
    public var maxRequestMessages: Int = 2000
    /// Most requests sent per second (a token bucket of this depth). Default 50.
    public var maxRequestsPerSecond: Int = 50
    /// No packet and no heartbeat for this long makes a line (or the whole feed) silent. Default 3 s.
    public var silenceNanoseconds: UInt64 = 3_000_000_000

    /// A configuration for line A only, every other setting at its default.
    public init(lineA: SocketAddress) { self.lineA = lineA }

    /// Parses `moldudp64://GROUP:PORT[?key=value&...]`. Keys: `interface`, `b`, `retransmit`,
    /// `rcvbuf` (bytes), `buffer` (packets), `line-wait`, `request-timeout`, `recovery-timeout`,
    /// `silence` (milliseconds), `max-request` (messages), `request-rate` (per second).
    public init(url: String) throws(FeedURLError) {
        let scheme = "moldudp64://"
        guard url.hasPrefix(scheme) else { throw FeedURLError("expected moldudp64://GROUP:PORT, got '\(url)'") }
        let rest = url.dropFirst(scheme.count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let groupText = String(parts[0])
        guard let a = SocketAddress(parsing: groupText), a.isMulticast, a.port != 0 else {
            throw FeedURLError("line A '\(groupText)' is not a multicast GROUP:PORT (224.0.0.0-239.255.255.255, port 1-65535)")
        }
        self.init(lineA: a)
        guard parts.count == 2 else { return }
        var seen = Set<String>()
        for pair in parts[1].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, !kv[1].isEmpty else { throw FeedURLError("'\(pair)' is not key=value") }
            let key = String(kv[0]), value = String(kv[1])
            guard seen.insert(key).inserted else { throw FeedURLError("'\(key)' given twice") }
            func number(_ range: ClosedRange<Int>) throws(FeedURLError) -> Int {
                guard let n = Int(value), range.contains(n) else {
                    throw FeedURLError("\(key): expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(value)'")
                }
                return n
            }
            func milliseconds(_ range: ClosedRange<Int>) throws(FeedURLError) -> UInt64 {
                UInt64(try number(range)) * 1_000_000
            }
            switch key {
            case "interface":
                guard SocketAddress(host: value, port: 0) != nil else { throw FeedURLError("interface: '\(value)' is not an IPv4 address") }
                interface = value
            case "b":
                guard let b = SocketAddress(parsing: value), b.isMulticast, b.port != 0 else {
                    throw FeedURLError("b: '\(value)' is not a multicast GROUP:PORT")
                }
                guard b != a else { throw FeedURLError("b: line B must differ from line A") }
                lineB = b
            case "retransmit":
                guard let r = SocketAddress(parsing: value), r.port != 0, !r.isMulticast else {
                    throw FeedURLError("retransmit: '\(value)' is not a unicast HOST:PORT")
                }
                retransmit = r
            case "rcvbuf": receiveBuffer = try number(65_536...(1 << 30))
            case "buffer": bufferPackets = try number(16...1_000_000)
            case "line-wait": lineWaitNanoseconds = try milliseconds(0...10_000)
            case "request-timeout": requestTimeoutNanoseconds = try milliseconds(1...60_000)
            case "recovery-timeout": recoveryTimeoutNanoseconds = try milliseconds(1...3_600_000)
            case "silence": silenceNanoseconds = try milliseconds(10...3_600_000)
            case "max-request": maxRequestMessages = try number(1...65_534)
            case "request-rate": maxRequestsPerSecond = try number(1...100_000)
            default:
                throw FeedURLError("unknown key '\(key)' (interface, b, retransmit, rcvbuf, buffer, line-wait, "
                                   + "request-timeout, recovery-timeout, silence, max-request, request-rate)")
            }
        }
    }
}

/// A `--feed` URL that cannot be used, saying which part and why.
public struct FeedURLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One line naming the part at fault.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

import Sockets

/// Where the feed handler receives an exchange's MoldUDP64 session: lines A (and B) and the
/// retransmission server, and how it sequences them. The `--feed moldudp64://GROUP:PORT?...` URL
/// (`interface=ADDR&b=GROUP:PORT&retransmit=HOST:PORT&...`), parsed and validated once at start-up
/// (`init(url:)`), every limit with a documented default.
public struct MoldUDP64FeedConfiguration: Sendable, Equatable {
    /// Line A's group and port.
    public var lineA: SocketAddress
    /// Line B's group and port, if the exchange sends a redundant copy.
    public var lineB: SocketAddress?
    /// The exchange's MoldUDP64 retransmission request server, if any.
    public var retransmit: SocketAddress?
    /// The sockets' settings and the sequencing's buffers, timers and limits.
    public var sequencing = SequencingConfiguration()

    /// A configuration for line A only, every other setting at its default.
    public init(lineA: SocketAddress) { self.lineA = lineA }

    /// Parses `moldudp64://GROUP:PORT[?key=value&...]`. Keys: `interface`, `b`, `retransmit`,
    /// `rcvbuf` (bytes), `buffer` (packets), `line-wait`, `request-timeout`, `recovery-timeout`,
    /// `silence` (milliseconds), `max-request` (messages), `request-rate` (per second).
    public init(url: String) throws(MoldUDP64URLError) {
        let scheme = "moldudp64://"
        guard url.hasPrefix(scheme) else { throw MoldUDP64URLError("expected moldudp64://GROUP:PORT, got '\(url)'") }
        let rest = url.dropFirst(scheme.count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let groupText = String(parts[0])
        guard let a = SocketAddress(parsing: groupText), a.isMulticast, a.port != 0 else {
            throw MoldUDP64URLError("line A '\(groupText)' is not a multicast GROUP:PORT (224.0.0.0-239.255.255.255, port 1-65535)")
        }
        self.init(lineA: a)
        guard parts.count == 2 else { return }
        var seen = Set<String>()
        for pair in parts[1].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, !kv[1].isEmpty else { throw MoldUDP64URLError("'\(pair)' is not key=value") }
            let key = String(kv[0]), value = String(kv[1])
            guard seen.insert(key).inserted else { throw MoldUDP64URLError("'\(key)' given twice") }
            func number(_ range: ClosedRange<Int>) throws(MoldUDP64URLError) -> Int {
                guard let n = Int(value), range.contains(n) else {
                    throw MoldUDP64URLError("\(key): expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(value)'")
                }
                return n
            }
            func milliseconds(_ range: ClosedRange<Int>) throws(MoldUDP64URLError) -> UInt64 {
                UInt64(try number(range)) * 1_000_000
            }
            switch key {
            case "interface":
                guard SocketAddress(host: value, port: 0) != nil else { throw MoldUDP64URLError("interface: '\(value)' is not an IPv4 address") }
                sequencing.interface = value
            case "b":
                guard let b = SocketAddress(parsing: value), b.isMulticast, b.port != 0 else {
                    throw MoldUDP64URLError("b: '\(value)' is not a multicast GROUP:PORT")
                }
                guard b != a else { throw MoldUDP64URLError("b: line B must differ from line A") }
                lineB = b
            case "retransmit":
                guard let r = SocketAddress(parsing: value), r.port != 0, !r.isMulticast else {
                    throw MoldUDP64URLError("retransmit: '\(value)' is not a unicast HOST:PORT")
                }
                retransmit = r
            case "rcvbuf": sequencing.receiveBuffer = try number(65_536...(1 << 30))
            case "buffer": sequencing.bufferPackets = try number(16...1_000_000)
            case "line-wait": sequencing.lineWaitNanoseconds = try milliseconds(0...10_000)
            case "request-timeout": sequencing.requestTimeoutNanoseconds = try milliseconds(1...60_000)
            case "recovery-timeout": sequencing.recoveryTimeoutNanoseconds = try milliseconds(1...3_600_000)
            case "silence": sequencing.silenceNanoseconds = try milliseconds(10...3_600_000)
            case "max-request": sequencing.maxRequestMessages = try number(1...65_534)
            case "request-rate": sequencing.maxRequestsPerSecond = try number(1...100_000)
            default:
                throw MoldUDP64URLError("unknown key '\(key)' (interface, b, retransmit, rcvbuf, buffer, line-wait, "
                                   + "request-timeout, recovery-timeout, silence, max-request, request-rate)")
            }
        }
    }
}

extension MoldUDP64FeedConfiguration {
    /// Joins line A (and B) on the configured interface and, with a retransmission server, binds the
    /// socket that asks it and hears its answers: streams A, B (if configured), then the unicast one,
    /// the order the feed's MoldUDP64 adapter expects.
    public func openInput() throws(SystemError) -> MulticastInput {
        try MulticastInput(groups: [lineA] + (lineB.map { [$0] } ?? []), interface: sequencing.interface,
                           receiveBuffer: sequencing.receiveBuffer, unicast: retransmit != nil,
                           maxDatagram: sequencing.maxDatagram)
    }
}

/// A `--feed moldudp64://` URL that cannot be used, saying which part and why.
public struct MoldUDP64URLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One line naming the part at fault.
    public let message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

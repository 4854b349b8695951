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
        let parsed = try EndpointURL(url, scheme: "moldudp64", example: "GROUP:PORT")
        guard parsed.endpoints.count == 1 else {
            throw MoldUDP64URLError("one line A GROUP:PORT before '?', got \(parsed.endpoints.count) (line B is b=GROUP:PORT)")
        }
        let a = try EndpointURL.multicastGroup(parsed.endpoints[0], what: "line A")
        self.init(lineA: a)
        for (key, value) in parsed.parameters {
            func number(_ range: ClosedRange<Int>) throws(MoldUDP64URLError) -> Int {
                try EndpointURL.integer(value, key: key, in: range)
            }
            func milliseconds(_ range: ClosedRange<Int>) throws(MoldUDP64URLError) -> UInt64 {
                try EndpointURL.milliseconds(value, key: key, in: range)
            }
            switch key {
            case "interface": sequencing.interface = try EndpointURL.interfaceAddress(value, key: key)
            case "b":
                let b = try EndpointURL.multicastGroup(value, what: "b:")
                guard b != a else { throw MoldUDP64URLError("b: line B must differ from line A") }
                lineB = b
            case "retransmit": retransmit = try EndpointURL.unicastEndpoint(value, what: key)
            case "rcvbuf": sequencing.receiveBuffer = try number(65_536...(1 << 30))
            case "buffer": sequencing.bufferPackets = try number(16...1_000_000)
            case "line-wait": sequencing.lineWaitNanoseconds = try milliseconds(0...10_000)
            case "request-timeout": sequencing.requestTimeoutNanoseconds = try milliseconds(1...60_000)
            case "recovery-timeout": sequencing.recoveryTimeoutNanoseconds = try milliseconds(1...3_600_000)
            case "silence": sequencing.silenceNanoseconds = try milliseconds(10...3_600_000)
            case "max-request": sequencing.maxRequestMessages = try number(1...65_534)
            case "request-rate": sequencing.maxRequestsPerSecond = try number(1...100_000)
            default:
                throw EndpointURL.unknownKey(key, known: ["interface", "b", "retransmit", "rcvbuf", "buffer", "line-wait",
                                                          "request-timeout", "recovery-timeout", "silence", "max-request",
                                                          "request-rate"])
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
public typealias MoldUDP64URLError = EndpointURLError

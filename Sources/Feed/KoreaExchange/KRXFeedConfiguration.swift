import Sockets

/// Where the feed handler receives KOSCOM's real-time feed of the Korea Exchange: the multicast
/// groups and ports of the product groups subscribed to (KOSCOM sends one product — Securities A,
/// KOSPI; Securities B, KOSDAQ and KONEX — over several ports), and the receiver's limits. The
/// `--feed krx://GROUP:PORT[,GROUP:PORT…]?interface=ADDR&…` URL, parsed and validated once at
/// start-up, every limit with a documented default (docs/krx.md, "Receiving the feed").
public struct KRXFeedConfiguration: Sendable, Equatable {
    /// Most streams one receiver joins (the per-stream counters are fixed-size).
    public static let maxStreams = 16

    /// The groups and ports joined, in stream order.
    public var streams: [SocketAddress]
    /// Address of the interface the groups are joined on. Default 127.0.0.1.
    public var interface = "127.0.0.1"
    /// Receive buffer asked for per socket, bytes. Default 16 MiB.
    public var receiveBuffer = 16 << 20
    /// Largest datagram kept; a longer one is counted (`oversize`) and skipped. Default 4096 (KOSCOM
    /// does not state a size; a record is at most 632 bytes, the simulator packs up to 1 400).
    public var maxDatagram = 4_096
    /// No datagram on any stream for this long makes the feed `silent`. Default 90 s: the quietest
    /// record, polling (`I2000`), comes once a minute on every line.
    public var silenceNanoseconds: UInt64 = 90_000_000_000
    /// Instruments the receiver keeps state for (the KRX lists about 2 700 stocks). Default 4 096.
    public var instrumentCapacity = 4_096

    /// A configuration receiving `streams`, every other setting at its default.
    public init(streams: [SocketAddress]) { self.streams = streams }

    /// Parses `krx://GROUP:PORT[,GROUP:PORT…][?key=value&…]`. Keys: `interface`, `rcvbuf` (bytes),
    /// `max-datagram` (bytes), `silence` (milliseconds), `instruments`.
    public init(url: String) throws(EndpointURLError) {
        let parsed = try EndpointURL(url, scheme: "krx", example: "GROUP:PORT[,GROUP:PORT...]")
        var streams: [SocketAddress] = []
        for text in parsed.endpoints {
            let group = try EndpointURL.multicastGroup(text, what: "stream")
            guard !streams.contains(group) else { throw EndpointURLError("stream '\(text)' given twice") }
            streams.append(group)
        }
        guard streams.count <= Self.maxStreams else {
            throw EndpointURLError("at most \(Self.maxStreams) GROUP:PORT streams, got \(streams.count)")
        }
        self.init(streams: streams)
        for (key, value) in parsed.parameters {
            switch key {
            case "interface": interface = try EndpointURL.interfaceAddress(value, key: key)
            case "rcvbuf": receiveBuffer = try EndpointURL.integer(value, key: key, in: 65_536...(1 << 30))
            case "max-datagram": maxDatagram = try EndpointURL.integer(value, key: key, in: 632...65_507)
            case "silence": silenceNanoseconds = try EndpointURL.milliseconds(value, key: key, in: 10...3_600_000)
            case "instruments": instrumentCapacity = try EndpointURL.integer(value, key: key, in: 1...65_000)
            default:
                throw EndpointURL.unknownKey(key, known: ["interface", "rcvbuf", "max-datagram", "silence", "instruments"])
            }
        }
    }

    /// Joins every stream's group on the configured interface, in stream order.
    public func openInput() throws(SystemError) -> MulticastInput {
        try MulticastInput(groups: streams, interface: interface, receiveBuffer: receiveBuffer, unicast: false,
                           maxDatagram: maxDatagram)
    }
}

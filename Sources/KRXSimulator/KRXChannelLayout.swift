import KRX

/// How the simulated day goes out on the wire, KOSCOM's way: two products — Securities A (KOSPI)
/// and Securities B (KOSDAQ and KONEX) — each sent over several ports (destinations). The
/// destinations are numbered: Securities A's `0..<securitiesAPorts`, then Securities B's; the
/// caller maps numbers to multicast groups and ports.
///
/// Where the specification is silent (its port sheet for these products is not published with
/// v2.018), quotecast chooses: an instrument's real-time records always take the same port of its
/// product (its ISIN decides), so its sequence numbers arrive in order on one socket; the master
/// batch and its end-of-batch marker take the product's first port; polling (`I2000`) goes to every
/// port, as KOSCOM sends it on every channel.
public struct KRXChannelLayout: Sendable {
    /// Ports of Securities A (KOSPI).
    public let securitiesAPorts: Int
    /// Ports of Securities B (KOSDAQ, KONEX).
    public let securitiesBPorts: Int
    /// Records routed, per TR code (a polling record once per destination it went to).
    public private(set) var recordsSent: [TRCode: Int] = [:]
    /// Records routed (a polling record once, however many destinations it went to).
    public private(set) var recordsRouted = 0

    /// A layout of `securitiesAPorts` + `securitiesBPorts` destinations (at least one each).
    public init(securitiesAPorts: Int, securitiesBPorts: Int) {
        precondition(securitiesAPorts > 0 && securitiesBPorts > 0)
        self.securitiesAPorts = securitiesAPorts
        self.securitiesBPorts = securitiesBPorts
    }

    /// All destinations.
    public var destinationCount: Int { securitiesAPorts + securitiesBPorts }

    /// The destination of a real-time record of `isin` in `market`.
    public func destination(of isin: ISIN, market: KRXMarket) -> Int {
        // An FNV-1a step per word: stable across runs and builds.
        let hash = (isin.high ^ 0xCBF2_9CE4_8422_2325) &* 0x100_0000_01B3 ^ UInt64(isin.low)
        let spread = hash &* 0x100_0000_01B3
        return market == .kospi ? Int(spread % UInt64(securitiesAPorts))
            : securitiesAPorts + Int(spread % UInt64(securitiesBPorts))
    }

    /// The first destination of `market`'s product.
    public func firstDestination(of market: KRXMarket) -> Int { market == .kospi ? 0 : securitiesAPorts }

    /// Splits `payload` (whole well-formed records, the simulator's) into one payload per destination
    /// that gets any of its records, each keeping the records' order; destinations in ascending order.
    public mutating func route(_ payload: KRXPayload) -> [(destination: Int, payload: KRXPayload)] {
        var parts = [[UInt8]](repeating: [], count: destinationCount)
        payload.bytes.withUnsafeBytes { raw in
            var reader = KRXRecordReader(payload: raw)
            var start = 0
            while let record = reader.next() {
                let bytes = raw[start..<reader.offset]
                start = reader.offset
                recordsRouted += 1
                let code = record.trCode
                if let isin = record.sequenceKey?.isin, let market = code.market {
                    parts[destination(of: isin, market: market)] += bytes
                    recordsSent[code, default: 0] += 1
                } else if let market = code.market {
                    // The master batch and its end-of-batch marker.
                    parts[firstDestination(of: market)] += bytes
                    recordsSent[code, default: 0] += 1
                } else {
                    // Polling.
                    for d in 0..<destinationCount { parts[d] += bytes }
                    recordsSent[code, default: 0] += destinationCount
                }
            }
            precondition(reader.statistics.refusedTotal == 0, "the simulator wrote a record its reader refuses")
        }
        return parts.enumerated().compactMap { d, bytes in
            bytes.isEmpty ? nil : (d, KRXPayload(bytes: bytes, time: payload.time))
        }
    }
}

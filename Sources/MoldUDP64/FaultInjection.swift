/// Faults the exchange side injects on its lines, for tests of the receiver. All decisions come from a
/// generator seeded by `seed`, so a run is reproducible.
public struct FaultInjection: Sendable, Equatable {
    /// Which lines the faults apply to.
    public enum Lines: String, Sendable, Equatable {
        case a, b
        /// Each line independently (different packets on each).
        case both
    }
    /// Probability that a packet is not sent on a faulted line.
    public var dropRate: Double = 0
    /// Drop every Nth packet on a faulted line (0 = off). With `.both` the same packets go missing
    /// on both lines: each such gap needs the retransmission server.
    public var dropEvery: Int = 0
    /// Probability that a packet is sent after the one that follows it (swapped).
    public var reorderRate: Double = 0
    /// Probability that a packet is sent twice.
    public var duplicateRate: Double = 0
    /// Probability that a malformed datagram (a cut copy, a wrong count, a short header, garbage) is
    /// sent after a packet, in addition to it.
    public var malformedRate: Double = 0
    /// The faulted lines.
    public var lines: Lines = .a
    /// Seed of the fault generator.
    public var seed: UInt64 = 1

    /// No faults.
    public init() {}

    /// Whether any fault is configured.
    public var isEmpty: Bool { dropRate == 0 && dropEvery == 0 && reorderRate == 0 && duplicateRate == 0 && malformedRate == 0 }

    func applies(toLine index: Int) -> Bool {
        switch lines {
        case .a: index == 0
        case .b: index == 1
        case .both: true
        }
    }
}

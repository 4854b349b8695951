import KRX
import Market

/// Damage to do to a payload stream, to test receivers: each rate is a probability per payload.
public struct KRXFaults: Sendable, Equatable {
    /// Payloads lost.
    public var dropRate: Double = 0
    /// Payloads sent twice in a row.
    public var duplicateRate: Double = 0
    /// Payloads swapped with the one after them.
    public var reorderRate: Double = 0
    /// Payloads followed by a damaged copy (one of: cut inside a record, a non-digit in a numeric
    /// field, the end keyword missing, an unknown TR code); the original still arrives, so a receiver
    /// loses nothing by refusing the copy, and the copy's records before the damage are duplicates.
    public var malformedRate: Double = 0
    /// Seed of the faults' own random generator (independent of the day's).
    public var seed: UInt64 = 1

    /// No faults.
    public init() {}

    /// Whether every rate is 0.
    public var isEmpty: Bool { dropRate == 0 && duplicateRate == 0 && reorderRate == 0 && malformedRate == 0 }
}

/// What the fault injector did.
public struct KRXFaultStatistics: Sendable, Equatable {
    /// Payloads in.
    public var received = 0
    /// Payloads dropped, duplicated, swapped with the next.
    public var dropped = 0, duplicated = 0, reordered = 0
    /// Damaged copies added, by damage.
    public var cut = 0, nonDigit = 0, missingEndKeyword = 0, unknownTRCode = 0

    /// Nothing done yet.
    public init() {}

    /// All damaged copies.
    public var malformed: Int { cut + nonDigit + missingEndKeyword + unknownTRCode }

    /// Adds another injector's counts (one injector per port).
    public mutating func add(_ other: KRXFaultStatistics) {
        received += other.received
        dropped += other.dropped
        duplicated += other.duplicated
        reordered += other.reordered
        cut += other.cut
        nonDigit += other.nonDigit
        missingEndKeyword += other.missingEndKeyword
        unknownTRCode += other.unknownTRCode
    }
}

/// Applies `KRXFaults` to a stream of payloads, one payload in, zero or more out — a function over
/// the stream, for a simulator's output or a test's. Deterministic for a seed.
public struct KRXFaultInjector: Sendable {
    /// The faults.
    public let faults: KRXFaults
    /// What was done.
    public private(set) var statistics = KRXFaultStatistics()
    var rng: SplitMix64
    /// A payload held back to be sent after the next one (a reorder).
    var held: KRXPayload?

    /// An injector of `faults`.
    public init(_ faults: KRXFaults) {
        self.faults = faults
        rng = SplitMix64(seed: faults.seed ^ 0xFA17_5EED)
    }

    /// What to send for `payload`, in order.
    public mutating func process(_ payload: KRXPayload) -> [KRXPayload] {
        statistics.received += 1
        var out: [KRXPayload] = []
        if chance(faults.dropRate) {
            statistics.dropped += 1
        } else {
            var copies = [payload]
            if chance(faults.duplicateRate) {
                statistics.duplicated += 1
                copies.append(payload)
            }
            if chance(faults.malformedRate) { copies.append(damaged(payload)) }
            if held == nil, chance(faults.reorderRate) {
                statistics.reordered += 1
                held = copies.removeFirst()
                out += copies
                return out
            }
            out += copies
        }
        if let previous = held {
            out.append(previous)
            held = nil
        }
        return out
    }

    /// What is still held back at the end of the stream.
    public mutating func finish() -> [KRXPayload] {
        defer { held = nil }
        return held.map { [$0] } ?? []
    }

    mutating func chance(_ rate: Double) -> Bool { rate > 0 && Double.random(in: 0..<1, using: &rng) < rate }

    /// A copy of `payload` with one of its records damaged.
    mutating func damaged(_ payload: KRXPayload) -> KRXPayload {
        var bytes = payload.bytes
        // The records' starts, to aim the damage at one of them.
        var starts: [Int] = []
        var at = 0
        while at + 5 <= bytes.count {
            starts.append(at)
            guard let end = bytes[at...].firstIndex(of: krxEndKeyword) else { break }
            at = end + 1
        }
        let start = starts.randomElement(using: &rng) ?? 0
        let end = bytes[start...].firstIndex(of: krxEndKeyword) ?? bytes.count - 1
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            statistics.cut += 1
            bytes.removeSubrange(Int.random(in: (start + 1)...end, using: &rng)...)
        case 1:
            statistics.nonDigit += 1
            // Every record has digits right after its TR code: the sequence number, or the polling time.
            bytes[start + 5 + Int.random(in: 0..<4, using: &rng)] = 0x58
        case 2:
            statistics.missingEndKeyword += 1
            bytes[end] = 0x20
        default:
            statistics.unknownTRCode += 1
            bytes[start] = 0x5A
        }
        return KRXPayload(bytes: bytes, time: payload.time)
    }
}

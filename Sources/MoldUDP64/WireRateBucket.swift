/// A bandwidth budget counted in bytes on the wire: a token bucket that fills at `bitsPerSecond / 8`
/// bytes a second up to `burstBytes`, and from which every datagram takes its wire size
/// (`wireBytes(datagram:)`: the UDP payload plus the IPv4 and UDP headers). A sender asks
/// `readyAt(wireBytes:)` when a datagram may leave, sleeps until then (an absolute deadline), and
/// `take`s it; over any interval of length T it then sends at most `burstBytes + rate × T` bytes,
/// and exactly the rate while it has more to send than the budget allows.
///
/// Not `RateLimit`'s GCRA bucket: that one counts whole tokens at an integer number of nanoseconds
/// each, which for bytes is too coarse at gigabit rates (0.8 ns a byte at 10 Gbit/s); this one keeps
/// fractional bytes. A value type owned by its sender's thread. Invariant: 0 ≤ `tokens` ≤ `burstBytes`, as of
/// `filledAt`.
public struct WireRateBucket: Sendable {
    /// Bytes of an IPv4 header (20, no options) and a UDP header (8) around every datagram.
    public static let ipUDPHeaderBytes = 28
    /// The budget, bits per second on the wire.
    public let bitsPerSecond: UInt64
    /// The most bytes that may leave back to back.
    public let burstBytes: Int
    private let bytesPerNanosecond: Double
    private var tokens: Double
    private var filledAt: UInt64

    /// A full bucket of `burstBytes` at `now` (monotonic nanoseconds).
    public init(bitsPerSecond: UInt64, burstBytes: Int, now: UInt64) {
        precondition(bitsPerSecond > 0 && burstBytes > 0)
        self.bitsPerSecond = bitsPerSecond
        self.burstBytes = burstBytes
        bytesPerNanosecond = Double(bitsPerSecond) / 8e9
        tokens = Double(burstBytes)
        filledAt = now
    }

    /// The bytes a datagram of `datagram` UDP payload bytes takes on the wire (IPv4, no options).
    @inline(__always)
    public static func wireBytes(datagram: Int) -> Int { datagram + ipUDPHeaderBytes }

    /// Adds what the budget earned since the last fill, up to the burst. Returns for how long the
    /// bucket was full (nanoseconds): budget that went unused, which a sender that had something
    /// waiting lost (it was not running: a stalled thread).
    @inline(__always) @discardableResult
    public mutating func fill(now: UInt64) -> UInt64 {
        guard now > filledAt else { return 0 }
        let earned = tokens + Double(now - filledAt) * bytesPerNanosecond
        tokens = min(Double(burstBytes), earned)
        filledAt = now
        return earned > Double(burstBytes) ? UInt64((earned - Double(burstBytes)) / bytesPerNanosecond) : 0
    }

    /// Whether `wireBytes` may leave now (after `fill`).
    @inline(__always)
    public func allows(wireBytes: Int) -> Bool { tokens >= Double(wireBytes) }

    /// The earliest monotonic time at which `wireBytes` may leave (`filledAt` when it may now).
    public func readyAt(wireBytes: Int) -> UInt64 {
        let missing = Double(wireBytes) - tokens
        guard missing > 0 else { return filledAt }
        return filledAt + UInt64((missing / bytesPerNanosecond).rounded(.up))
    }

    /// Takes `wireBytes` from the bucket (the datagram left).
    @inline(__always)
    public mutating func take(wireBytes: Int) { tokens = max(0, tokens - Double(wireBytes)) }
}

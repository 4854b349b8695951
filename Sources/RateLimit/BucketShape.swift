/// A token bucket's rate and burst, in the form the generic cell rate algorithm (GCRA, ITU-T I.371)
/// uses them: one token every `interval` nanoseconds, and up to `burst` tokens saved up.
///
/// GCRA keeps a whole bucket in one number, the *theoretical arrival time* (TAT): the moment at
/// which the bucket would be full again. A take at `now` succeeds when `TAT - now` is at most
/// `tolerance` (= (burst - 1) × interval), and pushes TAT one interval later. That is exactly a token
/// bucket of `burst` tokens refilled at `rate` per second, in integer arithmetic with no division
/// per take — so a table of many buckets (`AddressRateLimiter`) is one `UInt64` per bucket.
public struct BucketShape: Sendable, Equatable {
    /// Nanoseconds per token (1e9 / rate, at least 1).
    public let interval: UInt64
    /// How far TAT may run ahead of now: (burst - 1) × interval.
    public let tolerance: UInt64
    /// The burst, in tokens.
    public let burst: Int

    /// `ratePerSecond` tokens per second (> 0), at most `burst` (≥ 1) at once.
    public init(ratePerSecond: Double, burst: Int) {
        precondition(ratePerSecond > 0 && ratePerSecond.isFinite && burst >= 1, "a bucket needs a positive rate and burst")
        interval = UInt64(max(1, min(1e18, (1e9 / ratePerSecond).rounded())))
        let (t, overflow) = interval.multipliedReportingOverflow(by: UInt64(burst - 1))
        tolerance = overflow ? UInt64.max / 2 : t
        self.burst = burst
    }

    /// Takes one token from the bucket whose TAT is `arrival` (0: never used, full). Returns false,
    /// leaving `arrival` unchanged, when the bucket is empty.
    @inline(__always)
    public func take(_ arrival: inout UInt64, now: UInt64) -> Bool {
        let tat = max(arrival, now)
        guard tat - now <= tolerance else { return false }
        arrival = tat &+ interval
        return true
    }

    /// Whether the bucket whose TAT is `arrival` is full at `now` (forgetting it would lose nothing).
    @inline(__always)
    public func isFull(_ arrival: UInt64, now: UInt64) -> Bool { arrival <= now }

    /// Whole tokens left in the bucket whose TAT is `arrival`, at `now`.
    public func available(_ arrival: UInt64, now: UInt64) -> Int {
        guard arrival > now else { return burst }
        let ahead = arrival - now
        guard ahead <= tolerance + interval else { return 0 }
        return Int((tolerance + interval - ahead) / interval)
    }
}

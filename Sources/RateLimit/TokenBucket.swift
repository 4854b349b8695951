/// One token bucket (rate, burst), with time passed in (monotonic nanoseconds), so tests and
/// benchmarks drive it with any clock. One `UInt64` of state (see `BucketShape`); no allocation.
public struct TokenBucket: Sendable {
    /// Its rate and burst.
    public let shape: BucketShape
    /// The theoretical arrival time (0: full, never used).
    private var arrival: UInt64 = 0

    /// A full bucket of `burst` tokens refilled at `ratePerSecond`.
    public init(ratePerSecond: Double, burst: Int) { shape = BucketShape(ratePerSecond: ratePerSecond, burst: burst) }

    /// A full bucket of `shape`.
    public init(_ shape: BucketShape) { self.shape = shape }

    /// Takes a token at `now`; false when there is none.
    @inline(__always)
    public mutating func take(now: UInt64) -> Bool { shape.take(&arrival, now: now) }

    /// Whether the bucket is full at `now`.
    public func isFull(now: UInt64) -> Bool { shape.isFull(arrival, now: now) }

    /// Whole tokens available at `now`.
    public func available(now: UInt64) -> Int { shape.available(arrival, now: now) }
}

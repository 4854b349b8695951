/// The limit on one connection's inbound messages: a token bucket (default 20 per second, burst 50),
/// and a count of the refusals it handed out since the bucket was last full. A client that goes
/// over the rate now and then gets `refused` answers and recovers as soon as it slows down (its
/// bucket fills up again, the count restarts); one that keeps sending over the rate never lets the
/// bucket fill, and once it has been refused `refusalsBeforeClose` times it is `abusive` (close it).
public struct MessageRateLimit: Sendable {
    /// What to do with one message.
    public enum Verdict: Sendable, Equatable {
        /// Within the rate: serve it.
        case allowed
        /// Over the rate: do not serve it; answer `rate_limited`.
        case refused
        /// Over the rate for too long: close the connection (1008).
        case abusive
    }

    /// The default rate: 20 messages per second.
    public static let defaultRatePerSecond = 20.0
    /// The default burst: 50 messages at once.
    public static let defaultBurst = 50

    private var bucket: TokenBucket
    /// Messages per second after the burst.
    public let ratePerSecond: Double
    /// Messages allowed at once.
    public var burst: Int { bucket.shape.burst }
    /// Refusals since the bucket was last full.
    public private(set) var refusalsInStreak = 0
    /// Refusals in one streak that make the client `abusive`.
    public let refusalsBeforeClose: Int

    /// A limit of `ratePerSecond` with `burst`; abusive after `refusalsBeforeClose` refusals
    /// (default: twice the burst) without the bucket filling up in between.
    public init(ratePerSecond: Double = MessageRateLimit.defaultRatePerSecond, burst: Int = MessageRateLimit.defaultBurst,
                refusalsBeforeClose: Int? = nil) {
        bucket = TokenBucket(ratePerSecond: ratePerSecond, burst: burst)
        self.ratePerSecond = ratePerSecond
        self.refusalsBeforeClose = max(1, refusalsBeforeClose ?? 2 * burst)
    }

    /// The verdict on a message arriving at `now` (monotonic nanoseconds).
    public mutating func admit(now: UInt64) -> Verdict {
        if bucket.isFull(now: now) { refusalsInStreak = 0 }
        if bucket.take(now: now) { return .allowed }
        refusalsInStreak += 1
        return refusalsInStreak >= refusalsBeforeClose ? .abusive : .refused
    }
}

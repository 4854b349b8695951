import Market

/// When to try the gateway again: exponential backoff with jitter, reset once a connection has
/// proved good (it delivered a message), so a gateway that restarts is rejoined at once while one
/// that stays down is not hammered.
///
/// Pure: the caller passes the monotonic clock (ns) in, so tests drive it with a fake clock.
public struct ReconnectBackoff: Sendable {
    /// First delay after a failure.
    public var initial: UInt64
    /// Longest delay.
    public var maximum: UInt64
    /// Jitter as a fraction of the delay (0.2: the delay is drawn from ±20 % around it).
    public var jitter: Double
    /// Failed attempts since the last good connection.
    public private(set) var failures = 0
    private var random: SplitMix64

    /// A backoff from `initial` doubling up to `maximum` (nanoseconds), `jitter` fraction, seeded.
    public init(initial: UInt64 = 500_000_000, maximum: UInt64 = 10_000_000_000, jitter: Double = 0.2, seed: UInt64 = 1) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
        random = SplitMix64(seed: seed)
    }

    /// The delay before the next attempt after one more failure (counted).
    public mutating func nextDelay() -> UInt64 {
        let shift = min(failures, 40)
        failures += 1
        let (scaled, overflow) = initial.multipliedReportingOverflow(by: 1 << UInt64(shift))
        let base = overflow ? maximum : min(maximum, scaled)
        guard jitter > 0 else { return base }
        let unit = Double(random.next() >> 11) / Double(1 << 53)  // [0, 1)
        let factor = 1 - jitter + 2 * jitter * unit
        return min(maximum, UInt64(Double(base) * factor))
    }

    /// A connection proved good: the next failure starts from `initial` again.
    public mutating func reset() { failures = 0 }
}

/// Frame pacing: at most `framesPerSecond` frames, whatever the update rate.
public struct FramePacer: Sendable {
    /// Minimum time between frames, ns.
    public let interval: UInt64
    /// Monotonic time of the last frame drawn (0: none yet).
    public private(set) var lastFrame: UInt64 = 0
    /// Frames drawn.
    public private(set) var frames = 0

    /// A pacer for at most `framesPerSecond` frames a second (at least 1).
    public init(framesPerSecond: Int) { interval = 1_000_000_000 / UInt64(max(1, framesPerSecond)) }

    /// Whether a frame may be drawn at `now`.
    public func mayDraw(at now: UInt64) -> Bool { lastFrame == 0 || now &- lastFrame >= interval }

    /// Nanoseconds until a frame may be drawn (0 if now).
    public func wait(at now: UInt64) -> UInt64 { mayDraw(at: now) ? 0 : interval - (now &- lastFrame) }

    /// Records a frame drawn at `now`.
    public mutating func drew(at now: UInt64) {
        lastFrame = now
        frames += 1
    }
}

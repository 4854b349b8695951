/// A client's `stats_interval_ms`: stats are sent at most once per interval, on the interval's
/// boundaries of the server's clock (multiples of the interval since the Unix epoch), so every client
/// with the same interval is due at the same instants and shares one encoded frame.
public struct StatsInterval: Sendable, Hashable, BitwiseCopyable {
    /// Shortest interval a client may ask for.
    public static let minimumMilliseconds = 250
    /// Longest interval a client may ask for.
    public static let maximumMilliseconds = 60_000
    /// The interval without `stats_interval_ms`.
    public static let standard = StatsInterval(checkedMilliseconds: 1_000)

    /// The interval in milliseconds, within `minimumMilliseconds`…`maximumMilliseconds`.
    public let milliseconds: Int

    /// The interval of `milliseconds`, nil outside the allowed range (`bad_interval`).
    public init?(milliseconds: Int) {
        guard (Self.minimumMilliseconds...Self.maximumMilliseconds).contains(milliseconds) else { return nil }
        self.milliseconds = milliseconds
    }

    init(checkedMilliseconds: Int) { milliseconds = checkedMilliseconds }

    /// The first boundary strictly after `now` (both nanoseconds of the server's clock).
    @inlinable
    public func boundary(after now: UInt64) -> UInt64 {
        let length = UInt64(milliseconds) &* 1_000_000
        return (now / length &+ 1) &* length
    }
}

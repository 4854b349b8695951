/// One instrument's candles, built from its trades by exchange time (`ts`): 1 s bars for the last
/// 10 minutes and 1 m bars for the whole day; 5 m / 15 m / 1 h bars are derived from the 1 m bars on
/// demand. Everything here depends on the trades alone (never on when they arrived), so every gateway
/// node fed the same trades holds the same bars.
///
/// A bar exists only for a period with at least one trade. Memory is bounded: at most
/// `maxSecondBars` 1 s bars and `maxMinuteBars` 1 m bars of 32 bytes each, allocated as trades come
/// (an instrument that never trades holds none); docs/gateway.md states the bound and the measured
/// figure for 8 000 instruments.
///
/// Invariants: `minutes` is sorted by `start`, one bar per start; so is `seconds[firstLiveSecond...]`,
/// and every bar there starts within `secondWindow` seconds of the newest 1 s bar (bars before
/// `firstLiveSecond` are expired and dropped in batches of `expiredSecondsDropped`).
public struct CandleSeries: Sendable {
    /// How far back 1 s bars are kept: 10 minutes of exchange time before the newest 1 s bar.
    public static let secondWindow: UInt32 = 600
    /// Expired 1 s bars kept before they are dropped in one move (amortizes the move).
    @usableFromInline static let expiredSecondsDropped = 64
    /// Bound of the 1 s storage: a full window plus the expired batch.
    public static let maxSecondBars = Int(secondWindow) + expiredSecondsDropped
    /// Bound of the 1 m storage: every minute of a 24-hour exchange day.
    public static let maxMinuteBars = 1440

    @usableFromInline var seconds: [Candle] = []
    @usableFromInline var firstLiveSecond = 0
    @usableFromInline var minutes: [Candle] = []

    /// An instrument without trades.
    public init() {}

    /// Counts a trade of `size` at `price` at exchange time `timestamp` (nanoseconds since midnight).
    /// A trade older than the newest bar goes into the bar of its own period (made if it had none),
    /// so the bars are the same whatever order the trades came in; a 1 s trade older than the window
    /// only counts in the 1 m bars.
    @inlinable
    public mutating func record(price: UInt32, size: UInt32, timestamp: UInt64) {
        let second = UInt32(truncatingIfNeeded: min(timestamp / 1_000_000_000, 86_399))
        Self.add(&minutes, from: 0, start: CandleInterval.oneMinute.barStart(second), price: price, size: size,
                 bound: Self.maxMinuteBars)
        if let newest = seconds.last, second < newest.start, newest.start - second >= Self.secondWindow { return }
        Self.add(&seconds, from: firstLiveSecond, start: second, price: price, size: size, bound: Self.maxSecondBars)
        expireSeconds()
    }

    /// Adds the trade to the bar starting at `start` in the sorted `bars[from...]`, making it if needed.
    /// Past half of `bound` bars the array grows straight to `bound` (not to the next power of two).
    @inlinable
    static func add(_ bars: inout [Candle], from: Int, start: UInt32, price: UInt32, size: UInt32, bound: Int) {
        var i = bars.count
        // Trades come in time order: the bar is almost always the last one or a new one after it.
        while i > from && bars[i - 1].start > start { i -= 1 }
        if i > from && bars[i - 1].start == start {
            bars[i - 1].add(price: price, size: size)
        } else {
            if bars.count == bars.capacity && bars.count >= bound / 2 { bars.reserveCapacity(bound) }
            bars.insert(Candle(start: start, price: price, size: size), at: i)
        }
    }

    /// Moves `firstLiveSecond` past the bars that left the window; drops them once enough have.
    @inlinable
    mutating func expireSeconds() {
        guard let newest = seconds.last else { return }
        while firstLiveSecond < seconds.count && newest.start - seconds[firstLiveSecond].start >= Self.secondWindow {
            firstLiveSecond += 1
        }
        if firstLiveSecond >= Self.expiredSecondsDropped {
            seconds.removeFirst(firstLiveSecond)
            firstLiveSecond = 0
        }
    }

    /// The series another node built, from its live 1 s bars and its 1 m bars (each sorted by start,
    /// one bar per start, as `bars(.oneSecond)` and `bars(.oneMinute)` return them): a gateway node
    /// that joins late takes its feed node's series this way. Every later trade then lands exactly
    /// where it lands in the original (the expired 1 s bars the original still holds are never
    /// looked at again). Nil when the bars break the invariants or the bounds.
    public init?(seconds: [Candle], minutes: [Candle]) {
        func sorted(_ bars: [Candle]) -> Bool { zip(bars, bars.dropFirst()).allSatisfy { $0.start < $1.start } }
        guard seconds.count <= Self.maxSecondBars, minutes.count <= Self.maxMinuteBars, sorted(seconds), sorted(minutes),
              minutes.allSatisfy({ $0.start % 60 == 0 && $0.start < 86_400 }),
              seconds.allSatisfy({ $0.start < 86_400 }) else { return nil }
        if let newest = seconds.last, let oldest = seconds.first, newest.start - oldest.start >= Self.secondWindow { return nil }
        self.seconds = seconds
        self.minutes = minutes
    }

    /// Whether no trade was recorded.
    public var isEmpty: Bool { minutes.isEmpty }

    /// The bars of `interval`, oldest first: the live 1 s window, the day's 1 m bars, or bars derived
    /// from them.
    public func bars(_ interval: CandleInterval) -> [Candle] {
        switch interval {
        case .oneSecond: return Array(seconds[firstLiveSecond...])
        case .oneMinute: return minutes
        case .fiveMinutes, .fifteenMinutes, .oneHour:
            var out: [Candle] = []
            for m in minutes {
                let start = interval.barStart(m.start)
                if let last = out.last, last.start == start {
                    out[out.count - 1].merge(m)
                } else {
                    var bar = m
                    bar.start = start
                    out.append(bar)
                }
            }
            return out
        }
    }

    /// The newest bar of `interval` (the one the latest trade in time order went to, or later), nil
    /// before the first trade. Cost: one bar for 1 s / 1 m, at most 60 merged 1 m bars for 1 h.
    @inlinable
    public func newestBar(_ interval: CandleInterval) -> Candle? {
        switch interval {
        case .oneSecond: return seconds.last
        case .oneMinute: return minutes.last
        case .fiveMinutes, .fifteenMinutes, .oneHour:
            guard let last = minutes.last else { return nil }
            let start = interval.barStart(last.start)
            var i = minutes.count - 1
            while i > 0 && minutes[i - 1].start >= start { i -= 1 }
            var bar = minutes[i]
            bar.start = start
            i += 1
            while i < minutes.count { bar.merge(minutes[i]); i += 1 }
            return bar
        }
    }

    /// The bar of `interval` starting at `start` (seconds since midnight), nil when no trade fell in
    /// it (or, for 1 s, it left the window): a bar's final state when it closes.
    public func bar(_ interval: CandleInterval, start: UInt32) -> Candle? {
        switch interval {
        case .oneSecond:
            return seconds[firstLiveSecond...].last { $0.start == start }
        case .oneMinute:
            return minutes.last { $0.start == start }
        case .fiveMinutes, .fifteenMinutes, .oneHour:
            let end = start &+ interval.seconds
            var bar: Candle?
            for m in minutes where m.start >= start && m.start < end {
                if bar == nil { bar = m; bar!.start = start } else { bar!.merge(m) }
            }
            return bar
        }
    }

    /// Bytes held for bars (their arrays' capacities): what the memory bound counts.
    public var allocatedBytes: Int {
        (seconds.capacity + minutes.capacity) * MemoryLayout<Candle>.stride
    }

    /// Whether the bar counts are within `maxSecondBars` and `maxMinuteBars` (always, by construction).
    public var withinBounds: Bool {
        seconds.count <= Self.maxSecondBars && minutes.count <= Self.maxMinuteBars
    }
}

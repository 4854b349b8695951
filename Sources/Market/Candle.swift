/// The bar lengths the API serves: 1 s and 1 m bars are kept, 5 m / 15 m / 1 h are derived from the
/// 1 m bars (so they cannot disagree with them).
public enum CandleInterval: UInt8, Sendable, CaseIterable, BitwiseCopyable {
    case oneSecond = 0
    case oneMinute = 1
    case fiveMinutes = 2
    case fifteenMinutes = 3
    case oneHour = 4

    /// The API's name: `1s`, `1m`, `5m`, `15m`, `1h` (the part after `candle:` in a channel).
    public var name: String {
        switch self {
        case .oneSecond: "1s"
        case .oneMinute: "1m"
        case .fiveMinutes: "5m"
        case .fifteenMinutes: "15m"
        case .oneHour: "1h"
        }
    }

    /// The interval named `name` (`1s` … `1h`), nil for anything else.
    public init?(name: some StringProtocol) {
        guard let i = CandleInterval.allCases.first(where: { $0.name == name }) else { return nil }
        self = i
    }

    /// The bar length in seconds.
    @inlinable public var seconds: UInt32 {
        switch self {
        case .oneSecond: 1
        case .oneMinute: 60
        case .fiveMinutes: 300
        case .fifteenMinutes: 900
        case .oneHour: 3600
        }
    }

    /// The start (seconds since the exchange day's midnight) of the bar of this interval holding
    /// `second`.
    @inlinable public func barStart(_ second: UInt32) -> UInt32 { second - second % seconds }
}

/// One OHLCV bar: the trades whose exchange time (`ts`) falls in [start, start + interval).
///
/// 32 bytes (a test pins it), the unit of the candle memory bound in docs/gateway.md. The start is
/// kept in whole seconds since the exchange day's midnight (a day has 86 400: a `UInt32`); the API's
/// `t` is it in nanoseconds, the clock of `ts`.
public struct Candle: Sendable, Equatable, BitwiseCopyable {
    /// Σ size of the bar's trades.
    public var volume: UInt64
    /// Bar start, seconds since the exchange day's midnight.
    public var start: UInt32
    /// Prices in the instrument's units.
    public var open: UInt32
    public var high: UInt32
    public var low: UInt32
    public var close: UInt32
    /// Number of trades in the bar.
    public var count: UInt32

    /// A bar opened by one trade.
    @inlinable public init(start: UInt32, price: UInt32, size: UInt32) {
        self.start = start
        open = price
        high = price
        low = price
        close = price
        volume = UInt64(size)
        count = 1
    }

    /// A bar with every field given (tests, decoding).
    @inlinable public init(start: UInt32, open: UInt32, high: UInt32, low: UInt32, close: UInt32, volume: UInt64, count: UInt32) {
        self.start = start
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.count = count
    }

    /// Adds a later trade: high, low, close, volume, count.
    @inlinable public mutating func add(price: UInt32, size: UInt32) {
        if price > high { high = price }
        if price < low { low = price }
        close = price
        volume &+= UInt64(size)
        count &+= 1
    }

    /// Adds the next (later) bar of a shorter interval: how 5 m / 15 m / 1 h bars come from 1 m bars.
    @inlinable public mutating func merge(_ later: Candle) {
        if later.high > high { high = later.high }
        if later.low < low { low = later.low }
        close = later.close
        volume &+= later.volume
        count &+= later.count
    }

    /// The bar's start in nanoseconds since the exchange day's midnight (the API's `t`).
    @inlinable public var startNanoseconds: UInt64 { UInt64(start) &* 1_000_000_000 }
}

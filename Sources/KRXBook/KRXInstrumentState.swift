import KRX
import Market

/// One price level of the book a quote record shows.
@frozen
public struct KRXBookLevel: Sendable, Equatable, BitwiseCopyable {
    /// Price (won); 0 for a level with no orders.
    public var price: Int64
    /// Shares.
    public var quantity: Int64

    /// A level with these values.
    @inlinable public init(price: Int64, quantity: Int64) {
        self.price = price
        self.quantity = quantity
    }
}

/// Whether, and why, an instrument is in a volatility interruption.
public enum KRXVolatilityState: Sendable, Equatable {
    /// No VI.
    case none
    /// A VI of `type`, triggered at `triggerPrice`, its auction ending at `endTime` (µs since
    /// midnight) when the record said.
    case active(type: KRXVIType, triggerPrice: Int64?, endTime: Int64?)
}

/// What a Korean investor's screen shows of one instrument, as the records have built it: the
/// 10-level book of the last quote, the day's statistics of the last trade, the reference prices,
/// the estimated price and volume of an auction, the VI and halt state, the session.
///
/// A value of fixed size (the levels in `InlineArray`s): updating it allocates nothing.
public struct KRXInstrumentState: Sendable {
    /// The instrument.
    public let isin: ISIN
    /// Its 6-digit short code (from the ISIN of a Korean stock), `Symbol.none` otherwise.
    public let symbol: Symbol
    /// The market of its records (`nil` until one arrives).
    public var market: KRXMarket?
    /// The designated number of its last record.
    public var designatedNumber: Int64 = 0
    /// The session in force (from the last record that carries one).
    public var session: KRXSessionID?

    /// Ask levels 1…10, best first (price 0: empty).
    public var asks = InlineArray<10, KRXBookLevel>(repeating: KRXBookLevel(price: 0, quantity: 0))
    /// Bid levels 1…10, best first.
    public var bids = InlineArray<10, KRXBookLevel>(repeating: KRXBookLevel(price: 0, quantity: 0))
    /// All ask shares (beyond level 10 too).
    public var totalAskQuantity: Int64 = 0
    /// All bid shares.
    public var totalBidQuantity: Int64 = 0
    /// The auction's estimated price while a single-price session is on, `nil` otherwise.
    public var estimatedPrice: Int64?
    /// The auction's estimated volume while a single-price session is on, `nil` otherwise.
    public var estimatedVolume: Int64?

    /// The day's first trade price.
    public var open: Int64?
    /// The day's high.
    public var high: Int64?
    /// The day's low.
    public var low: Int64?
    /// The last trade's price.
    public var last: Int64?
    /// The last trade's volume.
    public var lastQuantity: Int64?
    /// Shares traded today.
    public var cumulativeVolume: Int64 = 0
    /// Value traded today (won, 3 decimals), `nil` before the first trade.
    public var cumulativeValue: KRXDecimal?
    /// Change of the last price against the base price (magnitude).
    public var change: Int64?
    /// Which way: 상한/상승/보합/하한/하락.
    public var changeSign: KRXChangeSign?
    /// Which side took liquidity in the last trade (`.auction` for a single-price fill).
    public var lastAggressor: KRXAggressorSide?

    /// The day's base price (yesterday's close, from the master or A4).
    public var basePrice: Int64?
    /// The day's upper limit.
    public var upperLimit: Int64?
    /// The day's lower limit.
    public var lowerLimit: Int64?
    /// Yesterday's close (master).
    public var previousClose: Int64?
    /// Today's closing price (A6).
    public var closingPrice: Int64?
    /// Its type.
    public var closingPriceType: KRXClosingPriceType?

    /// VI state.
    public var volatility = KRXVolatilityState.none
    /// The halt reason while halted, `nil` when trading.
    public var haltReason: UInt32?
    /// Whether records of this instrument were lost and its book has not been healed by a quote yet.
    public var isStale = false
    /// Processing time of the last record that had one, µs since midnight.
    public var lastProcessingTime: Int64?

    /// A state with nothing known but the instrument.
    public init(isin: ISIN) {
        self.isin = isin
        symbol = isin.koreanShortCode ?? .none
    }

    /// Whether it is halted.
    public var isHalted: Bool { haltReason != nil }
}

/// What a record changed in an instrument's state, for whoever turns states into ticks.
public struct KRXStateChange: OptionSet, Sendable {
    /// The raw bits.
    public let rawValue: UInt8
    /// A bits value.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The book, totals or the auction's estimate (a quote).
    public static let book = KRXStateChange(rawValue: 1)
    /// A trade and the day's statistics.
    public static let trade = KRXStateChange(rawValue: 2)
    /// Session, halt or VI state.
    public static let status = KRXStateChange(rawValue: 4)
    /// Base price, limits, closing price.
    public static let reference = KRXStateChange(rawValue: 8)
    /// The instrument master (names and reference prices).
    public static let instrument = KRXStateChange(rawValue: 16)
}

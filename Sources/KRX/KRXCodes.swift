// The one-character code fields quotecast interprets, each as the specification's code table gives
// it (SPEC Details, the field's remarks). `init?(code:)` is `nil` for a byte outside the table; the
// record's `validate` refuses such a record with `.invalidCode`.

/// "Price change against previous day" (A3): how the price compares with the base price — the
/// 상한/상승/보합/하한/하락 vocabulary of Korean brokers' screens.
public enum KRXChangeSign: UInt8, Sendable, Equatable, CaseIterable {
    /// `0`: no comparison possible (e.g. no base price).
    case notApplicable = 0x30
    /// `1`: at the upper limit (상한).
    case upperLimit = 0x31
    /// `2`: up (상승).
    case up = 0x32
    /// `3`: unchanged (보합).
    case unchanged = 0x33
    /// `4`: at the lower limit (하한).
    case lowerLimit = 0x34
    /// `5`: down (하락).
    case down = 0x35

    /// The sign for a code byte.
    @inlinable public init?(code: UInt8) { self.init(rawValue: code) }

    /// The sign of `price` against `base`, given the day's limits.
    public static func of(price: Int64, base: Int64, upperLimit: Int64?, lowerLimit: Int64?) -> KRXChangeSign {
        if base <= 0 { return .notApplicable }
        if let upperLimit, price >= upperLimit { return .upperLimit }
        if let lowerLimit, price <= lowerLimit { return .lowerLimit }
        return price > base ? .up : price < base ? .down : .unchanged
    }
}

/// "Final Ask/Bid Type Code" (A3): which side's order took liquidity.
public enum KRXAggressorSide: UInt8, Sendable, Equatable, CaseIterable {
    /// Space: filled in a single-price auction, where there is no aggressor.
    case auction = 0x20
    /// `0`: not applicable.
    case notApplicable = 0x30
    /// `1`: an ask (sell) order took the bid.
    case ask = 0x31
    /// `2`: a bid (buy) order took the ask.
    case bid = 0x32

    /// The side for a code byte.
    @inlinable public init?(code: UInt8) { self.init(rawValue: code) }
}

/// "VI Status code" (R8).
public enum KRXVIStatus: UInt8, Sendable, Equatable, CaseIterable {
    /// `1`: a volatility interruption starts (a single-price auction follows).
    case triggered = 0x31
    /// `2`: it ends.
    case removed = 0x32

    /// The status for a code byte.
    @inlinable public init?(code: UInt8) { self.init(rawValue: code) }
}

/// "VI Type code" (R8).
public enum KRXVIType: UInt8, Sendable, Equatable, CaseIterable {
    /// `1`: static VI (the price left the band around the static base: the last single-price result).
    case staticVI = 0x31
    /// `2`: dynamic VI (the price left the band around the last trade).
    case dynamicVI = 0x32
    /// `3`: both at once.
    case staticAndDynamic = 0x33

    /// The type for a code byte.
    @inlinable public init?(code: UInt8) { self.init(rawValue: code) }
}

/// "Closing Price_Type Code" (A6) and "Yesterday's Closing Price_Type Code" (A001).
public enum KRXClosingPriceType: UInt8, Sendable, Equatable, CaseIterable {
    /// `1`: a closing price from trades.
    case closingPrice = 0x31
    /// `2`: a quotation (no trade; the price comes from the quotes).
    case quotation = 0x32
    /// `3`: no trades.
    case noTrades = 0x33
    /// `4`: a quotation of an issue whose base price is settled by today's single price.
    case quotationOfSingle = 0x34

    /// The type for a code byte.
    @inlinable public init?(code: UInt8) { self.init(rawValue: code) }
}

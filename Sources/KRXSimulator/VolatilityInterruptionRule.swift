import KRX

/// When a price sets off a volatility interruption (VI), per KRX's rules (RGL03010409; the dynamic
/// thresholds confirmed only by secondary pages, docs/krx.md): static VI when it is 10 % or more
/// away from the static base (the last single-price result: the opening price, or the base price
/// before the open); dynamic VI when it is a set percentage or more away from the last trade —
/// KOSPI 200 constituents 3 % (2 % in the closing auction), other stocks 6 % (4 %).
public enum VolatilityInterruptionRule {
    /// The static VI threshold, percent.
    public static let staticPercent: Int64 = 10

    /// The dynamic VI threshold, percent, for a KOSPI 200 constituent or not, in the closing auction
    /// or not.
    public static func dynamicPercent(kospi200: Bool, closingAuction: Bool) -> Int64 {
        switch (kospi200, closingAuction) {
        case (true, false): 3
        case (true, true): 2
        case (false, false): 6
        case (false, true): 4
        }
    }

    /// Whether `price` is `percent` % or more away from `base` (exactly, in integers).
    @inlinable public static func isBeyond(_ price: Int64, percent: Int64, of base: Int64) -> Bool {
        abs(price - base) * 100 >= percent * base
    }

    /// The VI `price` would set off, `nil` when it stays inside both bands.
    public static func check(price: Int64, staticBase: Int64, lastTrade: Int64?, dynamicPercent: Int64) -> KRXVIType? {
        let isStatic = isBeyond(price, percent: staticPercent, of: staticBase)
        let isDynamic = lastTrade.map { isBeyond(price, percent: dynamicPercent, of: $0) } ?? false
        switch (isStatic, isDynamic) {
        case (true, true): return .staticAndDynamic
        case (true, false): return .staticVI
        case (false, true): return .dynamicVI
        case (false, false): return nil
        }
    }

    /// How far `price` is from `base`, percent with 6 decimals (the R8 disparity ratio).
    public static func disparity(_ price: Int64, from base: Int64) -> KRXDecimal {
        KRXDecimal(scaled: base > 0 ? (price - base) * 100_000_000 / base : 0, decimals: 6)
    }
}

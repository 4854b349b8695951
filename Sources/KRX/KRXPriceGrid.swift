/// The prices a KOSPI or KOSDAQ stock may trade at: the tick size (호가가격단위) in force since
/// 2023-01-25 (KRX business rules, law.krx.co.kr RGL03010100) and the daily limits of ±30 % around
/// the base price (±15 % on KONEX), rounded to the grid toward the base price.
public enum KRXPriceGrid {
    /// The tick of the band `price` (won) lies in: below 2 000: 1; 2 000–5 000: 5; 5 000–20 000: 10;
    /// 20 000–50 000: 50; 50 000–200 000: 100; 200 000–500 000: 500; 500 000 and above: 1 000.
    /// Each band's lower bound is a multiple of its own tick and of the tick below it, so "on the
    /// grid" means a multiple of the tick of the price's own band.
    @inlinable public static func tick(at price: Int64) -> Int64 {
        if price < 2_000 { return 1 }
        if price < 5_000 { return 5 }
        if price < 20_000 { return 10 }
        if price < 50_000 { return 50 }
        if price < 200_000 { return 100 }
        if price < 500_000 { return 500 }
        return 1_000
    }

    /// Whether `price` is a positive multiple of its band's tick.
    @inlinable public static func isOnGrid(_ price: Int64) -> Bool { price > 0 && price % tick(at: price) == 0 }

    /// The highest grid price not above `price` (≥ 1).
    @inlinable public static func roundedDown(_ price: Int64) -> Int64 {
        guard price > 1 else { return 1 }
        return price - price % tick(at: price)
    }

    /// The lowest grid price not below `price` (≥ 1).
    @inlinable public static func roundedUp(_ price: Int64) -> Int64 {
        guard price > 1 else { return 1 }
        let rest = price % tick(at: price)
        return rest == 0 ? price : price - rest + tick(at: price)
    }

    /// The grid price one tick above `price` (a grid price).
    @inlinable public static func tickUp(_ price: Int64) -> Int64 { price + tick(at: price) }

    /// The grid price one tick below `price` (a grid price above 1).
    @inlinable public static func tickDown(_ price: Int64) -> Int64 { max(1, price - tick(at: price - 1)) }

    /// The day's upper and lower limit prices around `base`: base ± `percent` % of it, each rounded
    /// to the grid toward the base so both stay inside the band.
    public static func limits(base: Int64, percent: Int64) -> (upper: Int64, lower: Int64) {
        let band = base * percent / 100
        return (roundedDown(base + band), roundedUp(max(1, base - band)))
    }

    /// The limit percentage of `market`: 30 on KOSPI and KOSDAQ (since 2015-06-15), 15 on KONEX.
    public static func limitPercent(_ market: KRXMarket) -> Int64 { market == .konex ? 15 : 30 }
}

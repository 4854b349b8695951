/// The sign a Korean trading screen puts beside a price's change (KOSCOM's change sign code): where
/// the price stands against the reference (base) price and the day's price limits.
///
/// KOSCOM's codes: 1 상한 (at the upper limit), 2 상승 (up), 3 보합 (unchanged), 4 하한 (at the lower
/// limit), 5 하락 (down). The JSON word of each is `name`.
public enum ChangeSign: UInt8, Sendable, Equatable, CaseIterable {
    case upperLimit = 1
    case up = 2
    case unchanged = 3
    case lowerLimit = 4
    case down = 5

    /// The API's word: `upper_limit`, `up`, `unchanged`, `lower_limit`, `down`.
    public var name: String {
        switch self {
        case .upperLimit: "upper_limit"
        case .up: "up"
        case .unchanged: "unchanged"
        case .lowerLimit: "lower_limit"
        case .down: "down"
        }
    }

    /// The sign of `price` against `reference`, with the limits when known (0: none, as Nasdaq).
    /// A price at or beyond a known limit is at that limit (the exchange accepts none beyond it); nil
    /// when there is no price or no reference (0).
    @inlinable
    public static func of(price: UInt32, reference: UInt32, upperLimit: UInt32 = 0, lowerLimit: UInt32 = 0) -> ChangeSign? {
        guard price != 0, reference != 0 else { return nil }
        if upperLimit != 0 && price >= upperLimit { return .upperLimit }
        if lowerLimit != 0 && price <= lowerLimit { return .lowerLimit }
        if price > reference { return .up }
        if price < reference { return .down }
        return .unchanged
    }
}

import Foundation
import KRX
import Market

/// One simulated listed stock: who it is and the day's reference prices.
public struct KRXListing: Sendable, Equatable {
    /// KOSPI or KOSDAQ.
    public var market: KRXMarket
    /// The 6-digit short code, e.g. `005930`.
    public var code: String
    /// `KR7` + code + `00` + check digit.
    public var isin: ISIN
    /// The designated number for the day (1, 2, … per market).
    public var designatedNumber: Int64
    /// The abbreviated Korean name (at most 20 Hangul syllables: 40 CP949 bytes).
    public var koreanName: String
    /// The abbreviated English name (at most 40 ASCII characters).
    public var englishName: String
    /// Yesterday's close, which is today's base price (on the grid).
    public var basePrice: Int64
    /// Whether it is a KOSPI 200 constituent (dynamic VI at ±3 % instead of ±6 %).
    public var isKOSPI200: Bool
    /// Shares per order unit (1 on the main board since 2014).
    public var lotSize: Int64 = 1

    /// The day's limits: ±30 % of the base price (±15 % on KONEX) rounded to the grid.
    public var limits: (upper: Int64, lower: Int64) {
        KRXPriceGrid.limits(base: basePrice, percent: KRXPriceGrid.limitPercent(market))
    }

    /// The short code as a symbol.
    public var symbol: Symbol { Symbol(code)! }
}

/// Real-looking listings: unique 6-digit codes ending in 0 (as common stocks' do), ISINs with their
/// check digit, Korean names made of a stem and an industry (with their English abbreviations),
/// base prices log-uniform over 1 000–900 000 won on the grid; one in three on KOSDAQ, and about a
/// third of the KOSPI ones in the KOSPI 200.
public enum KRXListingGenerator {
    /// `count` listings (1…1 000) drawn from `seed`.
    public static func listings(count: Int, seed: UInt64) -> [KRXListing] {
        precondition(count > 0 && count <= 1_000, "listing count out of range")
        var rng = SplitMix64(seed: seed ^ 0x4B52_5800_4C49_5354)
        var codes = Set<String>()
        var names = Set<String>()
        var designated: [KRXMarket: Int64] = [:]
        var out: [KRXListing] = []
        while out.count < count {
            let code = sixDigits(Int.random(in: 1...99_999, using: &rng) * 10)
            guard !codes.contains(code) else { continue }
            let stem = stems.randomElement(using: &rng)!
            let industry = industries.randomElement(using: &rng)!
            let koreanName = stem.korean + industry.korean
            guard !names.contains(koreanName) else { continue }
            codes.insert(code)
            names.insert(koreanName)
            let market: KRXMarket = Int.random(in: 0..<3, using: &rng) == 0 ? .kosdaq : .kospi
            let number = (designated[market] ?? 0) + 1
            designated[market] = number
            let price = KRXPriceGrid.roundedDown(Int64(exp(Double.random(in: log(1_000.0)...log(900_000.0), using: &rng))))
            out.append(KRXListing(market: market, code: code, isin: ISIN.completing("KR7" + code + "00")!,
                                  designatedNumber: number, koreanName: koreanName,
                                  englishName: stem.english + " " + industry.english, basePrice: price,
                                  isKOSPI200: market == .kospi && Int.random(in: 0..<3, using: &rng) == 0))
        }
        return out
    }

    static func sixDigits(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s
    }

    /// Name stems (invented, not companies) and how they are written in English.
    static let stems: [(korean: String, english: String)] = [
        ("한빛", "HANBIT"), ("대성", "DAESUNG"), ("동해", "DONGHAE"), ("세진", "SEJIN"), ("미래", "MIRAE"),
        ("새한", "SAEHAN"), ("보람", "BORAM"), ("청솔", "CHEONGSOL"), ("푸른", "PUREUN"), ("하늘", "HANEUL"),
        ("금강", "KUMKANG"), ("태광", "TAEKWANG"), ("한울", "HANUL"), ("서해", "SEOHAE"), ("누리", "NURI"),
        ("다온", "DAON"), ("으뜸", "EUTTEUM"), ("가람", "GARAM"), ("빛가람", "BITGARAM"), ("한결", "HANGYEOL"),
        ("백두", "BAEKDU"), ("한라", "HALLA"), ("소망", "SOMANG"), ("진성", "JINSUNG"), ("우성", "WOOSUNG"),
        ("동진", "DONGJIN"), ("광명", "KWANGMYUNG"), ("신화", "SINHWA"), ("태성", "TAESUNG"), ("해솔", "HAESOL"),
    ]

    /// Industries and their English abbreviations.
    static let industries: [(korean: String, english: String)] = [
        ("전자", "ELEC"), ("화학", "CHEM"), ("바이오", "BIO"), ("제약", "PHARM"), ("건설", "E&C"),
        ("금융지주", "FINANCIAL"), ("에너지", "ENERGY"), ("반도체", "SEMICON"), ("중공업", "HEAVY IND"),
        ("통신", "TELECOM"), ("식품", "FOODS"), ("철강", "STEEL"), ("정밀", "PRECISION"), ("물산", "C&T"),
        ("해운", "SHIPPING"), ("소재", "MATERIALS"), ("로보틱스", "ROBOTICS"), ("게임즈", "GAMES"),
        ("엔터테인먼트", "ENT"), ("증권", "SECURITIES"),
    ]
}

/// Number and time formatting for the screen and plain lines: integer arithmetic, no locale, so
/// the output is the same on every machine (snapshot tests rely on it).
public enum TickerFormat {
    /// `price` (4 implied decimals) with `decimals` (2 or 4) decimals: `1892500` → `189.25`.
    public static func price(_ price: Int64, decimals: Int = 4) -> String {
        let negative = price < 0
        let p = price.magnitude
        let whole = p / 10_000
        var frac = p % 10_000
        var digits = 4
        if decimals == 2 {
            frac /= 100  // prices shown with 2 decimals are whole cents (SymbolRow.decimals)
            digits = 2
        }
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        return (negative ? "-" : "") + "\(whole).\(f)"
    }

    /// A signed change: `+0.12`, `-1.05`, `0.00`.
    public static func change(_ delta: Int64, decimals: Int) -> String {
        delta > 0 ? "+" + price(delta, decimals: decimals) : price(delta, decimals: decimals)
    }

    /// A signed percentage with 2 decimals: `+0.06%`.
    public static func percent(_ value: Double) -> String {
        let hundredths = Int64((value * 100).rounded())
        let sign = hundredths > 0 ? "+" : hundredths < 0 ? "-" : ""
        let m = hundredths.magnitude
        let frac = m % 100
        return "\(sign)\(m / 100).\(frac < 10 ? "0" : "")\(frac)%"
    }

    /// An integer with thousands separators: `1,234,567`.
    public static func grouped(_ value: UInt64) -> String {
        let s = String(value)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0, (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }

    /// A count that fits `width` columns: grouped when it fits, else compact (`12.3M`).
    public static func count(_ value: UInt64, width: Int = 9) -> String {
        let g = grouped(value)
        if g.count <= width { return g }
        let units: [(UInt64, String)] = [(1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")]
        for (scale, unit) in units where value >= scale {
            let tenths = value * 10 / scale
            return tenths >= 1000 ? "\(tenths / 10)\(unit)" : "\(tenths / 10).\(tenths % 10)\(unit)"
        }
        return g
    }

    /// A latency in ns as `0.42 ms`, `12.3 ms` or `1.2 s`.
    public static func latency(_ ns: UInt64) -> String {
        if ns < 1_000_000 { let h = ns / 10_000; return "0.\(h < 10 ? "0" : "")\(h) ms" }
        if ns < 1_000_000_000 {
            let tenths = ns / 100_000
            return tenths >= 1000 ? "\(tenths / 10) ms" : "\(tenths / 10).\(tenths % 10) ms"
        }
        let tenths = ns / 100_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }

    /// Nanoseconds since midnight (or since the epoch: the time of day is taken) as `HH:MM:SS`,
    /// with `.mmm` when `millis`.
    public static func clock(_ ns: UInt64, millis: Bool = false) -> String {
        let seconds = (ns / 1_000_000_000) % 86_400
        func two(_ v: UInt64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var s = "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
        if millis {
            let ms = (ns / 1_000_000) % 1000
            s += "." + (ms < 10 ? "00" : ms < 100 ? "0" : "") + "\(ms)"
        }
        return s
    }

    /// Pads `text` to `width` columns, on the left when `right`.
    public static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let n = text.unicodeScalars.count
        guard n < width else { return text }
        let fill = String(repeating: " ", count: width - n)
        return right ? fill + text : text + fill
    }
}

/// Prices travel as integers with 4 implied decimals (ITCH `Price(4)`): `1892500` is `189.2500`.
public enum Price {
    /// The implied decimal scale of a `Price(4)` integer.
    public static let scale: UInt64 = 10_000

    /// Largest number of bytes `write(_:into:)` can produce (20 integer digits, dot, 4 decimals).
    public static let maxTextLength = 25

    /// Writes `price` as a decimal with exactly four decimals into `out`, returning the byte count.
    /// Integer arithmetic only: no formatting, no allocation. `out` must hold `maxTextLength` bytes.
    @inlinable
    public static func write(_ price: UInt64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let whole = price / scale
        var frac = price % scale
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var w = whole
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[count] = UInt8(truncatingIfNeeded: w % 10) &+ 0x30
                w /= 10
                count += 1
            } while w > 0
        }
        var n = 0
        withUnsafeBytes(of: &digits) { d in
            var i = count
            while i > 0 { i -= 1; out[n] = d[i]; n += 1 }
        }
        out[n] = 0x2E  // "."
        var i = 4
        while i > 0 {
            out[n + i] = UInt8(truncatingIfNeeded: frac % 10) &+ 0x30
            frac /= 10
            i -= 1
        }
        return n + 5
    }

    /// The decimal text of `price` (4 decimals). For tools and tests, not the hot path.
    public static func text(_ price: UInt64) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxTextLength) { buf in
            let n = write(price, into: buf.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
    }

    /// Parses a decimal price with up to 4 decimals (`"189.25"` → 1892500); `nil` on anything else.
    public static func parse(_ text: some StringProtocol) -> UInt64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let wholePart = parts.first, !wholePart.isEmpty,
              wholePart.allSatisfy({ $0.isASCII && $0.isNumber }),
              let whole = UInt64(wholePart) else { return nil }
        var frac: UInt64 = 0
        if parts.count == 2 {
            let f = parts[1]
            guard !f.isEmpty, f.count <= 4, f.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let v = UInt64(f) else { return nil }
            frac = v
            for _ in f.count..<4 { frac *= 10 }
        }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        return scaled + frac
    }
}

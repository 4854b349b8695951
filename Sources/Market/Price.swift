/// Prices travel as integers with implied decimals: Nasdaq's `Price(4)` (`1892500` is `189.2500`),
/// KRX stocks' whole won (0 decimals). An instrument's decimals come with its reference data
/// (`InstrumentReference.decimals`); 4 until an instrument tick says otherwise.
public enum Price {
    /// The implied decimal scale of a `Price(4)` integer.
    public static let scale: UInt64 = 10_000

    /// The decimals of a price before an instrument tick says otherwise (Nasdaq's).
    public static let defaultDecimals = 4

    /// Largest number of bytes `write(_:decimals:into:)` can produce (a sign, 20 integer digits, a
    /// dot, 8 decimals).
    public static let maxTextLength = 30

    /// Writes `price` as a decimal with exactly four decimals into `out`, returning the byte count.
    @inlinable
    public static func write(_ price: UInt64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        write(price, decimals: 4, into: out)
    }

    /// Writes `price` (an integer with `decimals` implied decimals, 0...8) as a decimal with exactly
    /// `decimals` decimals into `out` (no dot for 0), returning the byte count. Integer arithmetic
    /// only: no formatting, no allocation. `out` must hold `maxTextLength` bytes.
    @inlinable
    public static func write(_ price: UInt64, decimals: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        // All the digits, least significant first, then written out with the dot in its place.
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes: room for 29 digits
        var count = 0
        var w = price
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[count] = UInt8(truncatingIfNeeded: w % 10) &+ 0x30
                w /= 10
                count &+= 1
            } while w > 0
            while count <= decimals { d[count] = 0x30; count &+= 1 }  // at least one integer digit
        }
        var n = 0
        withUnsafeBytes(of: &digits) { d in
            var i = count
            while i > 0 {
                i &-= 1
                out[n] = d[i]
                n &+= 1
                if i == decimals && i > 0 { out[n] = 0x2E; n &+= 1 }  // "."
            }
        }
        return n
    }

    /// Writes the signed `amount` like `write(_:decimals:into:)`, with a leading `-` when negative.
    @inlinable
    public static func write(signed amount: Int64, decimals: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        if amount < 0 {
            out[0] = 0x2D
            return 1 + write(amount.magnitude, decimals: decimals, into: out + 1)
        }
        return write(UInt64(amount), decimals: decimals, into: out)
    }

    /// The decimal text of `price` (4 decimals by default). For tools and tests, not the hot path.
    public static func text(_ price: UInt64, decimals: Int = 4) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxTextLength) { buf in
            let n = write(price, decimals: decimals, into: buf.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
    }

    /// Parses a decimal price with up to `decimals` decimals (`"189.25"` → 1892500 for 4) into an
    /// integer with `decimals` implied decimals; `nil` on anything else (signs, exponents, too many
    /// decimals, overflow).
    public static func parse(_ text: some StringProtocol, decimals: Int = 4) -> UInt64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let wholePart = parts.first, !wholePart.isEmpty,
              wholePart.allSatisfy({ $0.isASCII && $0.isNumber }),
              let whole = UInt64(wholePart) else { return nil }
        var frac: UInt64 = 0
        if parts.count == 2 {
            let f = parts[1]
            guard !f.isEmpty, f.count <= decimals, f.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let v = UInt64(f) else { return nil }
            frac = v
            for _ in f.count..<decimals { frac *= 10 }
        }
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        let (sum, carry) = scaled.addingReportingOverflow(frac)
        return carry ? nil : sum
    }
}

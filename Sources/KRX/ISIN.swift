import Market

/// An International Securities Identification Number (ISO 6166): 2-letter country, 9-character
/// national code, check digit. Korean stocks read `KR7` + the 6-digit short code + `00`/`01`… +
/// check digit: 삼성전자 is `KR7005930003`, short code `005930`.
///
/// Invariant: `high` holds bytes 0–7 and `low` bytes 8–11 (first byte lowest), exactly as on the
/// wire, so two ISINs compare equal exactly when their bytes do; loading one is two loads.
@frozen
public struct ISIN: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// Bytes 0–7.
    public let high: UInt64
    /// Bytes 8–11.
    public let low: UInt32

    /// The 12 bytes at `base`, unchecked (see `isValid`).
    @inlinable public init(at base: UnsafeRawPointer) {
        high = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        low = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    }

    /// The ISIN spelled by `text`, `nil` unless it is 12 upper-case letters or digits with a valid
    /// check digit.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 12 else { return nil }
        let isin = bytes.withUnsafeBytes { ISIN(at: $0.baseAddress!) }
        guard isin.isValid else { return nil }
        self = isin
    }

    /// The ISIN made of the 11 characters `body` and their check digit, `nil` when `body` is not 11
    /// upper-case letters or digits.
    public static func completing(_ body: some StringProtocol) -> ISIN? {
        let bytes = Array(body.utf8)
        guard bytes.count == 11, bytes.allSatisfy(isAlphanumeric), let check = checkDigit(of: bytes) else { return nil }
        return (bytes + [0x30 + check]).withUnsafeBytes { ISIN(at: $0.baseAddress!) }
    }

    /// The byte at `index` (0…11).
    @inlinable public func byte(_ index: Int) -> UInt8 {
        index < 8 ? UInt8(truncatingIfNeeded: high >> (8 * UInt64(index)))
            : UInt8(truncatingIfNeeded: low >> (8 * UInt32(index - 8)))
    }

    /// The 12 characters.
    public var description: String { String(decoding: (0..<12).map(byte), as: UTF8.self) }

    /// Whether the first 11 bytes are upper-case letters or digits (the country two letters) and the
    /// last is their ISO 6166 check digit.
    public var isValid: Bool {
        let bytes = (0..<12).map(byte)
        guard bytes[0...1].allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }), bytes[0..<11].allSatisfy(ISIN.isAlphanumeric),
              let check = ISIN.checkDigit(of: Array(bytes[0..<11])) else { return false }
        return bytes[11] == 0x30 + check
    }

    /// The 6-digit short code of a Korean stock ISIN (`KR7005930003` → `005930`), `nil` for any
    /// other ISIN.
    public var koreanShortCode: Symbol? {
        guard byte(0) == 0x4B, byte(1) == 0x52, byte(2) == 0x37, (3..<9).allSatisfy({ byte($0) &- 0x30 <= 9 }) else {
            return nil
        }
        // Bytes 3…8 of the ISIN are the symbol's six characters, then two spaces of padding.
        return Symbol(raw: (high >> 24) | UInt64(low & 0xFF) << 40 | 0x2020 << 48)
    }

    /// The ISO 6166 check digit of 11 characters: letters become two digits (A = 10 … Z = 35), then
    /// the Luhn sum over the digit string doubles every second digit from the rightmost.
    static func checkDigit(of body: [UInt8]) -> UInt8? {
        var digits: [UInt8] = []
        for b in body {
            if b &- 0x30 <= 9 {
                digits.append(b - 0x30)
            } else if b >= 0x41, b <= 0x5A {
                let value = b - 0x41 + 10
                digits.append(value / 10)
                digits.append(value % 10)
            } else {
                return nil
            }
        }
        var sum = 0
        for (i, digit) in digits.reversed().enumerated() {
            let d = Int(digit) * (i % 2 == 0 ? 2 : 1)
            sum += d / 10 + d % 10
        }
        return UInt8((10 - sum % 10) % 10)
    }

    static func isAlphanumeric(_ b: UInt8) -> Bool { b &- 0x30 <= 9 || (b >= 0x41 && b <= 0x5A) }
}

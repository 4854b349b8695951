/// An instrument symbol: up to 8 ASCII characters packed into one integer, right-padded with spaces
/// exactly as ITCH carries it, so decoding a symbol is one unaligned 8-byte load.
///
/// Invariant: `raw` holds the 8 wire bytes in wire order (byte 0 is the first character), so two
/// symbols compare equal exactly when their wire bytes do.
public struct Symbol: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible, Comparable {
    /// The 8 wire bytes, first character in the lowest byte (little-endian machine order).
    public var raw: UInt64

    /// The symbol made of 8 bytes as they appear on the wire.
    @inlinable public init(raw: UInt64) { self.raw = raw }

    /// The symbol for `text`, upper-cased and space-padded; `nil` when it is empty, longer than 8
    /// characters or holds anything but printable ASCII other than space.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 8 else { return nil }
        var raw: UInt64 = 0x2020_2020_2020_2020
        for (i, byte) in bytes.enumerated() {
            guard byte > 0x20, byte < 0x7F else { return nil }
            let upper = (byte >= 0x61 && byte <= 0x7A) ? byte - 0x20 : byte
            raw &= ~(UInt64(0xFF) << (8 * UInt64(i)))
            raw |= UInt64(upper) << (8 * UInt64(i))
        }
        self.raw = raw
    }

    /// The all-spaces symbol, used where a message carries no instrument.
    public static let none = Symbol(raw: 0x2020_2020_2020_2020)

    /// Number of characters before the right padding.
    @inlinable public var length: Int {
        var n = 8
        while n > 0, (raw >> (8 * UInt64(n - 1))) & 0xFF == 0x20 { n -= 1 }
        return n
    }

    /// Whether the 8 bytes hold what `init?(_:)` accepts: 1 to 8 printable ASCII characters other
    /// than space, then spaces only. Bytes from a network peer are checked with it before they
    /// are served: anything else (a control character, a byte over 0x7E) would break the JSON and
    /// the UTF-8 of every client's messages.
    @inlinable public var isWellFormed: Bool {
        var rest = raw
        var characters = 0
        var padding = false
        for _ in 0..<8 {
            let c = UInt8(truncatingIfNeeded: rest)
            rest >>= 8
            if c == 0x20 {
                padding = true
            } else {
                guard !padding, c > 0x20, c < 0x7F else { return false }
                characters += 1
            }
        }
        return characters > 0
    }

    /// Calls `body` with the symbol's characters (padding removed).
    @inlinable public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = raw.littleEndian
        let n = length
        return try withUnsafeBytes(of: &copy) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    /// The symbol as text without padding.
    public var description: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// Orders symbols alphabetically.
    public static func < (a: Symbol, b: Symbol) -> Bool {
        a.raw.littleEndian.byteSwapped < b.raw.littleEndian.byteSwapped
    }
}

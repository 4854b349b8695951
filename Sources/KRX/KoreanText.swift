import Foundation

/// The Korean abbreviated names of the instrument master, between CP949 bytes and UTF-8.
///
/// The English specification does not name the encoding of `Abbreviated issue Name`; Korean market
/// data systems write KS X 1001 Hangul as EUC-KR, and CP949 (Microsoft's extension, code page 949)
/// is a superset of it, so the bytes are read as CP949 (an assumption, stated in docs/krx.md).
/// Foundation on Linux converts CP949 without a package; names arrive once a day in the batch master,
/// so the conversion is kept off every per-record path.
public enum KoreanText {
    /// Foundation's CP949 encoding (`kCFStringEncodingDOSKorean`).
    static let cp949 = String.Encoding(rawValue: 0x8000_0422)

    /// The text of `bytes` (trailing spaces and NULs removed), `nil` when they are not well-formed
    /// CP949: ASCII, or a lead byte 0x81–0xFE followed by a trail byte 0x41–0x5A, 0x61–0x7A or
    /// 0x81–0xFE, forming a character CP949 assigns. The structure is checked here because
    /// Foundation turns the stray bytes 0x80 and 0xFF into private-use characters instead of failing.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> String? {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x20 || bytes[end - 1] == 0 { end -= 1 }
        var i = 0
        while i < end {
            let lead = bytes[i]
            if lead < 0x80 {
                i += 1
                continue
            }
            guard lead >= 0x81, lead <= 0xFE, i + 1 < end else { return nil }
            let trail = bytes[i + 1]
            guard (trail >= 0x41 && trail <= 0x5A) || (trail >= 0x61 && trail <= 0x7A) || (trail >= 0x81 && trail <= 0xFE) else {
                return nil
            }
            i += 2
        }
        return String(bytes: bytes[0..<end], encoding: cp949)
    }

    /// The CP949 bytes of `text`, `nil` when a character has no CP949 form.
    public static func encode(_ text: String) -> [UInt8]? {
        text.data(using: cp949).map { Array($0) }
    }
}

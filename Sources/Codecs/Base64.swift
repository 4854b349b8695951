/// Base64 (RFC 4648 §4, standard alphabet, with padding), for the WebSocket opening handshake's keys.
public enum Base64 {
    /// The padded base64 text of `bytes`.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Base64Alphabet.standard.encode(bytes, padded: true)
    }

    /// The bytes of padded base64 `text`, or nil if it is not canonical base64 (wrong length,
    /// characters outside the alphabet, misplaced padding, non-zero pad bits).
    public static func decode(_ text: String) -> [UInt8]? {
        Base64Alphabet.standard.decode(Array(text.utf8), padded: true)
    }
}

/// base64url (RFC 4648 §5: `-` and `_` instead of `+` and `/`) without padding, as JWS (RFC 7515 §2)
/// uses it for every part of a token.
public enum Base64URL {
    /// The unpadded base64url text of `bytes`.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Base64Alphabet.url.encode(bytes, padded: false)
    }

    /// The bytes of unpadded base64url `text`, or nil if it is not canonical: a length of 1 mod 4,
    /// a character outside the alphabet (padding, whitespace and the standard alphabet's `+` and `/`
    /// included), or non-zero bits after the last whole byte (so each byte string has one spelling).
    public static func decode<Text: Collection>(_ text: Text) -> [UInt8]? where Text.Element == UInt8 {
        Base64Alphabet.url.decode(text, padded: false)
    }

    /// `decode` of a string's UTF-8.
    public static func decode(_ text: String) -> [UInt8]? { decode(Array(text.utf8)) }

    /// Whether `byte` belongs to the base64url alphabet.
    @inline(__always)
    public static func isAlphabetByte(_ byte: UInt8) -> Bool { Base64Alphabet.url.value(of: byte) != nil }
}

/// One of RFC 4648's two 64-character alphabets and the codec over it: both `Base64` and
/// `Base64URL` are this one mechanism with a different alphabet and padding rule.
struct Base64Alphabet: Sendable {
    /// The 64 characters, in value order.
    let characters: [UInt8]
    /// The characters for values 62 and 63 (the only ones the alphabets disagree on).
    let char62: UInt8, char63: UInt8

    static let standard = Base64Alphabet(char62: UInt8(ascii: "+"), char63: UInt8(ascii: "/"))
    static let url = Base64Alphabet(char62: UInt8(ascii: "-"), char63: UInt8(ascii: "_"))

    private init(char62: UInt8, char63: UInt8) {
        self.char62 = char62
        self.char63 = char63
        characters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8) + [char62, char63]
    }

    /// The 6-bit value of `c`, nil outside the alphabet.
    @inline(__always)
    func value(of c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(c &- UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(c &- UInt8(ascii: "a") &+ 26)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c &- UInt8(ascii: "0") &+ 52)
        case char62: 62
        case char63: 63
        default: nil
        }
    }

    func encode<Bytes: Collection>(_ bytes: Bytes, padded: Bool) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(characters[Int(n >> 18)])
            out.append(characters[Int(n >> 12 & 63)])
            out.append(characters[Int(n >> 6 & 63)])
            out.append(characters[Int(n & 63)])
            i += 3
        }
        let rest = input.count - i
        if rest == 1 {
            let n = UInt32(input[i]) << 16
            out += [characters[Int(n >> 18)], characters[Int(n >> 12 & 63)]]
            if padded { out += [UInt8(ascii: "="), UInt8(ascii: "=")] }
        } else if rest == 2 {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out += [characters[Int(n >> 18)], characters[Int(n >> 12 & 63)], characters[Int(n >> 6 & 63)]]
            if padded { out.append(UInt8(ascii: "=")) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Canonical decoding: with `padded`, the text is whole 4-character groups and only the last
    /// group may end in one or two `=`; without, there is no `=` and the length is not 1 mod 4.
    /// Either way the bits after the last whole byte must be zero.
    func decode<Text: Collection>(_ text: Text, padded: Bool) -> [UInt8]? where Text.Element == UInt8 {
        // The loop runs over contiguous bytes in non-generic code: a generic loop called from another
        // module would not be specialized.
        if let decoded = text.withContiguousStorageIfAvailable({ decode($0, padded: padded) }) { return decoded }
        return Array(text).withUnsafeBufferPointer { decode($0, padded: padded) }
    }

    private func decode(_ text: UnsafeBufferPointer<UInt8>, padded: Bool) -> [UInt8]? {
        var count = text.count
        if padded {
            guard count % 4 == 0 else { return nil }
            var pad = 0
            while pad < 2, count > 0, text[count - 1] == UInt8(ascii: "=") { count -= 1; pad += 1 }
        }
        let tail = count % 4
        guard tail != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(count / 4 * 3 + 2)
        var i = 0
        while i + 4 <= count {
            guard let a = value(of: text[i]), let b = value(of: text[i + 1]), let c = value(of: text[i + 2]),
                  let d = value(of: text[i + 3]) else { return nil }
            let n = a << 18 | b << 12 | c << 6 | d
            out.append(UInt8(n >> 16))
            out.append(UInt8(truncatingIfNeeded: n >> 8))
            out.append(UInt8(truncatingIfNeeded: n))
            i += 4
        }
        if tail == 2 {
            guard let a = value(of: text[i]), let b = value(of: text[i + 1]), b & 0x0F == 0 else { return nil }
            out.append(UInt8(a << 2 | b >> 4))
        } else if tail == 3 {
            guard let a = value(of: text[i]), let b = value(of: text[i + 1]), let c = value(of: text[i + 2]),
                  c & 0x03 == 0 else { return nil }
            let n = a << 12 | b << 6 | c
            out.append(UInt8(n >> 10))
            out.append(UInt8(truncatingIfNeeded: n >> 2))
        }
        return out
    }
}

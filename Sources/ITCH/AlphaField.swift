import Market

/// Text of a 4-byte big-endian alpha field (for display), trailing spaces removed.
public func alphaText(_ value: UInt32) -> String {
    let bytes = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> UInt32($0)) }
    return String(decoding: bytes, as: UTF8.self).trimmingSuffix(" ")
}

extension String {
    func trimmingSuffix(_ c: Character) -> String {
        var s = self
        while s.last == c { s.removeLast() }
        return s
    }
}

/// Packs up to 4 ASCII characters, space-padded, as a big-endian alpha field value.
public func alpha4(_ text: String) -> UInt32 {
    var bytes = Array(text.utf8.prefix(4))
    while bytes.count < 4 { bytes.append(0x20) }
    return bytes.reduce(0) { $0 << 8 | UInt32($1) }
}

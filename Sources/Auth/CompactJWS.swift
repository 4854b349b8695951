/// The three parts of a JWS in compact serialization (RFC 7515 §7.1):
/// `BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)`. Only the split is done here;
/// each part is decoded (strictly) by the verifier when it needs it.
struct CompactJWS {
    /// The token's bytes.
    let bytes: [UInt8]
    /// Where the two dots are.
    let firstDot: Int
    let secondDot: Int

    /// The split of `bytes`; nil unless there are exactly two dots.
    init?(_ bytes: [UInt8]) {
        var dots = (-1, -1)
        for i in bytes.indices where bytes[i] == UInt8(ascii: ".") {
            if dots.0 < 0 { dots.0 = i } else if dots.1 < 0 { dots.1 = i } else { return nil }
        }
        guard dots.1 >= 0 else { return nil }
        self.bytes = bytes
        firstDot = dots.0
        secondDot = dots.1
    }

    /// BASE64URL(header).
    var header: ArraySlice<UInt8> { bytes[0..<firstDot] }
    /// BASE64URL(payload).
    var payload: ArraySlice<UInt8> { bytes[(firstDot + 1)..<secondDot] }
    /// BASE64URL(signature).
    var signature: ArraySlice<UInt8> { bytes[(secondDot + 1)...] }
    /// What is signed: the header and payload parts with the dot between them, as ASCII.
    var signingInput: ArraySlice<UInt8> { bytes[0..<secondDot] }
}

import Foundation
import Market
import Testing
@testable import Codecs

/// base64url (RFC 4648 §5, unpadded, as JWS uses it): the RFC's vectors, then seeded properties
/// against independent oracles (Foundation's base64 for encoding, a bit-by-bit model for decoding).
/// A failing property names its seed (the test argument) and the input.
@Suite struct Base64URLTests {
    @Test(arguments: [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
                      ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")])
    func matchesRFC4648WithoutPadding(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func usesTheURLAlphabet() {
        // 0xFB 0xFF is "+/8" in the standard alphabet.
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
        #expect(Base64URL.decode("+/8") == nil)
    }

    @Test(arguments: ["Zg==", "Zg=", "Z", "Zh", "Zm9", "Zm9vY", "Zm 9v", "Zm9v\n", "Zm9v.", "é"])
    func refusesNonCanonicalText(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func encodingAgreesWithFoundationAndRoundTrips(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<400 {
            let bytes = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let ours = Base64URL.encode(bytes)
            let oracle = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(ours == oracle, "seed \(seed): \(bytes)")
            #expect(Base64URL.decode(ours) == bytes, "seed \(seed): \(ours)")
        }
    }

    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func decodingAcceptsExactlyTheCanonicalTexts(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let junk = Array("=+/ .\n\u{7F}\u{0}".utf8) + [0xC3, 0xFF]
        for _ in 0..<2000 {
            let length = Int.random(in: 0...12, using: &random)
            let text: [UInt8] = (0..<length).map { _ in
                Int.random(in: 0..<40, using: &random) == 0 ? junk.randomElement(using: &random)! : alphabet.randomElement(using: &random)!
            }
            let model = Self.modelDecode(text, alphabet: alphabet)
            let ours = Base64URL.decode(text)
            #expect(ours == model, "seed \(seed): \(String(decoding: text, as: UTF8.self).debugDescription)")
            if let ours { #expect(Array(Base64URL.encode(ours).utf8) == text, "seed \(seed): one spelling per byte string") }
        }
    }

    /// The reference: text → 6-bit values → one long bit string → whole bytes; canonical when every
    /// character is in the alphabet, no 6-bit group is left alone and the leftover bits are zero.
    static func modelDecode(_ text: [UInt8], alphabet: [UInt8]) -> [UInt8]? {
        var bits: [Bool] = []
        for c in text {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            for shift in stride(from: 5, through: 0, by: -1) { bits.append(v >> shift & 1 == 1) }
        }
        guard text.count % 4 != 1 else { return nil }
        let whole = bits.count / 8 * 8
        guard !bits[whole...].contains(true) else { return nil }
        return stride(from: 0, to: whole, by: 8).map { start in bits[start..<start + 8].reduce(0) { $0 << 1 | ($1 ? 1 : 0) } }
    }
}

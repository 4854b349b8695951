import Testing
@testable import Codecs
import Market

/// SHA-1 (RFC 3174), SHA-256 (FIPS 180-4 / NIST) and HMAC-SHA-256 (RFC 4231) against their published
/// vectors, and padded base64 against RFC 4648's.
@Suite struct DigestTests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String($0, radix: 16).leftPadded(2) }.joined() }

    @Test(arguments: [
        ("abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ("a", 1_000_000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"),
        ("0123456701234567012345670123456701234567012345670123456701234567", 10, "dea356a2cddd90c7a7ecedc5ebb563934f460452"),
        ("", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ])
    func sha1MatchesRFC3174(text: String, repeats: Int, digest: String) {
        let message = [UInt8]((0..<repeats).flatMap { _ in Array(text.utf8) })
        #expect(hex(SHA1.digest(message)) == digest)
    }

    @Test func sha1PaddingBoundaries() {
        // 55, 56 and 64 bytes straddle the one-block/two-block padding boundary.
        #expect(hex(SHA1.digest([UInt8](repeating: 0x61, count: 55))) == "c1c8bbdc22796e28c0e15163d20899b65621d65a")
        #expect(hex(SHA1.digest([UInt8](repeating: 0x61, count: 56))) == "c2db330f6083854c99d4b5bfb6e8f29f201be699")
        #expect(hex(SHA1.digest([UInt8](repeating: 0x61, count: 64))) == "0098ba824b5c16427bd7a1122a5a442a25ec644d")
    }

    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                      ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func base64MatchesRFC4648(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func base64RoundTripsEveryByteValue() {
        var generator = SplitMix64(seed: 4648)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }

    @Test(arguments: ["Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm 9v"])
    func base64RejectsNonCanonicalText(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    // FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA256_2.pdf") and the long-message vectors of the
    // NIST SHAVS: one block, two blocks, empty, a million 'a'.
    @Test(arguments: [
        ("abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ("", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("a", 1_000_000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ])
    func sha256MatchesNISTVectors(text: String, repeats: Int, digest: String) {
        let message = [UInt8]((0..<repeats).flatMap { _ in Array(text.utf8) })
        #expect(SHA256.digest(message).description == digest)
    }

    @Test func sha256FedInPiecesEqualsOneCall() {
        // Every split point of a 200-byte message, across the 55/56/64-byte padding boundaries.
        var random = SplitMix64(seed: 0x5A256)
        let message = (0..<200).map { _ in UInt8.random(in: 0...255, using: &random) }
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 200] {
            let whole = SHA256.digest(message.prefix(length))
            for split in 0...length {
                var hash = SHA256()
                hash.update(message[0..<split])
                hash.update(message[split..<length])
                #expect(hash.finalize() == whole, "length \(length) split \(split)")
            }
        }
    }

    @Test func digestEqualityLooksAtEveryWord() {
        let a = SHA256.digest(Array("a".utf8))
        for byte in 0..<32 {
            var bytes = a.bytes
            bytes[byte] ^= 0x01
            #expect(SHA256Digest(bytes: bytes)! != a)
            #expect(SHA256Digest(bytes: bytes)!.bytes == bytes)
        }
        #expect(SHA256Digest(bytes: a.bytes) == a)
        #expect(SHA256Digest(bytes: a.bytes.dropLast()) == nil)
    }

    /// RFC 4231 §4: the HMAC-SHA-256 test cases (case 5's tag is truncated to 128 bits).
    @Test(arguments: [
        ("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        ("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (String(repeating: "aa", count: 20), String(repeating: "dd", count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        ("0102030405060708090a0b0c0d0e0f10111213141516171819", String(repeating: "cd", count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        (String(repeating: "0c", count: 20), "546573742057697468205472756e636174696f6e",
         "a3b6167473100ee06e0c796c2955552b"),
        (String(repeating: "aa", count: 131),
         "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        (String(repeating: "aa", count: 131),
         "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c"
            + "6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265"
            + "666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ])
    func hmacSHA256MatchesRFC4231(key: String, data: String, tag: String) {
        let mac = HMACSHA256(key: bytes(hex: key)).authenticationCode(for: bytes(hex: data))
        #expect(mac.description.hasPrefix(tag))
        #expect(tag.count == 64 || tag.count == 32)
    }

    @Test func hmacKeyOfExactlyOneBlockIsUsedAsIs() {
        // 64 bytes: no hashing; 65: hashed first (RFC 2104 §2). Both against the definition.
        for length in [63, 64, 65] {
            let key = [UInt8](repeating: 0x42, count: length)
            let message = Array("block boundary".utf8)
            var k = length > 64 ? SHA256.digest(key).bytes : key
            k += [UInt8](repeating: 0, count: 64 - k.count)
            let inner = SHA256.digest(k.map { $0 ^ 0x36 } + message).bytes
            let expected = SHA256.digest(k.map { $0 ^ 0x5C } + inner)
            #expect(HMACSHA256(key: key).authenticationCode(for: message) == expected, "key length \(length)")
        }
    }

    func bytes(hex: String) -> [UInt8] {
        let chars = Array(hex.utf8)
        return stride(from: 0, to: chars.count, by: 2).map { UInt8(String(decoding: chars[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

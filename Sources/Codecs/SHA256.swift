/// SHA-256 (FIPS 180-4 §6.2): incremental (`update`, then `finalize`) or in one call (`digest`).
/// A value type: copying it copies the hash in progress.
public struct SHA256: Sendable {
    private var hasher = BlockHasher(SHA256Compression())

    /// A fresh hash.
    public init() {}

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bytes) }

    /// Absorbs `bytes`.
    public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if bytes.withContiguousStorageIfAvailable({ hasher.update(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes { hasher.update($0) }
        }
    }

    /// The digest of everything absorbed.
    public consuming func finalize() -> SHA256Digest {
        let h = hasher.finish()
        return SHA256Digest(words: (UInt64(h.h0) << 32 | UInt64(h.h1), UInt64(h.h2) << 32 | UInt64(h.h3),
                                    UInt64(h.h4) << 32 | UInt64(h.h5), UInt64(h.h6) << 32 | UInt64(h.h7)))
    }

    /// The digest of `message`.
    public static func digest<Bytes: Collection>(_ message: Bytes) -> SHA256Digest where Bytes.Element == UInt8 {
        var hash = SHA256()
        hash.update(message)
        return hash.finalize()
    }
}

/// A 32-byte SHA-256 digest (or HMAC-SHA-256 tag). `==` is constant-time: it looks at every byte
/// whatever they hold, so comparing a computed tag with a presented one leaks no timing about where
/// they differ.
public struct SHA256Digest: Equatable, Sendable, CustomStringConvertible {
    /// The digest as four big-endian 64-bit words (bytes 0–7 in `words.0`, most significant first).
    public let words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest with these words.
    public init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// The digest held in exactly 32 `bytes`; nil for any other length.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        guard bytes.count == 32 else { return nil }
        let contiguous = Array(bytes)
        func word(_ k: Int) -> UInt64 {
            var w: UInt64 = 0
            for i in (k * 8)..<(k * 8 + 8) { w = w << 8 | UInt64(contiguous[i]) }
            return w
        }
        words = (word(0), word(1), word(2), word(3))
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in [words.0, words.1, words.2, words.3] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return out
    }

    /// Lowercase hex.
    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Constant-time equality: one OR of the XORs of all four words, then a single test.
    public static func == (a: SHA256Digest, b: SHA256Digest) -> Bool {
        let difference = (a.words.0 ^ b.words.0) | (a.words.1 ^ b.words.1) | (a.words.2 ^ b.words.2) | (a.words.3 ^ b.words.3)
        return difference == 0
    }
}

/// SHA-256's chaining state and compression function (FIPS 180-4 §6.2.2).
public struct SHA256Compression: BlockCompression {
    // The initial hash value (FIPS 180-4 §5.3.3): fractional parts of the square roots of the first 8 primes.
    var h0: UInt32 = 0x6A09_E667, h1: UInt32 = 0xBB67_AE85, h2: UInt32 = 0x3C6E_F372, h3: UInt32 = 0xA54F_F53A
    var h4: UInt32 = 0x510E_527F, h5: UInt32 = 0x9B05_688C, h6: UInt32 = 0x1F83_D9AB, h7: UInt32 = 0x5BE0_CD19

    /// The initial hash value.
    public init() {}

    /// The round constants (FIPS 180-4 §4.2.2): fractional parts of the cube roots of the first 64 primes.
    private static let k: [UInt32] = [
        0x428A_2F98, 0x7137_4491, 0xB5C0_FBCF, 0xE9B5_DBA5, 0x3956_C25B, 0x59F1_11F1, 0x923F_82A4, 0xAB1C_5ED5,
        0xD807_AA98, 0x1283_5B01, 0x2431_85BE, 0x550C_7DC3, 0x72BE_5D74, 0x80DE_B1FE, 0x9BDC_06A7, 0xC19B_F174,
        0xE49B_69C1, 0xEFBE_4786, 0x0FC1_9DC6, 0x240C_A1CC, 0x2DE9_2C6F, 0x4A74_84AA, 0x5CB0_A9DC, 0x76F9_88DA,
        0x983E_5152, 0xA831_C66D, 0xB003_27C8, 0xBF59_7FC7, 0xC6E0_0BF3, 0xD5A7_9147, 0x06CA_6351, 0x1429_2967,
        0x27B7_0A85, 0x2E1B_2138, 0x4D2C_6DFC, 0x5338_0D13, 0x650A_7354, 0x766A_0ABB, 0x81C2_C92E, 0x9272_2C85,
        0xA2BF_E8A1, 0xA81A_664B, 0xC24B_8B70, 0xC76C_51A3, 0xD192_E819, 0xD699_0624, 0xF40E_3585, 0x106A_A070,
        0x19A4_C116, 0x1E37_6C08, 0x2748_774C, 0x34B0_BCB5, 0x391C_0CB3, 0x4ED8_AA4A, 0x5B9C_CA4F, 0x682E_6FF3,
        0x748F_82EE, 0x78A5_636F, 0x84C8_7814, 0x8CC7_0208, 0x90BE_FFFA, 0xA450_6CEB, 0xBEF9_A3F7, 0xC671_78F2,
    ]

    /// Folds one 64-byte block into the state.
    public mutating func compress(_ block: UnsafeRawPointer) {
        SHA256Compression.k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for t in 0..<16 { w[t] = loadBigEndianWord(block, t) }
                for t in 16..<64 {
                    let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                    let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                    w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                }
                var (a, b, c, d, e, f, g, h) = (h0, h1, h2, h3, h4, h5, h6, h7)
                for t in 0..<64 {
                    let sum1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                    let choose = (e & f) ^ (~e & g)
                    let t1 = h &+ sum1 &+ choose &+ k[t] &+ w[t]
                    let sum0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                    let majority = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = sum0 &+ majority
                    h = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                }
                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
            }
        }
    }

    @inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
}

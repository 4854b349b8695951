/// SHA-1 (RFC 3174), for the opening handshake's `Sec-WebSocket-Accept` only — not for security.
public enum SHA1 {
    /// The 20-byte digest of `message`.
    public static func digest<Bytes: Collection>(_ message: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = BlockHasher(SHA1Compression())
        Array(message).withUnsafeBytes { hasher.update($0) }
        let h = hasher.finish()
        var out: [UInt8] = []
        out.reserveCapacity(20)
        for word in [h.h0, h.h1, h.h2, h.h3, h.h4] { appendBigEndian(word, to: &out) }
        return out
    }
}

/// SHA-1's chaining state and compression function (RFC 3174 §6.1).
public struct SHA1Compression: BlockCompression {
    var h0: UInt32 = 0x6745_2301, h1: UInt32 = 0xEFCD_AB89, h2: UInt32 = 0x98BA_DCFE, h3: UInt32 = 0x1032_5476
    var h4: UInt32 = 0xC3D2_E1F0

    /// The initial hash value.
    public init() {}

    /// Folds one 64-byte block into the state.
    public mutating func compress(_ block: UnsafeRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            for i in 0..<16 { w[i] = loadBigEndianWord(block, i) }
            for i in 16..<80 { w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
            var (a, b, c, d, e) = (h0, h1, h2, h3, h4)
            for i in 0..<80 {
                let f: UInt32, k: UInt32
                switch i {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
                default: f = b ^ c ^ d; k = 0xCA62_C1D6
                }
                let t = rotl(a, 5) &+ f &+ e &+ k &+ w[i]
                e = d; d = c; c = rotl(b, 30); b = a; a = t
            }
            h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e
        }
    }

    @inline(__always) private func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { x << n | x >> (32 - n) }
}

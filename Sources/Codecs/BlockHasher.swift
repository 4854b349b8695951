/// The compression step of a Merkle–Damgård hash over 64-byte blocks (SHA-1, SHA-256): it folds one
/// block into the chaining state.
public protocol BlockCompression: Sendable {
    /// Folds the 64 bytes at `block` into the state.
    mutating func compress(_ block: UnsafeRawPointer)
}

/// Feeds a message to a `BlockCompression` 64 bytes at a time and applies the final padding that
/// SHA-1 and SHA-256 share (FIPS 180-4 §5.1.1): a 1 bit, zeros, and the message length in bits as a
/// 64-bit big-endian number, so the padded message is a whole number of blocks.
///
/// A value type with its partial block inline: copying it copies the hash in progress (HMAC keeps
/// two of them primed with its padded key and copies them per message).
public struct BlockHasher<State: BlockCompression>: Sendable {
    /// The chaining state (the digest words once `finish` ran).
    public private(set) var state: State
    /// The partial block: `buffered` bytes of it are message bytes not yet compressed.
    private var block: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var buffered = 0
    /// Message bytes absorbed so far.
    private var length: UInt64 = 0

    /// A hasher starting from `initial` (the algorithm's initial hash value).
    public init(_ initial: State) { state = initial }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress else { return }
        var n = bytes.count
        length &+= UInt64(n)
        if buffered > 0 {
            let take = min(64 - buffered, n)
            withUnsafeMutableBytes(of: &block) { $0.baseAddress!.advanced(by: buffered).copyMemory(from: p, byteCount: take) }
            buffered += take
            p += take
            n -= take
            guard buffered == 64 else { return }
            compressBufferedBlock()
        }
        while n >= 64 {
            state.compress(p)
            p += 64
            n -= 64
        }
        if n > 0 {
            withUnsafeMutableBytes(of: &block) { $0.baseAddress!.copyMemory(from: p, byteCount: n) }
            buffered = n
        }
    }

    /// Applies the padding and returns the final state (its words are the digest).
    public consuming func finish() -> State {
        let bitLength = length &* 8
        withUnsafeMutableBytes(of: &block) { raw in
            raw[buffered] = 0x80
            for i in (buffered + 1)..<64 { raw[i] = 0 }
        }
        if buffered + 1 > 56 {
            compressBufferedBlock()
            withUnsafeMutableBytes(of: &block) { raw in for i in 0..<56 { raw[i] = 0 } }
        }
        withUnsafeMutableBytes(of: &block) { raw in
            for i in 0..<8 { raw[56 + i] = UInt8(truncatingIfNeeded: bitLength >> UInt64(56 - 8 * i)) }
        }
        compressBufferedBlock()
        return state
    }

    private mutating func compressBufferedBlock() {
        var copy = block
        withUnsafeBytes(of: &copy) { state.compress($0.baseAddress!) }
        buffered = 0
    }
}

/// Big-endian 32-bit load from a block (hash inputs are big-endian words).
@inline(__always)
func loadBigEndianWord(_ p: UnsafeRawPointer, _ index: Int) -> UInt32 {
    UInt32(bigEndian: p.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
}

/// Appends `word` big-endian.
@inline(__always)
func appendBigEndian(_ word: UInt32, to out: inout [UInt8]) {
    out += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
}

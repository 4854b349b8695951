/// Compresses one short message on its own into a permessage-deflate payload (RFC 7692 §7.2.1: raw
/// DEFLATE as a sync flush ends it, the flush's `00 00 ff ff` removed): one block with DEFLATE's fixed
/// Huffman codes (RFC 1951 §3.2.6), then the empty stored block's header of the sync flush. The
/// shared frames of messages up to `maximumMessageBytes` (quotes) are built with it.
///
/// Why not zlib for these: on a 400-byte quote zlib spends ~60 000 instructions whatever its level
/// (callgrind: most of them building, sending and resetting dynamic Huffman trees; even
/// `Z_HUFFMAN_ONLY` costs 8 µs here), so a compression cost as much as ~70 plain deliveries. Fixed
/// codes need no tree; the price is a payload ~10 % larger than zlib's for a depth-10 quote.
///
/// LZ77: greedy, a 4-byte hash into `head`, at most `chainLimit` earlier positions tried through
/// `chain`, matches of 4...258 bytes (on the simulator's depth-10 quotes, 3-byte matches, lazy
/// matching or 8 to 32 candidates each saved 0.3-1.5 % of the bytes for up to twice the time; see
/// docs/performance-notes.md for what was tried on the tables). Back references stay inside the message (no context), so the
/// payload suits every client that negotiated no server context takeover, and none reaches further
/// back than the message is long (a window promise of 2^N is kept for messages of at most 2^N bytes).
///
/// Invariants: every buffer is allocated in `init` and freed in `deinit`. `head` and `chain` hold
/// offsets + 1 in the current message (0: none); the first 2^`hashBits(n)` entries of `head`, the
/// only ones an `n`-byte message uses, are cleared before it, so no entry of an earlier message is
/// seen. `chain[i]` is written for every offset `i` before a later offset of the same message can
/// lead to it. Not thread-safe: one owner thread at a time.
public final class FixedHuffmanDeflater {
    /// The longest message it compresses (at most 32 KiB, DEFLATE's window).
    public let maximumMessageBytes: Int
    /// How many earlier positions with the same hash are tried for a match.
    public let chainLimit: Int
    /// Where its tables' memory is counted.
    public let memory: CompressionMemory

    /// The hash table's size: 2^(bit width of the message's length + 2) entries, at least 2^8 and at
    /// most 2^`maximumHashBits` (a 475-byte quote uses 2 048 entries, 4 KiB; one of 150 bytes 1 024).
    /// Cleared per message, which also brings it into L1 before use, where the fan-out's thousand
    /// connections evict everything between two messages (the 16 KiB table of absolute positions
    /// before was ~17 % of the encoder's samples there, waiting for its cache lines). Half that size
    /// was slower (30-100 % on a depth-1 quote with hot caches, 16 % per compression in the fan-out):
    /// more distinct words share a bucket, and the candidate checks mispredict.
    static let maximumHashBits = 12
    /// A match this long is taken without trying further candidates.
    private static let niceLength = 64
    /// Positions inside a match longer than this are not hashed (saves a hash insertion per byte of
    /// long matches; a later match into their middle is rarely longer than one from their start).
    static let insertLimit = 8

    /// For each hash, the offset + 1 of the latest position in the message with it (0: none);
    /// cleared per message over the entries the message's hash size uses.
    private let head: UnsafeMutablePointer<UInt16>
    /// For each offset in the message, the offset + 1 of the previous position with its hash (0: none).
    private let chain: UnsafeMutablePointer<UInt16>
    /// Codes, each packed as `bitCount << 24 | bits` (bits in the order they go out: the Huffman code
    /// reversed, extra bits above it): literals 0...255, lengths 3...258 (index length - 3),
    /// distance codes 0...29 without their extra bits (those are computed: `distance(_:)`).
    private let literalCodes: UnsafeMutablePointer<UInt32>
    private let lengthCodes: UnsafeMutablePointer<UInt32>
    private let distanceCodes: UnsafeMutablePointer<UInt32>
    private let tableBytes: Int

    /// A deflater for messages of at most `maximumMessageBytes` (1...32 768) bytes.
    public init(maximumMessageBytes: Int, chainLimit: Int = 4, memory: CompressionMemory = CompressionMemory()) {
        precondition((1...(1 << 15)).contains(maximumMessageBytes), "fixed-Huffman messages are 1...32768 bytes")
        precondition(chainLimit >= 1, "at least one candidate")
        self.maximumMessageBytes = maximumMessageBytes
        self.chainLimit = chainLimit
        self.memory = memory
        let hashSize = 1 << Self.maximumHashBits
        head = .allocate(capacity: hashSize)
        head.initialize(repeating: 0, count: hashSize)
        chain = .allocate(capacity: maximumMessageBytes)
        chain.initialize(repeating: 0, count: maximumMessageBytes)
        literalCodes = .allocate(capacity: 256)
        lengthCodes = .allocate(capacity: 256)
        distanceCodes = .allocate(capacity: 32)
        for v in 0..<256 { literalCodes[v] = Self.literalOrLength(v) }
        for length in 3...258 {
            let k = Self.lengthBase.lastIndex { $0 <= length }!
            let code = Self.literalOrLength(257 + k)
            let codeBits = Int(code >> 24)
            lengthCodes[length - 3] = Self.packed(code & 0xFF_FFFF | UInt32(length - Self.lengthBase[k]) << codeBits,
                                                  codeBits + Self.lengthExtraBits[k])
        }
        for k in 0..<32 { distanceCodes[k] = Self.packed(Self.reversed(k, bits: 5), 5) }
        tableBytes = hashSize * 2 + maximumMessageBytes * 2 + 256 * 4 * 2 + 32 * 4
        memory.add(tableBytes)
    }

    deinit {
        memory.add(-tableBytes)
        head.deallocate()
        chain.deallocate()
        literalCodes.deallocate()
        lengthCodes.deallocate()
        distanceCodes.deallocate()
    }

    /// The most bytes a payload of an `n`-byte message takes: 9 bits a literal at worst (a match
    /// of 4 or more bytes takes fewer than 9 bits a byte), the block's 3 + 7 bits and the flush's 3.
    public static func bound(_ n: Int) -> Int { n + n / 8 + 3 }

    /// Compresses `message` (at most `maximumMessageBytes`) into the start of `output` (grown when too
    /// small; its contents before are overwritten) and returns the payload's length.
    public func compress(_ message: UnsafeRawBufferPointer, into output: inout [UInt8]) -> Int {
        let n = message.count
        precondition(n <= maximumMessageBytes, "a message longer than the fixed-Huffman limit")
        // 8 bytes of slack: the bit writer stores 64 bits at a time.
        output.growZeroed(to: Self.bound(n) + 8)
        return output.withUnsafeMutableBytes { out in
            var writer = BitWriter(out.baseAddress!)
            writer.put(0b010, 3)  // BFINAL 0, BTYPE 01: fixed Huffman codes
            if let p = message.baseAddress { encode(p, n, &writer) }
            writer.put(0, 7)  // end of block (code 256: seven zero bits)
            writer.put(0, 3)  // the sync flush's empty stored block: BFINAL 0, BTYPE 00, then 00 00 ff ff (dropped)
            return writer.finish()
        }
    }

    /// Compresses `message` into a new array (for tests and tools; the server reuses one buffer).
    public func compress(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        let n = message.withUnsafeBytes { compress($0, into: &output) }
        return Array(output[0..<n])
    }

    /// The hash size (in bits) for an `n`-byte message (see `maximumHashBits`).
    @inline(__always)
    static func hashBits(_ n: Int) -> Int { min(maximumHashBits, max(8, (Int.bitWidth - n.leadingZeroBitCount) + 2)) }

    /// The symbols of the `n` bytes at `p`.
    @inline(__always)
    private func encode(_ p: UnsafeRawPointer, _ n: Int, _ writer: inout BitWriter) {
        // Locals, so the loop keeps them in registers instead of reloading them through `self`.
        let head = self.head, chain = self.chain, chainLimit = self.chainLimit
        let literalCodes = self.literalCodes, lengthCodes = self.lengthCodes, distanceCodes = self.distanceCodes
        let bits = Self.hashBits(n)
        head.update(repeating: 0, count: 1 << bits)
        let shift = UInt32(32 - bits)
        var i = 0
        let last = n - 4  // the last offset with 4 bytes to hash
        while i <= last {
            let word = p.loadUnaligned(fromByteOffset: i, as: UInt32.self)
            var candidate = Self.insert(word, at: i, shift, head, chain)
            var bestLength = 0
            var bestDistance = 0
            var tries = chainLimit
            while candidate >= 0 && tries > 0 {
                if p.loadUnaligned(fromByteOffset: candidate, as: UInt32.self) == word {
                    let longest = min(258, n - i)
                    var length = 4
                    var ended = false
                    // 8 bytes at a time; the first differing byte is the lowest set byte of the XOR.
                    while length + 8 <= longest {
                        let x = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: candidate + length, as: UInt64.self))
                            ^ UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i + length, as: UInt64.self))
                        if x != 0 {
                            length += x.trailingZeroBitCount >> 3
                            ended = true
                            break
                        }
                        length += 8
                    }
                    while !ended && length < longest && p.load(fromByteOffset: candidate + length, as: UInt8.self)
                        == p.load(fromByteOffset: i + length, as: UInt8.self) { length += 1 }
                    if length > bestLength {
                        bestLength = length
                        bestDistance = i - candidate
                        if length >= Self.niceLength { break }
                    }
                }
                candidate = Int(chain[candidate]) - 1
                tries -= 1
            }
            if bestLength >= 4 {
                let lengthCode = lengthCodes[bestLength - 3]
                let (distanceBits, distanceCount) = Self.distance(bestDistance, distanceCodes)
                let lengthCount = Int(lengthCode >> 24)
                writer.put(UInt64(lengthCode & 0xFF_FFFF) | distanceBits << UInt64(lengthCount), lengthCount + distanceCount)
                // The positions inside a short match are hashed too, so later matches can start there.
                if bestLength <= Self.insertLimit {
                    let end = min(i + bestLength, last + 1)
                    var j = i + 1
                    while j < end {
                        _ = Self.insert(p.loadUnaligned(fromByteOffset: j, as: UInt32.self), at: j, shift, head, chain)
                        j += 1
                    }
                }
                i += bestLength
            } else {
                writer.put(literalCodes[Int(p.load(fromByteOffset: i, as: UInt8.self))])
                i += 1
            }
        }
        while i < n {
            writer.put(literalCodes[Int(p.load(fromByteOffset: i, as: UInt8.self))])
            i += 1
        }
    }

    /// Makes offset `i` (4 bytes `word`) the latest of its hash and returns the offset it displaced
    /// (an earlier one of this message), or -1.
    @inline(__always)
    private static func insert(_ word: UInt32, at i: Int, _ shift: UInt32, _ head: UnsafeMutablePointer<UInt16>,
                               _ chain: UnsafeMutablePointer<UInt16>) -> Int {
        let h = Int(truncatingIfNeeded: (word &* 2_654_435_761) &>> shift)
        let previous = head[h]
        head[h] = UInt16(truncatingIfNeeded: i &+ 1)
        chain[i] = previous
        return Int(truncatingIfNeeded: previous) &- 1
    }

    /// Distance `d`'s code and extra bits (RFC 1951 §3.2.5), as bits in output order and their count:
    /// from `d - 1`'s top two bits for distances over 4, so no table per distance is touched.
    @inline(__always)
    private static func distance(_ d: Int, _ distanceCodes: UnsafeMutablePointer<UInt32>) -> (UInt64, Int) {
        let x = UInt32(truncatingIfNeeded: d - 1)
        if x < 4 { return (UInt64(distanceCodes[Int(x)] & 0x1F), 5) }
        let top = 31 - x.leadingZeroBitCount  // 2...14
        let extra = top - 1
        let code = 2 * top + Int((x >> UInt32(extra)) & 1)
        return (UInt64(distanceCodes[code] & 0x1F) | UInt64(x & (1 << UInt32(extra) - 1)) << 5, 5 + extra)
    }

    // RFC 1951 §3.2.5: the lengths and distances each code stands for.
    private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                                     131, 163, 195, 227, 258]
    private static let lengthExtraBits = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                                       2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static func distanceExtraBits(_ code: Int) -> Int { code < 4 ? 0 : code / 2 - 1 }

    /// RFC 1951 §3.2.6: the fixed code of literal/length symbol `v` (0...287), packed, reversed.
    private static func literalOrLength(_ v: Int) -> UInt32 {
        switch v {
        case 0...143: packed(reversed(0x30 + v, bits: 8), 8)
        case 144...255: packed(reversed(0x190 + v - 144, bits: 9), 9)
        case 256...279: packed(reversed(v - 256, bits: 7), 7)
        default: packed(reversed(0xC0 + v - 280, bits: 8), 8)
        }
    }

    private static func packed(_ bits: UInt32, _ count: Int) -> UInt32 { UInt32(count) << 24 | bits }

    /// `code`'s low `bits` bits in reverse order (Huffman codes go out most significant bit first,
    /// everything else least significant bit first).
    private static func reversed(_ code: Int, bits: Int) -> UInt32 {
        var r: UInt32 = 0
        for b in 0..<bits where code & (1 << b) != 0 { r |= 1 << UInt32(bits - 1 - b) }
        return r
    }
}

/// DEFLATE's bit order (RFC 1951 §3.1.1): bits fill each byte from its least significant end.
///
/// Invariants: `out` has room for every byte the caller's bound allows plus 8 (each `put` stores
/// 64 bits, of which only the completed bytes count); `pending` holds `count` < 8 bits not yet
/// counted between calls, so a `put` of up to 56 bits fits.
private struct BitWriter {
    private let out: UnsafeMutableRawPointer
    private var offset = 0
    private var pending: UInt64 = 0
    private var count = 0

    init(_ out: UnsafeMutableRawPointer) { self.out = out }

    /// Appends the low `n` (at most 56) bits of `bits`; no branch: the whole word is stored and the
    /// completed bytes are counted.
    @inline(__always)
    mutating func put(_ bits: UInt64, _ n: Int) {
        pending |= bits &<< UInt64(truncatingIfNeeded: count)
        count &+= n
        out.storeBytes(of: pending.littleEndian, toByteOffset: offset, as: UInt64.self)
        let bytes = count &>> 3
        offset &+= bytes
        pending = pending &>> UInt64(truncatingIfNeeded: bytes &<< 3)
        count &= 7
    }

    /// Appends a packed code (`bitCount << 24 | bits`).
    @inline(__always)
    mutating func put(_ code: UInt32) { put(UInt64(code & 0xFF_FFFF), Int(code >> 24)) }

    /// Stores what is left, padded with zero bits to a whole byte, and returns the bytes written.
    mutating func finish() -> Int {
        if count > 0 {
            out.storeBytes(of: UInt8(truncatingIfNeeded: pending), toByteOffset: offset, as: UInt8.self)
            offset += 1
        }
        return offset
    }
}

import CZlib

/// Compresses whole WebSocket messages into permessage-deflate payloads (RFC 7692 §7.2.1): raw
/// DEFLATE ended by a sync flush, with the flush's trailing `00 00 ff ff` removed.
///
/// - With context takeover a message may refer back into earlier ones (the peer's inflater keeps
///   its window between messages); without, the stream is reset after each message, so every
///   payload stands alone and can be sent to any client that negotiated no context takeover.
/// - `maxWindowBits` (8...15) is the LZ77 window the peer was promised (`server_max_window_bits`,
///   or `client_max_window_bits` for a client): no back reference reaches further. zlib cannot
///   compress raw DEFLATE with an 8-bit window, so a promise of 8 is kept by compressing each message
///   on its own with a 9-bit window, and only messages of at most 256 bytes (whose back references
///   cannot reach further than that): longer ones are refused and must go uncompressed, which RFC
///   7692 allows for any message.
/// - Memory: zlib's state, `2^(windowBits+2) + 2^(memoryLevel+9)` bytes plus about 6 KiB (counted in
///   `memory`); the output goes to the caller's buffer, so many deflaters can share one.
///
/// Invariants: `stream` is allocated once and never moves (zlib's state points back to it); it is
/// initialised in `init` and ended in `deinit`. Not thread-safe: one owner thread at a time.
public final class MessageDeflater {
    /// The LZ77 window promised to the peer, in bits.
    public let maxWindowBits: Int
    /// Whether messages may refer back into earlier ones (false when `maxWindowBits` is 8).
    public let contextTakeover: Bool
    /// Where zlib's allocations are counted.
    public let memory: CompressionMemory
    private let stream: UnsafeMutablePointer<z_stream>

    /// The longest message compressed under an 8-bit window promise.
    public static let eightBitWindowLimit = 256

    /// A deflater with zlib's `level` (0...9) and `memoryLevel` (1...9); nil when zlib cannot
    /// allocate its state. Parameters out of range are a programming error (configurations are
    /// validated where they are read).
    public init?(maxWindowBits: Int = 15, contextTakeover: Bool, memoryLevel: Int = 8, level: Int = 6,
                 memory: CompressionMemory = CompressionMemory()) {
        precondition((8...15).contains(maxWindowBits), "window bits 8...15")
        precondition((1...9).contains(memoryLevel) && (0...9).contains(level), "zlib memory level 1...9, level 0...9")
        self.maxWindowBits = maxWindowBits
        self.contextTakeover = contextTakeover && maxWindowBits >= 9
        self.memory = memory
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard qz_deflate_init(stream, Int32(level), Int32(max(9, maxWindowBits)), Int32(memoryLevel), memory.counter) == Z_OK else {
            stream.deallocate()
            return nil
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Compresses `message` into the start of `output` (grown when too small; its contents before
    /// are overwritten) and returns the payload's length, or nil when this message must be sent
    /// uncompressed (over the 8-bit window limit, or zlib failed: the stream is then reset).
    public func compress(_ message: UnsafeRawBufferPointer, into output: inout [UInt8]) -> Int? {
        if maxWindowBits == 8 && message.count > Self.eightBitWindowLimit { return nil }
        let z = stream
        // deflateBound covers a complete stream; the sync flush's empty stored block adds 5 bytes.
        let bound = Int(deflateBound(z, uLong(message.count))) + 16
        output.growZeroed(to: bound)
        z.pointee.next_in = UnsafeMutablePointer(mutating: message.baseAddress?.assumingMemoryBound(to: Bytef.self))
        z.pointee.avail_in = uInt(message.count)
        var produced = 0
        var failed = false
        while true {
            let status = output.withUnsafeMutableBytes { out -> Int32 in
                z.pointee.next_out = (out.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
                z.pointee.avail_out = uInt(out.count - produced)
                let status = deflate(z, Z_SYNC_FLUSH)
                produced = out.count - Int(z.pointee.avail_out)
                return status
            }
            if status != Z_OK && status != Z_BUF_ERROR { failed = true; break }
            // Output space left over means the flush is complete (zlib: call again only when avail_out is 0).
            if z.pointee.avail_out > 0 { break }
            output.growZeroed(to: 2 * output.count)
        }
        z.pointee.next_in = nil
        z.pointee.next_out = nil
        let flushed = !failed && produced >= 4 && output[produced - 4] == 0 && output[produced - 3] == 0
            && output[produced - 2] == 0xFF && output[produced - 1] == 0xFF
        if !flushed || !contextTakeover { deflateReset(z) }
        return flushed ? produced - 4 : nil
    }

    /// Compresses `message` into a new array (for tests and tools; the server reuses one buffer).
    public func compress(_ message: [UInt8]) -> [UInt8]? {
        var output: [UInt8] = []
        guard let n = message.withUnsafeBytes({ compress($0, into: &output) }) else { return nil }
        return Array(output[0..<n])
    }
}

extension [UInt8] {
    /// Makes the array at least `count` bytes long, zero-filling what it adds (a compression or
    /// inflation buffer: zlib then writes into it in place).
    mutating func growZeroed(to count: Int) {
        if self.count < count { append(contentsOf: [UInt8](repeating: 0, count: count - self.count)) }
    }
}

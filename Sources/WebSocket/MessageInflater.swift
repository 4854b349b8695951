import CZlib

/// What became of one compressed message.
public enum InflateOutcome: Equatable, Sendable {
    /// The message is the first `count` bytes of the output (and valid UTF-8 if it was text).
    case inflated(count: Int)
    /// Close the connection with this code: 1009 when the inflated size passed the limit, 1007 for
    /// data that is not valid DEFLATE (or text that is not UTF-8), 1011 when zlib ran out of memory.
    case failure(WebSocketCloseCode, reason: String)
}

/// Inflates permessage-deflate payloads (RFC 7692 §7.2.2): appends the `00 00 ff ff` the sender
/// removed and inflates raw DEFLATE, straight into the caller's buffer, stopping as soon as the
/// output passes the caller's limit (a small frame that would inflate to a gigabyte costs at most
/// the limit in memory and time), checking text as UTF-8 chunk by chunk.
///
/// - With context takeover the window carries over from message to message (a message may refer
///   back into earlier ones); without, the state is reset before each message, so one inflater can
///   serve every connection of a thread whose peers agreed to no context takeover.
/// - `windowBits` (8...15) must be at least the window the peer compresses with.
/// - A message ending with a final block (BFINAL = 1, RFC 7692 §7.2.3.4) is accepted, bytes after it
///   ignored; with context takeover the window is carried into a fresh stream through zlib's
///   dictionary calls.
/// - Memory: zlib's state, about 7 KiB, plus `2^windowBits` bytes of window from the first message on
///   (counted in `memory`).
///
/// Invariants: `stream` is allocated once and never moves (zlib's state points back to it); it is
/// initialised in `init` and ended in `deinit`. Not thread-safe: one owner thread at a time.
public final class MessageInflater {
    /// The LZ77 window accepted from the peer, in bits.
    public let windowBits: Int
    /// Whether the window carries over between messages.
    public let contextTakeover: Bool
    /// Where zlib's allocations are counted.
    public let memory: CompressionMemory
    private let stream: UnsafeMutablePointer<z_stream>
    /// The bytes the sender removed from the end of every message.
    private static let trailer: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]
    /// Output room added per step (so a bomb grows the buffer at most this far past the limit).
    private static let step = 16 * 1024

    /// An inflater accepting windows up to `windowBits` (8...15); nil when zlib cannot allocate its state.
    public init?(windowBits: Int = 15, contextTakeover: Bool, memory: CompressionMemory = CompressionMemory()) {
        precondition((8...15).contains(windowBits), "window bits 8...15")
        self.windowBits = windowBits
        self.contextTakeover = contextTakeover
        self.memory = memory
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard qz_inflate_init(stream, Int32(windowBits), memory.counter) == Z_OK else {
            stream.deallocate()
            return nil
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates one whole message's `payload` into the start of `output` (grown as needed, at most to
    /// `limit` plus one step; its old contents are overwritten). `text` checks the result as UTF-8.
    public func inflate(_ payload: UnsafeRawBufferPointer, into output: inout [UInt8], limit: Int, text: Bool) -> InflateOutcome {
        // An empty payload has nothing to inflate (the deflater's shortest output, for an empty
        // message, is one byte; some senders may still send none).
        guard !payload.isEmpty else { return .inflated(count: 0) }
        if !contextTakeover { inflateReset(stream) }
        var run = Run(limit: limit, text: text)
        if let failure = run.feed(payload, stream: stream, output: &output) { return fail(failure) }
        if !run.ended {
            let trailerFailure = Self.trailer.withUnsafeBytes { run.feed($0, stream: stream, output: &output) }
            if let failure = trailerFailure { return fail(failure) }
        }
        if run.ended {
            restartKeepingWindow()
        } else if stream.pointee.data_type & 128 == 0 {
            // After the trailer's empty stored block the stream must wait for a new block header:
            // anything else means the message was cut inside a block.
            return fail(.failure(.invalidPayload, reason: "compressed message ends inside a DEFLATE block"))
        }
        if text && !run.utf8.isComplete {
            return fail(.failure(.invalidPayload, reason: "text message ends inside a UTF-8 sequence"))
        }
        return .inflated(count: run.produced)
    }

    /// Inflates `payload` into a new array (for tests and tools).
    public func inflate(_ payload: [UInt8], limit: Int = 1 << 20, text: Bool = false) -> Result<[UInt8], InflateFailure> {
        var output: [UInt8] = []
        switch payload.withUnsafeBytes({ inflate($0, into: &output, limit: limit, text: text) }) {
        case .inflated(let n): return .success(Array(output[0..<n]))
        case .failure(let code, let reason): return .failure(InflateFailure(code: code, reason: reason))
        }
    }

    /// After a final block the stream is finished; a fresh one continues, with the old window as its
    /// dictionary when the context carries over.
    private func restartKeepingWindow() {
        guard contextTakeover else {
            inflateReset(stream)
            return
        }
        var window = [UInt8](repeating: 0, count: 1 << windowBits)
        var length: uInt = 0
        let got = window.withUnsafeMutableBytes {
            inflateGetDictionary(stream, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), &length)
        }
        inflateReset(stream)
        if got == Z_OK && length > 0 {
            _ = window.withUnsafeBytes {
                inflateSetDictionary(stream, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), length)
            }
        }
    }

    /// A failed message leaves the stream in no state to continue: reset it (the connection closes).
    private func fail(_ outcome: InflateOutcome) -> InflateOutcome {
        inflateReset(stream)
        return outcome
    }

    /// One message's progress through `feed` calls (the payload, then the trailer).
    private struct Run {
        let limit: Int
        let text: Bool
        var produced = 0
        var utf8 = UTF8Validator()
        /// A final block was decoded (Z_STREAM_END): the message ends there, and what follows in the
        /// payload (RFC 7692 §7.2.3.4 shows a byte of it) and the trailer are ignored.
        var ended = false

        init(limit: Int, text: Bool) {
            self.limit = limit
            self.text = text
        }

        /// Inflates all of `input`; returns the failure, if any.
        mutating func feed(_ input: UnsafeRawBufferPointer, stream z: UnsafeMutablePointer<z_stream>,
                           output: inout [UInt8]) -> InflateOutcome? {
            guard !input.isEmpty else { return nil }
            z.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
            z.pointee.avail_in = uInt(input.count)
            defer {
                z.pointee.next_in = nil
                z.pointee.next_out = nil
            }
            while true {
                // Room up to one byte past the limit: producing that byte proves the message too big.
                let room = min(MessageInflater.step, limit + 1 - produced)
                output.growZeroed(to: produced + room)
                let start = produced
                let status = output.withUnsafeMutableBytes { out -> Int32 in
                    z.pointee.next_out = (out.baseAddress! + start).assumingMemoryBound(to: Bytef.self)
                    z.pointee.avail_out = uInt(room)
                    return CZlib.inflate(z, Z_SYNC_FLUSH)
                }
                produced = start + room - Int(z.pointee.avail_out)
                if produced > limit { return .failure(.messageTooBig, reason: "message inflates to more than \(limit) bytes") }
                if text && produced > start {
                    let valid = output.withUnsafeBytes { utf8.validate(UnsafeRawBufferPointer(rebasing: $0[start..<produced])) }
                    if !valid { return .failure(.invalidPayload, reason: "text message is not valid UTF-8") }
                }
                switch status {
                case Z_STREAM_END:
                    ended = true
                    return nil
                case Z_OK, Z_BUF_ERROR:
                    // A full output may hide more pending output, even with the input used up.
                    if z.pointee.avail_out == 0 { continue }
                    if z.pointee.avail_in == 0 { return nil }
                    // Input and room left, and no progress: zlib cannot go on.
                    if status == Z_BUF_ERROR { return .failure(.invalidPayload, reason: "compressed message is not valid DEFLATE") }
                case Z_MEM_ERROR:
                    return .failure(.internalError, reason: "out of memory inflating a message")
                default:
                    let why = z.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                    return .failure(.invalidPayload, reason: "compressed message is not valid DEFLATE (\(why))")
                }
            }
        }
    }
}

/// Why `MessageInflater.inflate(_:limit:text:)` refused a message.
public struct InflateFailure: Error, Equatable, Sendable {
    /// The close code for it.
    public let code: WebSocketCloseCode
    /// What was wrong.
    public let reason: String
}

import Synchronization

/// One server frame, encoded once into an immutable buffer that any number of connections can
/// queue and write (server frames are unmasked, so the same bytes go to every client). The memory
/// is allocated once and never written after `init`; it is freed with the last reference.
///
/// A data message can carry its permessage-deflate form too: compressed once, without context
/// takeover, the first time a client that negotiated it needs it, and kept beside the plain frame
/// (`deflated`), so every such client is sent the same compressed bytes.
public final class WebSocketFrame: @unchecked Sendable {
    // @unchecked: the bytes are written only in init and read-only afterwards; `deflatedForm` is
    // set at most once, atomically (compare-and-exchange from 0).
    /// The frame's bytes on the wire: header then payload.
    public let bytes: UnsafeRawBufferPointer
    /// The message compressed without context takeover (RSV1 set), once built: the bits of an
    /// `Unmanaged` reference, 0 until set, retained once by `storeDeflated` and released in `deinit`.
    /// (Synchronization's `AtomicLazyReference.load` is not inlined into this module and looked up
    /// generic metadata on every call: ~2 % of the loop in the 1 000-client fan-out, once per delivery.)
    private let deflatedForm = Atomic<UInt>(0)

    /// Encodes a final frame of `opcode` carrying `payload`.
    public convenience init(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, fin: Bool = true) {
        self.init(opcode: opcode, payload: payload, fin: fin, compressed: false)
    }

    /// Encodes a frame of `opcode` carrying `payload`; `compressed` sets RSV1 (a permessage-deflate
    /// payload, RFC 7692 §6).
    init(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, fin: Bool, compressed: Bool) {
        let n = payload.count
        let headerLength = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: headerLength + n, alignment: 8)
        storage[0] = (fin ? 0x80 : 0) | (compressed ? 0x40 : 0) | opcode.rawValue
        if n < 126 {
            storage[1] = UInt8(n)
        } else if n <= 0xFFFF {
            storage[1] = 126
            storage[2] = UInt8(n >> 8)
            storage[3] = UInt8(truncatingIfNeeded: n)
        } else {
            storage[1] = 127
            for i in 0..<8 { storage[2 + i] = UInt8(truncatingIfNeeded: UInt64(n) >> UInt64(56 - 8 * i)) }
        }
        if n > 0, let source = payload.baseAddress {
            (storage.baseAddress! + headerLength).copyMemory(from: source, byteCount: n)
        }
        bytes = UnsafeRawBufferPointer(storage)
    }

    /// Wraps pre-encoded bytes as they are (an HTTP response sharing the connection's output queue).
    public init(raw: UnsafeRawBufferPointer) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(raw.count, 1), alignment: 8)
        if let source = raw.baseAddress, raw.count > 0 { storage.baseAddress!.copyMemory(from: source, byteCount: raw.count) }
        bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<raw.count])
    }

    deinit {
        let form = deflatedForm.load(ordering: .acquiring)
        if form != 0 { Unmanaged<WebSocketFrame>.fromOpaque(UnsafeRawPointer(bitPattern: form)!).release() }
        bytes.deallocate()
    }

    /// A text frame carrying `text`.
    public static func text(_ text: String) -> WebSocketFrame {
        var t = text
        return t.withUTF8 { WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer($0)) }
    }

    /// A frame of `opcode` carrying `bytes`.
    public static func make(_ opcode: WebSocketOpcode, _ bytes: [UInt8]) -> WebSocketFrame {
        bytes.withUnsafeBytes { WebSocketFrame(opcode: opcode, payload: $0) }
    }

    /// A close frame with `code` and a UTF-8 `reason` (cut to fit the 125-byte control limit).
    public static func close(_ code: WebSocketCloseCode?, reason: String = "") -> WebSocketFrame {
        guard let code else { return WebSocketFrame(opcode: .close, payload: UnsafeRawBufferPointer(start: nil, count: 0)) }
        var body: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(truncatingIfNeeded: code.rawValue)]
        var cut = Array(reason.utf8.prefix(123))
        while !UTF8Validator.isValid(cut) { cut.removeLast() }
        body += cut
        return body.withUnsafeBytes { WebSocketFrame(opcode: .close, payload: $0) }
    }

    /// The payload length.
    public var payloadCount: Int {
        let l = bytes[1] & 0x7F
        return bytes.count - (l < 126 ? 2 : l == 126 ? 4 : 10)
    }

    /// The payload bytes.
    public var payload: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - payloadCount)...])
    }

    /// Whether this is a whole text or binary message sent plainly (FIN, no RSV bit): the only
    /// frames permessage-deflate may compress. HTTP responses, control frames and fragments are not.
    public var isCompressible: Bool {
        bytes.count >= 2 && bytes[0] & 0xF0 == 0x80 && (bytes[0] & 0x0F == WebSocketOpcode.text.rawValue
            || bytes[0] & 0x0F == WebSocketOpcode.binary.rawValue)
    }

    /// The compressed form of this message, if it was built (`deflated(by:scratch:)`).
    public var cachedDeflated: WebSocketFrame? {
        let form = deflatedForm.load(ordering: .acquiring)
        guard form != 0 else { return nil }
        return Unmanaged<WebSocketFrame>.fromOpaque(UnsafeRawPointer(bitPattern: form)!).takeUnretainedValue()
    }

    /// Keeps `frame` as the compressed form unless another thread kept one first; returns the one kept.
    private func storeDeflated(_ frame: WebSocketFrame) -> WebSocketFrame {
        let retained = UInt(bitPattern: Unmanaged.passRetained(frame).toOpaque())
        let (stored, existing) = deflatedForm.compareExchange(expected: 0, desired: retained, ordering: .acquiringAndReleasing)
        if stored { return frame }
        Unmanaged<WebSocketFrame>.fromOpaque(UnsafeRawPointer(bitPattern: retained)!).release()
        return Unmanaged<WebSocketFrame>.fromOpaque(UnsafeRawPointer(bitPattern: existing)!).takeUnretainedValue()
    }

    /// This message compressed by `deflater` (which must not keep context: the result is shared by
    /// every client) into a frame with RSV1 set, built on the first call and kept; later calls, from
    /// any thread, return the same frame. nil when the frame is not compressible or zlib failed.
    /// `scratch` is the caller's reusable compression buffer.
    public func deflated(by deflater: MessageDeflater, scratch: inout [UInt8]) -> WebSocketFrame? {
        precondition(!deflater.contextTakeover, "a shared compressed frame must not depend on earlier messages")
        return deflated(scratch: &scratch) { deflater.compress($0, into: &$1) }
    }

    /// This message compressed by `compress` (which writes a permessage-deflate payload made without
    /// context into the buffer and returns its length, or nil when the message must go plain), kept
    /// as `deflated(by:scratch:)` keeps it.
    public func deflated(scratch: inout [UInt8],
                         _ compress: (UnsafeRawBufferPointer, inout [UInt8]) -> Int?) -> WebSocketFrame? {
        if let built = cachedDeflated { return built }
        guard isCompressible, let n = compress(payload, &scratch) else { return nil }
        return storeDeflated(compressedFrame(scratch, count: n))
    }

    /// `frame`'s message compressed by `deflater` (with its context, if it keeps one), RSV1 set; nil
    /// when the frame is not compressible or the deflater refuses the message (it must go plain).
    public static func deflating(_ frame: WebSocketFrame, with deflater: MessageDeflater, scratch: inout [UInt8]) -> WebSocketFrame? {
        guard frame.isCompressible, let n = deflater.compress(frame.payload, into: &scratch) else { return nil }
        return frame.compressedFrame(scratch, count: n)
    }

    /// A frame of this one's opcode, RSV1 set, carrying the first `count` bytes of `payload`.
    private func compressedFrame(_ payload: [UInt8], count: Int) -> WebSocketFrame {
        let opcode = WebSocketOpcode(rawValue: bytes[0] & 0x0F)!
        return payload.withUnsafeBytes {
            WebSocketFrame(opcode: opcode, payload: UnsafeRawBufferPointer(rebasing: $0[0..<count]), fin: true, compressed: true)
        }
    }
}

/// One server frame, encoded once into an immutable buffer that any number of connections can
/// queue and write (server frames are unmasked, so the same bytes go to every client). The memory
/// is allocated once and never written after `init`; it is freed with the last reference.
public final class WebSocketFrame: @unchecked Sendable {
    // @unchecked: the bytes are written only in init and read-only afterwards.
    /// The frame's bytes on the wire: header then payload.
    public let bytes: UnsafeRawBufferPointer

    /// Encodes a final frame of `opcode` carrying `payload`.
    public init(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, fin: Bool = true) {
        let n = payload.count
        let headerLength = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: headerLength + n, alignment: 8)
        storage[0] = (fin ? 0x80 : 0) | opcode.rawValue
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

    deinit { bytes.deallocate() }

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
}

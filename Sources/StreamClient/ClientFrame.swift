import WebSocket

/// Frames as a client sends them: always masked (RFC 6455 §5.3), with the caller's masking key so
/// that tests and the load harness can be deterministic. The key should come from a good random
/// source in production clients; our peers are our own gateways, where masking is a formality.
public enum ClientFrame {
    /// Appends one final frame of `opcode` carrying `payload`, masked with `maskKey` (first key byte
    /// in the low bits), to `out`; `compressed` sets RSV1 (a permessage-deflate payload).
    public static func append(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, maskKey: UInt32, compressed: Bool = false,
                              to out: inout [UInt8]) {
        let n = payload.count
        out.append(0x80 | (compressed ? 0x40 : 0) | opcode.rawValue)
        if n < 126 {
            out.append(0x80 | UInt8(n))
        } else if n <= 0xFFFF {
            out.append(0x80 | 126)
            out.append(UInt8(n >> 8))
            out.append(UInt8(truncatingIfNeeded: n))
        } else {
            out.append(0x80 | 127)
            for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: UInt64(n) >> UInt64(56 - 8 * i))) }
        }
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: maskKey >> UInt32(8 * i))) }
        var key = maskKey
        for byte in payload {
            out.append(byte ^ UInt8(truncatingIfNeeded: key))
            key = key >> 8 | key << 24
        }
    }

    /// A masked text frame carrying `text`.
    public static func text(_ text: String, maskKey: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        var t = text
        t.withUTF8 { append(opcode: .text, payload: UnsafeRawBufferPointer($0), maskKey: maskKey, to: &out) }
        return out
    }

    /// A masked close frame with `code` and `reason` (cut to the 123 bytes a control frame leaves).
    public static func close(_ code: WebSocketCloseCode, reason: String = "", maskKey: UInt32) -> [UInt8] {
        var body: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(truncatingIfNeeded: code.rawValue)]
        var cut = Array(reason.utf8.prefix(123))
        while !UTF8Validator.isValid(cut) { cut.removeLast() }
        body += cut
        var out: [UInt8] = []
        body.withUnsafeBytes { append(opcode: .close, payload: $0, maskKey: maskKey, to: &out) }
        return out
    }

    /// A masked pong echoing `payload` (a ping's body, at most 125 bytes).
    public static func pong(_ payload: UnsafeRawBufferPointer, maskKey: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        append(opcode: .pong, payload: payload, maskKey: maskKey, to: &out)
        return out
    }
}

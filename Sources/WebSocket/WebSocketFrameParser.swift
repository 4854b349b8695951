/// What the frame parser found in the bytes it was given.
public enum WebSocketFrameEvent: Equatable, Sendable {
    /// Nothing complete yet: read more bytes and call again.
    case insufficientData
    /// A whole message (all fragments joined) is in `WebSocketFrameParser.message`.
    case message(isText: Bool)
    /// A whole message sent compressed (RSV1 on its first frame; only when `perMessageDeflate` is
    /// on): `WebSocketFrameParser.message` holds the compressed payload, not yet UTF-8-checked, for
    /// `MessageInflater` to inflate (and check).
    case compressedMessage(isText: Bool)
    /// A ping; its payload (to echo in the pong) is in `WebSocketFrameParser.control`.
    case ping
    /// A pong; its payload is in `WebSocketFrameParser.control`.
    case pong
    /// A valid close frame: its code (nil when the frame had no body); the reason is in `control`
    /// after the first two bytes and is valid UTF-8.
    case close(WebSocketCloseCode?)
    /// The peer broke the protocol: close with this code. The parser accepts nothing after it.
    case failure(WebSocketCloseCode, reason: String)
}

/// Which end of the connection the parser reads for: a server reads client frames, which must be
/// masked (RFC 6455 §5.1); a client reads server frames, which must not be.
public enum WebSocketRole: Sendable {
    /// The parser runs in a server and reads what a client sent: every frame masked.
    case server
    /// The parser runs in a client and reads what a server sent: no frame masked.
    case client
}

/// An incremental RFC 6455 parser for frames sent by the peer (a client by default, a server with
/// `role: .client`): fed whatever bytes arrived, it
/// returns one event at a time and says how many bytes it consumed. Frame headers are taken whole
/// (a partial header is left unconsumed: `insufficientData`); payloads stream in as they arrive, are
/// unmasked into the message buffer and, for text, UTF-8-checked chunk by chunk (fail fast, also
/// across fragments). Control frames may arrive between the fragments of a message.
public struct WebSocketFrameParser: Sendable {
    /// Where the parser is within the current frame.
    enum FrameState: Sendable {
        /// Waiting for (the rest of) a frame header.
        case header
        /// Inside a frame's payload: `remaining` bytes to come, unmasked with `mask` rotated by `phase`.
        case payload(opcode: WebSocketOpcode, fin: Bool, remaining: Int, mask: UInt32, phase: Int)
        /// A protocol error was reported: everything after it is ignored.
        case failed
    }

    /// What data message is being assembled from fragments.
    enum MessageState: Equatable, Sendable {
        case idle
        /// A message has started: text or binary, compressed (RSV1 on its first frame) or not.
        case data(isText: Bool, compressed: Bool)
    }

    private var state = FrameState.header
    private var messageState = MessageState.idle
    private var utf8 = UTF8Validator()
    /// The payload of the last complete (or the current partial) data message.
    public private(set) var message: [UInt8] = []
    /// The payload of the last control frame (at most 125 bytes).
    public private(set) var control: [UInt8] = []
    /// The largest message accepted, in bytes (a larger one fails with 1009).
    public let maxMessageBytes: Int
    /// Which end this parser reads for (decides whether frames must be masked).
    public let role: WebSocketRole
    /// Whether permessage-deflate was negotiated: RSV1 may then mark the first frame of a data
    /// message as compressed (RFC 7692 §6). Off, any RSV bit fails the connection with 1002.
    public var perMessageDeflate = false

    /// A parser for a fresh connection.
    public init(maxMessageBytes: Int = 1 << 20, role: WebSocketRole = .server) {
        self.maxMessageBytes = maxMessageBytes
        self.role = role
        control.reserveCapacity(125)
    }

    /// Parses from the start of `input`, adding what it consumed to `consumed`, and returns the
    /// first event found (or `insufficientData` once `input` is used up).
    public mutating func next(_ input: UnsafeRawBufferPointer, consumed: inout Int) -> WebSocketFrameEvent {
        var offset = 0
        defer { consumed += offset }
        while true {
            switch state {
            case .failed:
                offset = input.count
                return .insufficientData
            case .header:
                let available = input.count - offset
                guard available >= 2 else { return .insufficientData }
                let b0 = input[offset], b1 = input[offset + 1]
                let fin = b0 & 0x80 != 0
                let compressed = b0 & 0x40 != 0
                if b0 & 0x30 != 0 || (compressed && !perMessageDeflate) {
                    return fail(.protocolError, "reserved bits set (no extension negotiated)")
                }
                guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else { return fail(.protocolError, "reserved opcode") }
                if compressed && opcode.isControl { return fail(.protocolError, "RSV1 set on a control frame") }
                if compressed && opcode == .continuation { return fail(.protocolError, "RSV1 set on a continuation frame") }
                let masked = b1 & 0x80 != 0
                switch role {
                case .server: guard masked else { return fail(.protocolError, "client frames must be masked") }
                case .client: guard !masked else { return fail(.protocolError, "server frames must not be masked") }
                }
                let maskLength = masked ? 4 : 0
                let length7 = Int(b1 & 0x7F)
                if opcode.isControl {
                    if !fin { return fail(.protocolError, "fragmented control frame") }
                    if length7 > 125 { return fail(.protocolError, "control frame longer than 125 bytes") }
                }
                let extra = length7 == 126 ? 2 : length7 == 127 ? 8 : 0
                guard available >= 2 + extra + maskLength else { return .insufficientData }
                var length = length7
                if extra == 2 {
                    length = Int(input[offset + 2]) << 8 | Int(input[offset + 3])
                } else if extra == 8 {
                    var v: UInt64 = 0
                    for i in 0..<8 { v = v << 8 | UInt64(input[offset + 2 + i]) }
                    if v >> 63 != 0 { return fail(.protocolError, "64-bit length with the top bit set") }
                    if v > UInt64(maxMessageBytes) { return fail(.messageTooBig, "frame larger than \(maxMessageBytes) bytes") }
                    length = Int(v)
                }
                if !opcode.isControl {
                    switch (opcode, messageState) {
                    case (.continuation, .idle): return fail(.protocolError, "continuation frame without a message")
                    case (.text, .idle), (.binary, .idle):
                        if message.capacity > 1 << 16 { message = [] } else { message.removeAll(keepingCapacity: true) }
                        messageState = .data(isText: opcode == .text, compressed: compressed)
                        utf8.reset()
                    case (.continuation, _): break
                    default: return fail(.protocolError, "new data frame inside a fragmented message")
                    }
                    if length > maxMessageBytes - message.count {
                        return fail(.messageTooBig, "message larger than \(maxMessageBytes) bytes")
                    }
                    message.reserveCapacity(message.count + length)
                } else {
                    control.removeAll(keepingCapacity: true)
                }
                let maskOffset = offset + 2 + extra
                let mask = !masked ? 0 : UInt32(input[maskOffset]) | UInt32(input[maskOffset + 1]) << 8
                    | UInt32(input[maskOffset + 2]) << 16 | UInt32(input[maskOffset + 3]) << 24
                offset = maskOffset + maskLength
                state = .payload(opcode: opcode, fin: fin, remaining: length, mask: mask, phase: 0)
            case .payload(let opcode, let fin, let remaining, let mask, let phase):
                let take = min(remaining, input.count - offset)
                if take > 0 {
                    let chunk = UnsafeRawBufferPointer(rebasing: input[offset..<(offset + take)])
                    offset += take
                    if opcode.isControl {
                        let start = control.count
                        control.append(contentsOf: chunk)
                        control.withUnsafeMutableBytes { unmask(UnsafeMutableRawBufferPointer(rebasing: $0[start...]), mask, phase) }
                    } else {
                        let start = message.count
                        message.append(contentsOf: chunk)
                        let ok = message.withUnsafeMutableBytes { all -> Bool in
                            let fresh = UnsafeMutableRawBufferPointer(rebasing: all[start...])
                            unmask(fresh, mask, phase)
                            // Compressed text is checked once inflated.
                            return messageState != .data(isText: true, compressed: false) || utf8.validate(UnsafeRawBufferPointer(fresh))
                        }
                        if !ok { return fail(.invalidPayload, "text message is not valid UTF-8") }
                    }
                }
                let left = remaining - take
                if left > 0 {
                    state = .payload(opcode: opcode, fin: fin, remaining: left, mask: mask, phase: (phase + take) & 3)
                    return .insufficientData
                }
                state = .header
                switch opcode {
                case .ping: return .ping
                case .pong: return .pong
                case .close: return closeEvent()
                default:
                    guard fin, case .data(let isText, let compressed) = messageState else { continue }
                    messageState = .idle
                    if compressed { return .compressedMessage(isText: isText) }
                    if isText && !utf8.isComplete { return fail(.invalidPayload, "text message ends inside a UTF-8 sequence") }
                    return .message(isText: isText)
                }
            }
        }
    }

    private mutating func closeEvent() -> WebSocketFrameEvent {
        if control.isEmpty { return .close(nil) }
        if control.count == 1 { return fail(.protocolError, "close frame with a 1-byte body") }
        let code = WebSocketCloseCode(rawValue: UInt16(control[0]) << 8 | UInt16(control[1]))
        if !code.isValidOnWire { return fail(.protocolError, "invalid close code \(code.rawValue)") }
        let valid = control.withUnsafeBytes { UTF8Validator.isValid(UnsafeRawBufferPointer(rebasing: $0[2...])) }
        if !valid { return fail(.invalidPayload, "close reason is not valid UTF-8") }
        return .close(code)
    }

    private mutating func fail(_ code: WebSocketCloseCode, _ reason: String) -> WebSocketFrameEvent {
        state = .failed
        return .failure(code, reason: reason)
    }
}

/// XORs `bytes` with the 4-byte masking key `mask` (first key byte in the low bits), starting at key
/// byte `phase`: eight bytes at a time, then the tail.
@inline(__always)
func unmask(_ bytes: UnsafeMutableRawBufferPointer, _ mask: UInt32, _ phase: Int) {
    guard mask != 0, let base = bytes.baseAddress, !bytes.isEmpty else { return }
    let shift = UInt32(phase * 8)
    let rotated = shift == 0 ? mask : mask >> shift | mask << (32 - shift)
    let wide = UInt64(rotated) | UInt64(rotated) << 32
    var i = 0
    let count = bytes.count
    while i + 8 <= count {
        let p = base + i
        p.storeBytes(of: p.loadUnaligned(as: UInt64.self) ^ wide.littleEndian, as: UInt64.self)
        i += 8
    }
    var key = rotated
    while i < count {
        let p = base + i
        p.storeBytes(of: p.load(as: UInt8.self) ^ UInt8(truncatingIfNeeded: key), as: UInt8.self)
        key = key >> 8 | key << 24
        i += 1
    }
}

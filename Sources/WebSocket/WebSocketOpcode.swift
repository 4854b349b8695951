/// The frame opcodes of RFC 6455 §5.2 (the others are reserved and fail the connection).
public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Whether this is a control frame (close, ping, pong): never fragmented, at most 125 bytes.
    public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// The close codes of RFC 6455 §7.4 the server sends, and the validity rule for received ones.
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 16-bit code.
    public let rawValue: UInt16
    /// Wraps a code.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Normal closure: the peer asked to close, or the purpose is fulfilled.
    public static let normal = WebSocketCloseCode(rawValue: 1000)
    /// The server is going away (shutting down, idle client that stopped answering pings).
    public static let goingAway = WebSocketCloseCode(rawValue: 1001)
    /// The peer broke the framing protocol.
    public static let protocolError = WebSocketCloseCode(rawValue: 1002)
    /// A data type the endpoint does not accept.
    public static let unsupportedData = WebSocketCloseCode(rawValue: 1003)
    /// No status code was present (never sent on the wire; reported to handlers).
    public static let noStatus = WebSocketCloseCode(rawValue: 1005)
    /// The connection dropped without a close frame (never sent on the wire; reported to handlers).
    public static let abnormal = WebSocketCloseCode(rawValue: 1006)
    /// A text message (or close reason) was not valid UTF-8.
    public static let invalidPayload = WebSocketCloseCode(rawValue: 1007)
    /// A policy was violated (the outbound queue overflowed: the client does not read).
    public static let policyViolation = WebSocketCloseCode(rawValue: 1008)
    /// A message was larger than the server accepts.
    public static let messageTooBig = WebSocketCloseCode(rawValue: 1009)
    /// The server is overloaded; try again later (too many clients).
    public static let tryAgainLater = WebSocketCloseCode(rawValue: 1013)
    /// An unexpected condition in the server.
    public static let internalError = WebSocketCloseCode(rawValue: 1011)

    /// Whether a peer may send this code in a close frame (RFC 6455 §7.4, IANA registry):
    /// 1000–1003, 1007–1014, and 3000–4999.
    public var isValidOnWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    /// The decimal code.
    public var description: String { String(rawValue) }
}

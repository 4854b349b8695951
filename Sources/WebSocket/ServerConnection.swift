import Sockets

/// Where one server connection is in its life.
enum ConnectionPhase {
    /// Reading HTTP request heads (the first one, or the next on a keep-alive connection).
    case http
    /// WebSocket open: frames both ways.
    case open
    /// The server sent its close frame and waits for the client's (frames are parsed, data ignored).
    case closing
    /// Nothing more is processed: the last bytes are flushed, then the write side is shut down and
    /// input is discarded until end of stream or the deadline (a lingering close, so the peer gets
    /// everything instead of a reset).
    case draining
}

/// The server's state for one TCP connection. Loop-thread only.
final class ServerConnection {
    let tcp: TCPConnection
    let token: UInt64
    var phase = ConnectionPhase.http
    var httpParser: HTTPRequestParser
    var frameParser: WebSocketFrameParser
    /// Bytes received and not yet consumed (a partial request head or frame header).
    var input: [UInt8] = []
    var outbound = OutboundQueue()
    /// Whether EPOLLOUT is part of the registration (only while output is pending).
    var watchingWrites = false
    /// When the current phase times out (monotonic ns): handshake, close or drain deadline.
    var deadline: UInt64
    /// When bytes last arrived (monotonic ns), for idle pings.
    var lastReceived: UInt64
    /// When the outstanding ping was sent, 0 if none.
    var pingSentAt: UInt64 = 0
    /// Bytes left in `outbound` after the last write attempt (what the socket would not take).
    var backlogBytes = 0
    /// Whether the connection is on the server's list to flush this loop turn.
    var flushScheduled = false
    /// Shut the write side down once `outbound` is empty.
    var shutdownAfterFlush = false
    /// In `.closing`: the close frame is still queued (the client reads nothing, its socket is full).
    /// Until it is written the deadline is the close-send timeout; once written, the close timeout.
    var closeFrameQueued = false
    /// Set once the upgrade completed.
    var client: WebSocketClient?
    /// Whether the delegate was told the client closed.
    var closeReported = false
    /// permessage-deflate, when the handshake negotiated it.
    var deflate: ConnectionDeflate? {
        didSet { outgoingCompression = deflate?.outgoing ?? .none }
    }
    /// How outgoing messages are compressed (follows `deflate`).
    private(set) var outgoingCompression = OutgoingCompression.none

    init(tcp: TCPConnection, token: UInt64, configuration: WebSocketServerConfiguration, now: UInt64) {
        self.tcp = tcp
        self.token = token
        httpParser = HTTPRequestParser(limits: configuration.http)
        frameParser = WebSocketFrameParser(maxMessageBytes: configuration.maxMessageBytes)
        deadline = now + UInt64(configuration.handshakeTimeout * 1e9)
        lastReceived = now
    }
}

import RateLimit
import Sockets
import System

/// Everything the server is configured with, validated once at start-up (defaults in
/// docs/websocket.md).
public struct WebSocketServerConfiguration: Sendable {
    /// Where to listen (port 0: a free port chosen by the kernel, see `WebSocketServer.localAddress`).
    public var listen: SocketAddress
    /// HTTP request limits.
    public var http = HTTPLimits()
    /// The largest message a client may send, bytes (larger: close 1009).
    public var maxMessageBytes = 1 << 20
    /// The most open connections (HTTP or WebSocket); more are answered 503 and closed.
    public var maxConnections = 10_000
    /// Output queued for one client beyond which it is closed with 1008 (it does not read).
    public var maxPendingBytes = 16 << 20
    /// Time allowed for a request head to arrive (slowloris guard), and for an idle keep-alive
    /// connection to send its next request, seconds.
    public var handshakeTimeout: Double = 10
    /// The kernel send buffer of each accepted socket (SO_SNDBUF), bytes; nil leaves the kernel's
    /// autotuning (up to `net.ipv4.tcp_wmem`'s maximum, 4 MiB here). Smaller makes a slow client's
    /// backlog show up in `pendingBytes` (where it is bounded and can be conflated) sooner.
    public var sendBufferBytes: Int?
    /// The most bytes a client's socket may hold in the kernel *unsent* (TCP_NOTSENT_LOWAT), bytes;
    /// nil leaves the kernel's default (no limit). Data in flight to a reader that keeps up is not
    /// limited by it; a reader that stops opening its window leaves the rest in `pendingBytes`, where
    /// the application can bound it and conflate it instead of letting stale bytes wait in the kernel.
    public var unsentLimitBytes: Int?
    /// A WebSocket client silent for this long is pinged, seconds.
    public var pingInterval: Double = 30
    /// A ping unanswered for this long closes the client (1001), seconds.
    public var pingTimeout: Double = 10
    /// After the server sends its close frame (or an error response), how long it waits for the
    /// peer's close frame and end of stream before dropping the TCP connection, seconds. For a close
    /// frame it counts from when the frame was written to the socket (see `closeSendTimeout`).
    public var closeTimeout: Double = 2
    /// How long a close frame may wait to be written to a client that reads nothing (its socket
    /// full, as a slow client's is) before the connection is dropped, seconds: a client that stalls
    /// for less, then reads, still receives its close code and reason.
    public var closeSendTimeout: Double = 30
    /// On `stop()`, how long the server waits for clients to answer its 1001 close frames before it
    /// drops what is left, seconds (a daemon asked to stop should be gone within a second).
    public var shutdownTimeout: Double = 0.5
    /// Allowed `Origin` values for handshakes; empty allows any (requests without Origin always pass).
    public var allowedOrigins: [String] = []
    /// permessage-deflate (RFC 7692): what is negotiated, the threshold, windows and memory levels.
    public var deflate = DeflateConfiguration()
    /// The limit on new connections per source address; nil: none. A connection over it is answered
    /// `429 Too Many Requests` with a JSON error body (`rate_limited`) and `Retry-After`, and closed,
    /// before its request is read (docs/websocket.md).
    public var newConnectionLimit: AddressRateLimiter.Configuration?
    /// How the loop thread waits when its loop hook (the gateway's ring) and its sockets have nothing
    /// for it: `.adaptive` (default) spins briefly, yields, then sleeps in `epoll_wait`; `.blocking`
    /// sleeps at once; `.spinning` never sleeps (`epoll_wait` with a zero timeout, a whole core).
    /// Without a loop hook the loop always sleeps in `epoll_wait` (sockets wake it).
    public var wait: WaitStrategy = .adaptive

    /// A configuration listening on `listen`, with the defaults.
    public init(listen: SocketAddress) { self.listen = listen }
}

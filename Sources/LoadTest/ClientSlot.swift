import Market
import StreamClient
import WebSocket

/// One simulated client: its watchlist, its connection's state and its counters. Owned by one
/// driver thread; reused across reconnects (the watchlist stays, the connection state is reset).
/// Invariant: `fd >= 0` exactly when `phase` is not `.idle`.
final class ClientSlot {
    /// Where the connection is.
    enum Phase: Equatable {
        /// No connection (not yet started, failed, closed, or waiting to reconnect).
        case idle
        /// TCP connect in flight (waiting for writability).
        case connecting
        /// Upgrade request sent, waiting for the 101.
        case handshaking
        /// WebSocket open.
        case open
    }

    /// The client's number, 0..<clients (also the order the ramp adds clients in).
    let index: Int
    /// Its position in its driver thread's slot list: the epoll token.
    var position = 0
    /// Whether this client reads slowly (`--slow-fraction`).
    let slow: Bool
    /// The watchlist as `SymbolKey`s, and the per-symbol seq tracks (same order).
    let symbols: [UInt64]
    var tracks: [SymbolTrack]
    /// The `subscribe` request, ready to mask and send.
    let subscribe: String
    /// Headers its upgrade request carries besides the handshake's own (its access token).
    let upgradeHeaders: [(String, String)]

    var phase = Phase.idle
    var fd: Int32 = -1
    /// Whether the `subscribed` answer arrived on this connection.
    var subscribed = false
    var parser = WebSocketFrameParser(maxMessageBytes: 1 << 20, role: .client)
    /// Bytes of a frame header the parser left unconsumed (at most 13).
    var carry: [UInt8] = []
    /// The handshake response read so far.
    var response: [UInt8] = []
    var key = ""
    /// Bytes waiting for the socket to take them.
    var pending: [UInt8] = []
    /// When the current connect started (monotonic ns).
    var connectStarted: UInt64 = 0
    /// Whether epoll currently watches for writability.
    var watchingWrites = false
    /// Slow clients: bytes the client may still read now.
    var budget = 0.0

    /// Messages received over the whole run, and at the start of the measurement window.
    var messages: UInt64 = 0
    var messagesAtWindowStart: UInt64 = 0
    var messagesAtWindowEnd: UInt64 = 0
    /// We sent our close frame: the server's answering close is not a disconnect.
    var closingByUs = false
    /// Whether the client was open when the measurement window started and is still the same
    /// connection (a fair basis for the fairness spread).
    var openAllWindow = false
    /// Conflated messages this client received.
    var conflations: UInt64 = 0

    init(index: Int, slow: Bool, symbols: [String], depth: Int, upgradeHeaders: [(String, String)] = []) {
        self.index = index
        self.slow = slow
        self.upgradeHeaders = upgradeHeaders
        self.symbols = symbols.map { SymbolKey.make($0) ?? 0 }
        tracks = Array(repeating: SymbolTrack(), count: symbols.count)
        let list = symbols.map { "\"\($0)\"" }.joined(separator: ",")
        subscribe = "{\"op\":\"subscribe\",\"symbols\":[\(list)],\"depth\":\(depth)}"
    }

    /// Forgets the connection (after the descriptor was closed).
    func resetConnection() {
        phase = .idle
        fd = -1
        subscribed = false
        parser = WebSocketFrameParser(maxMessageBytes: 1 << 20, role: .client)
        carry.removeAll()
        response.removeAll()
        pending.removeAll()
        watchingWrites = false
        openAllWindow = false
        closingByUs = false
        for i in tracks.indices { tracks[i] = SymbolTrack() }
    }

    /// The position of `symbol` in the watchlist, or -1.
    @inline(__always)
    func position(of symbol: UInt64) -> Int {
        var k = 0
        let n = symbols.count
        while k < n {
            if symbols[k] == symbol { return k }
            k &+= 1
        }
        return -1
    }
}

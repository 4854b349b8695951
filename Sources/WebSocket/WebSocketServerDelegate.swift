import Sockets

/// What the server should do with a plain HTTP request.
public enum HTTPRoute: Sendable {
    /// Treat it as a WebSocket opening handshake (errors like 426 are answered by the server).
    case upgrade
    /// The same, echoing the acceptance's subprotocol (when offered) and handing its context to
    /// `webSocketDidOpen(_:acceptance:server:)`.
    case upgradeAccepting(WebSocketAcceptance)
    /// Answer with this response.
    case respond(HTTPResponse)
}

/// One open WebSocket client, as handlers see it.
public struct WebSocketClient: Hashable, Sendable {
    /// The server's handle for the connection (unique for the server's lifetime).
    public let id: UInt64
    /// The path it connected to.
    public let path: String
    /// The query string it connected with (without `?`).
    public let query: String
    /// The address it connected from (the TCP peer: behind a proxy, the proxy).
    public let peer: SocketAddress
}

/// The application on top of the server: routes requests and handles messages. Called on the
/// server's loop thread only; it must not block (queue output with `WebSocketServer.send`).
public protocol WebSocketServerDelegate: AnyObject {
    /// Routes a request: answer it, or upgrade it to WebSocket.
    func route(_ request: HTTPRequest, server: WebSocketServer) -> HTTPRoute
    /// A client completed the handshake.
    func webSocketDidOpen(_ client: WebSocketClient, server: WebSocketServer)
    /// A client completed the handshake its route accepted with `acceptance` (an empty one for
    /// `.upgrade`). The default implementation calls `webSocketDidOpen(_:server:)`.
    func webSocketDidOpen(_ client: WebSocketClient, acceptance: WebSocketAcceptance, server: WebSocketServer)
    /// A whole message arrived; `payload` is valid only during the call.
    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, server: WebSocketServer)
    /// The client is gone: `code` is what it sent, what the server sent, or 1006 if the TCP
    /// connection dropped without a close frame.
    func webSocketDidClose(_ client: WebSocketClient, code: WebSocketCloseCode, server: WebSocketServer)
}

extension WebSocketServerDelegate {
    /// Ignores the acceptance: delegates that route with plain `.upgrade` need nothing more.
    public func webSocketDidOpen(_ client: WebSocketClient, acceptance: WebSocketAcceptance, server: WebSocketServer) {
        webSocketDidOpen(client, server: server)
    }
}

/// Echoes every message back unchanged: the `--echo` endpoint, for conformance suites.
public final class EchoHandler: WebSocketServerDelegate {
    /// The path upgraded to the echo endpoint; other paths get 404.
    public let path: String

    /// An echo endpoint at `path`.
    public init(path: String) { self.path = path }

    /// Upgrades `path`, 404 elsewhere.
    public func route(_ request: HTTPRequest, server: WebSocketServer) -> HTTPRoute {
        request.path == path ? .upgrade : .respond(.text(.notFound))
    }

    /// Nothing to do on open.
    public func webSocketDidOpen(_ client: WebSocketClient, server: WebSocketServer) {}

    /// Sends the message straight back as one frame.
    public func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, server: WebSocketServer) {
        server.send(WebSocketFrame(opcode: isText ? .text : .binary, payload: payload), to: client)
    }

    /// Nothing to do on close.
    public func webSocketDidClose(_ client: WebSocketClient, code: WebSocketCloseCode, server: WebSocketServer) {}
}

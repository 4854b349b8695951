/// The routing hook: plain HTTP endpoints by exact path, and WebSocket endpoints by path, each
/// served by its own delegate. Unknown paths get 404, other methods on a plain endpoint 405.
/// Loop-thread only once the server runs (configure it before).
public final class HTTPRouter: WebSocketServerDelegate {
    private var endpoints: [String: (HTTPRequest) -> HTTPResponse] = [:]
    private var sockets: [String: WebSocketServerDelegate] = [:]
    private var owners: [UInt64: WebSocketServerDelegate] = [:]

    /// An empty router (everything 404).
    public init() {}

    /// Answers `GET` (and `HEAD`) of `path` with `handler`.
    public func get(_ path: String, _ handler: @escaping (HTTPRequest) -> HTTPResponse) { endpoints[path] = handler }

    /// Serves WebSocket clients of `path` with `delegate` (its `route` is asked first).
    public func webSocket(_ path: String, _ delegate: WebSocketServerDelegate) { sockets[path] = delegate }

    /// Routes by exact path.
    public func route(_ request: HTTPRequest, server: WebSocketServer) -> HTTPRoute {
        let path = request.path
        if let delegate = sockets[path] { return delegate.route(request, server: server) }
        if let handler = endpoints[path] {
            guard request.method == "GET" || request.method == "HEAD" else {
                return .respond(.text(.methodNotAllowed, headers: [("Allow", "GET, HEAD")]))
            }
            return .respond(handler(request))
        }
        return .respond(.text(.notFound))
    }

    /// Hands the client to its path's delegate.
    public func webSocketDidOpen(_ client: WebSocketClient, server: WebSocketServer) {
        webSocketDidOpen(client, acceptance: WebSocketAcceptance(), server: server)
    }

    /// Hands the client, and what its route accepted it with, to its path's delegate.
    public func webSocketDidOpen(_ client: WebSocketClient, acceptance: WebSocketAcceptance, server: WebSocketServer) {
        guard let delegate = sockets[client.path] else { return }
        owners[client.id] = delegate
        delegate.webSocketDidOpen(client, acceptance: acceptance, server: server)
    }

    /// Passes the message to the client's delegate.
    public func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, server: WebSocketServer) {
        owners[client.id]?.webSocket(client, didReceive: payload, isText: isText, server: server)
    }

    /// Passes the close to the client's delegate and forgets the client.
    public func webSocketDidClose(_ client: WebSocketClient, code: WebSocketCloseCode, server: WebSocketServer) {
        owners.removeValue(forKey: client.id)?.webSocketDidClose(client, code: code, server: server)
    }
}

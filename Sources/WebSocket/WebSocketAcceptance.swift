/// How a route accepts a WebSocket upgrade (`HTTPRoute.upgradeAccepting`): the subprotocol to
/// echo and a value the server hands back, untouched, in `webSocketDidOpen(_:acceptance:server:)`.
///
/// The context carries what the route learned from the request (who the client is, what it may
/// do) to the moment the connection opens, without a table keyed by connection in between: if the
/// handshake then fails (a bad `Sec-WebSocket-Key`…), the value is simply dropped. It is passed
/// once per connection, never stored by the server, and costs nothing per message.
public struct WebSocketAcceptance: Sendable {
    /// The subprotocol to answer in `Sec-WebSocket-Protocol`. It is echoed only if the client
    /// offered it (RFC 6455 §4.2.2: the server picks one of the offered values, or none), so a route
    /// may always name its protocol and let the server leave it out for clients that did not ask.
    public var subprotocol: String?
    /// Anything the application wants back when the connection opens.
    public var context: (any Sendable)?

    /// An acceptance echoing `subprotocol` (when offered) and carrying `context`.
    public init(subprotocol: String? = nil, context: (any Sendable)? = nil) {
        self.subprotocol = subprotocol
        self.context = context
    }
}

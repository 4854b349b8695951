import Codecs

/// The server side of the RFC 6455 §4.2 opening handshake: checks an upgrade request and builds
/// the `101 Switching Protocols` answer, or the HTTP error the request deserves.
public enum WebSocketHandshake {
    /// The GUID RFC 6455 appends to the client's key before hashing.
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `base64(SHA-1(key + GUID))`: the `Sec-WebSocket-Accept` value for `key`.
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(SHA1.digest(Array((key + guid).utf8)))
    }

    /// Whether `request` asks for a WebSocket upgrade at all (`Upgrade: websocket`).
    public static func isUpgrade(_ request: HTTPRequest) -> Bool {
        request.tokens("upgrade").contains("websocket")
    }

    /// Validates `request` as an opening handshake. `allowedOrigins` empty means any origin (and
    /// requests without `Origin`, from non-browser clients, are always allowed); another origin gets
    /// `403` with the JSON error `origin_not_allowed`. `deflate` is the
    /// permessage-deflate agreement `DeflateNegotiation` reached for it, stated in the answer; other
    /// extensions and subprotocols are declined by not answering them.
    public static func respond(to request: HTTPRequest, allowedOrigins: [String] = [],
                               deflate: DeflateAgreement? = nil) -> HTTPResponse {
        guard request.method == "GET" else {
            return .text(.methodNotAllowed, "WebSocket handshakes use GET", headers: [("Allow", "GET")])
        }
        guard isUpgrade(request) else {
            return .text(.upgradeRequired, "this endpoint speaks WebSocket only",
                         headers: [("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")])
        }
        guard request.minorVersion >= 1 else { return .text(.badRequest, "WebSocket needs HTTP/1.1") }
        guard request.tokens("connection").contains("upgrade") else {
            return .text(.badRequest, "Connection header must contain Upgrade")
        }
        guard request.tokens("sec-websocket-version") == ["13"] else {
            return .text(.upgradeRequired, "unsupported WebSocket version; this server speaks 13",
                         headers: [("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")])
        }
        guard request.count(of: "sec-websocket-key") == 1, let key = request.header("sec-websocket-key"),
              Base64.decode(key)?.count == 16 else {
            return .text(.badRequest, "Sec-WebSocket-Key must be 16 bytes in base64")
        }
        if !allowedOrigins.isEmpty, let origin = request.header("origin"), !allowedOrigins.contains(origin) {
            // JSON with a code, like the gateway's other refusals (401, 429, 503); the origin is the
            // client's own text: cut, and escaped by the JSON encoder.
            let message = "origin \(origin.prefix(200)) is not allowed to open WebSockets here (--allowed-origin)"
            return .json(.forbidden, #"{"type":"error","code":"origin_not_allowed","message":"# + JSONString.quoted(message) + "}")
        }
        return HTTPResponse(status: .switchingProtocols,
                            headers: [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                      ("Sec-WebSocket-Accept", acceptValue(forKey: key))]
                                + (deflate.map { [("Sec-WebSocket-Extensions", $0.headerValue)] } ?? []))
    }

    /// The subprotocols a request offers in `Sec-WebSocket-Protocol`, in order, case kept (values
    /// are case-sensitive tokens, and one may carry a credential: `bearer.TOKEN`).
    public static func offeredSubprotocols(_ request: HTTPRequest) -> [String] {
        request.headers.filter { $0.name == "sec-websocket-protocol" }.flatMap { header in
            header.value.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        }
    }

    /// `response` (a `101`) answering `subprotocol` in `Sec-WebSocket-Protocol` when `request` offered
    /// it; unchanged otherwise (no subprotocol chosen, not offered, or not a 101).
    public static func echoing(subprotocol: String?, offeredIn request: HTTPRequest, _ response: HTTPResponse) -> HTTPResponse {
        guard let subprotocol, response.status == .switchingProtocols, offeredSubprotocols(request).contains(subprotocol) else {
            return response
        }
        var answered = response
        answered.headers.append(("Sec-WebSocket-Protocol", subprotocol))
        return answered
    }
}

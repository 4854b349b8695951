import Auth
import Codecs
import Market
import WebSocket

/// Access control's state on the loop thread: the verifier (following the key file's reloads),
/// the open connections of each user, and when a session next needs looking at.
struct AccessState {
    /// nil on an open gateway.
    var verifier: TokenVerifier?
    var sessions = UserSessions()
    /// The earliest wall-clock time at which some session is due a `token_expiring` or its close.
    var nextDeadline = Double.infinity

    init(_ configuration: AccessConfiguration) {
        if case .token(let keys) = configuration.mode {
            verifier = TokenVerifier(reloading: keys, leeway: configuration.leeway)
        }
    }
}

/// Why access control closed a connection: the text of its 1008 close frame.
enum AccessCloseReason: String, CaseIterable {
    /// Its token expired and no fresh one was sent.
    case tokenExpired = "token_expired"
    /// Its user opened more connections than the token's `conn` allows; this was the oldest.
    case sessionReplaced = "session_replaced"
    /// It kept sending over its message limit.
    case rateLimited = "rate_limited"
}

/// Tokens (`--auth token`, docs/security.md): checked on the upgrade request (401 with the reason
/// when refused, one audit line per refusal), carried into the connection as its session (the
/// user's connection limit applied there), watched for expiry (`token_expiring`, then 1008
/// `token_expired`), and replaced by `{"op":"auth","token":…}` without reconnecting.
extension Gateway {
    /// Decides an upgrade of the stream path: on an open gateway every request; with tokens, only
    /// one with a valid token (the acceptance carries it into `webSocketDidOpen`), else 401.
    /// Browsers that offered `quotecast.v1` get it echoed.
    func authenticateUpgrade(_ request: HTTPRequest) -> HTTPRoute {
        guard access.verifier != nil else {
            return .upgradeAccepting(WebSocketAcceptance(subprotocol: PresentedToken.applicationSubprotocol))
        }
        switch authenticate(request, stage: .handshake) {
        case .success(let token):
            return .upgradeAccepting(WebSocketAcceptance(subprotocol: PresentedToken.applicationSubprotocol, context: token))
        case .failure(let refusal):
            return .respond(Gateway.unauthorized(refusal))
        }
    }

    /// `GET /v1/symbols`: every symbol on an open gateway; with tokens, 401 without a valid one, and
    /// only the symbols the token entitles to.
    /// `?q=TEXT&limit=N` searches (`SymbolSearch`); a bad `q` or `limit` is answered 400 (after the
    /// token check, so an unauthenticated client learns nothing from it).
    public func symbolsResponse(_ request: HTTPRequest) -> HTTPResponse {
        var entitlements: Entitlements?
        if access.verifier != nil {
            switch authenticate(request, stage: .request) {
            case .success(let token): entitlements = token.entitlements
            case .failure(let refusal): return Gateway.unauthorized(refusal)
            }
        }
        switch SymbolSearch.parse(query: request.query) {
        case .success(let search): return .json(.ok, symbolsJSON(visibleTo: entitlements, search: search))
        case .failure(let refusal): return .json(.badRequest, ControlMessage.error(refusal.code, refusal.message))
        }
    }

    /// Verifies the token a request presents (header, subprotocol or query), counting the result
    /// and auditing a refusal.
    func authenticate(_ request: HTTPRequest, stage: AuthenticationStage) -> Result<VerifiedToken, TokenRefusal> {
        let presented = PresentedToken.find(authorization: request.header("authorization"), query: request.query,
                                            subprotocols: WebSocketHandshake.offeredSubprotocols(request))
        let result = access.verifier!.verify(presented?.token, now: WallClock.now())
        switch result {
        case .success:
            accessStatistics.countAuthentication(stage, reason: "ok")
        case .failure(let refusal):
            accessStatistics.countAuthentication(stage, reason: refusal.code)
            var fields = [("path", request.path), ("placement", presented?.placement.rawValue ?? "none")]
            // Unverified: any client can send the header. Logged for the reader, never used to limit.
            if let forwarded = request.header("x-forwarded-for") { fields.append(("forwarded_for", forwarded)) }
            audit(stage, code: refusal.code, detail: refusal.detail, peer: request.peer?.description ?? "unknown", fields)
        }
        return result
    }

    /// HTTP 401 with the refusal as a JSON error body, and the RFC 6750 challenge.
    static func unauthorized(_ refusal: TokenRefusal) -> HTTPResponse {
        let challenge = refusal.reason == .missingToken ? #"Bearer realm="quotecast""# : #"Bearer realm="quotecast", error="invalid_token""#
        return .json(.unauthorized, ControlMessage.error(refusal.code, refusal.detail), headers: [("WWW-Authenticate", challenge)])
    }

    /// One audit line per authentication failure: what was refused and where from, never the token.
    func audit(_ stage: AuthenticationStage, code: String, detail: String, peer: String, _ fields: [(String, String)] = []) {
        var line = "event=auth_refused stage=\(stage.name) reason=\(code) peer=\(peer)"
        for (key, value) in fields { line += " \(key)=" + Gateway.logValue(value) }
        log(line + " detail=" + Gateway.logValue(detail))
    }

    /// A log value: as is, or quoted (inner quotes and backslashes escaped) when it has spaces, quotes
    /// or `=`. Values a client chose (`X-Forwarded-For`) are cut to 256 characters and control
    /// characters become `?`, so no value can forge a field or a line.
    static func logValue(_ text: String) -> String {
        var cleaned = String(text.unicodeScalars.prefix(256).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        if text.unicodeScalars.count > 256 { cleaned += "…" }
        guard cleaned.isEmpty || cleaned.contains(where: { $0 == " " || $0 == "\"" || $0 == "\\" || $0 == "=" }) else { return cleaned }
        return "\"" + cleaned.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// A stream client connected with `acceptance`: it gets its message limit and, with tokens, its
    /// session (which may replace the user's oldest connection).
    public func webSocketDidOpen(_ client: WebSocketClient, acceptance: WebSocketAcceptance, server: WebSocketServer) {
        webSocketDidOpen(client, server: server)
        let slot = Int(client.id & 0xFFFF_FFFF)
        guard slot < clients.count, let c = clients[slot], c.ws.id == client.id else { return }
        c.messageLimit = configuration.access.messageLimit
        if let token = acceptance.context as? VerifiedToken { beginSession(c, ClientSession(token)) }
    }

    /// Starts `c`'s session: counts the user's connections, closes the oldest ones over its `conn`.
    func beginSession(_ c: GatewayClient, _ session: ClientSession) {
        c.session = session
        let before = access.sessions.connections(of: session.subject)
        let replaced = access.sessions.open(subject: session.subject, connection: c.ws.id, limit: session.entitlements.maxConnections)
        accessStatistics.userConnections(from: before, to: access.sessions.connections(of: session.subject))
        for id in replaced {
            let slot = Int(id & 0xFFFF_FFFF)
            if slot < clients.count, let old = clients[slot], old.ws.id == id { closeForAccess(old, .sessionReplaced) }
        }
        access.nextDeadline = min(access.nextDeadline, session.nextDeadline(leeway: configuration.access.leeway,
                                                                             warning: configuration.access.expiryWarning))
    }

    /// Ends `c`'s session (it is leaving).
    func endSession(_ c: GatewayClient) {
        guard let session = c.session else { return }
        let before = access.sessions.connections(of: session.subject)
        access.sessions.close(subject: session.subject, connection: c.ws.id)
        accessStatistics.userConnections(from: before, to: access.sessions.connections(of: session.subject))
        c.session = nil
    }

    /// Closes `c` with 1008 and `reason`, once, counted and logged.
    func closeForAccess(_ c: GatewayClient, _ reason: AccessCloseReason) {
        guard !c.closing, let server else { return }
        c.closing = true
        accessStatistics.countClose(reason.rawValue)
        var line = "event=access_closed reason=\(reason.rawValue) peer=\(c.ws.peer) peer_id=\(c.ws.id)"
        if let session = c.session { line += " sub=" + Gateway.logValue(session.subject) }
        log(line)
        endConflating(c)
        server.close(c.ws, code: .policyViolation, reason: reason.rawValue)
    }

    /// Sends `token_expiring` to sessions within the warning time and closes expired ones; runs
    /// each loop turn, but looks at the sessions only when the earliest deadline has come.
    func checkTokenDeadlines() {
        let now = WallClock.now()
        guard now >= access.nextDeadline else { return }
        let leeway = configuration.access.leeway
        let warning = configuration.access.expiryWarning
        var next = Double.infinity
        for case let c? in clients where !c.closing {
            guard var session = c.session else { continue }
            switch TokenLifetime(expiresAt: session.expiresAt, now: now, leeway: leeway, warning: warning) {
            case .expired:
                closeForAccess(c, .tokenExpired)
                continue
            case .expiringSoon(let left) where !session.warned:
                session.warned = true
                c.session = session
                accessStatistics.expiryWarnings.add(1)
                sendText(ControlMessage.tokenExpiring(expiresAt: session.expiresAt, secondsLeft: left), to: c, kind: .control)
            case .valid, .expiringSoon:
                break
            }
            next = min(next, session.nextDeadline(leeway: leeway, warning: warning))
        }
        access.nextDeadline = next
    }

    /// `{"op":"auth","token":…}`: a fresh token for the same user replaces the session's (new expiry,
    /// new entitlements, applied to the subscriptions held). A refused token, or one for another
    /// user, gets an `error` and leaves the connection on its current token. Each answer echoes `id`.
    func refresh(_ c: GatewayClient, token: String, id: String? = nil) {
        guard access.verifier != nil, let current = c.session else {
            sendText(ControlMessage.error("auth_disabled", "this gateway does not use tokens (--auth none)", id: id), to: c, kind: .control)
            return
        }
        switch access.verifier!.verify(token, now: WallClock.now()) {
        case .failure(let refusal):
            accessStatistics.countAuthentication(.refresh, reason: refusal.code)
            audit(.refresh, code: refusal.code, detail: refusal.detail, peer: "\(c.ws.peer)", [("sub", current.subject)])
            sendText(ControlMessage.error(refusal.code, refusal.detail + "; the connection keeps its current token", id: id), to: c, kind: .control)
        case .success(let verified) where verified.subject != current.subject:
            accessStatistics.countAuthentication(.refresh, reason: "subject_mismatch")
            audit(.refresh, code: "subject_mismatch", detail: "the token is for another user", peer: "\(c.ws.peer)",
                  [("sub", current.subject)])
            sendText(ControlMessage.error("subject_mismatch",
                                          "a refresh token must be for the connection's own user; the connection keeps its current token", id: id),
                     to: c, kind: .control)
        case .success(let verified):
            accessStatistics.countAuthentication(.refresh, reason: "ok")
            let session = ClientSession(verified)
            c.session = session
            access.nextDeadline = min(access.nextDeadline, session.nextDeadline(leeway: configuration.access.leeway,
                                                                                 warning: configuration.access.expiryWarning))
            sendText(ControlMessage.authenticated(subject: session.subject, expiresAt: session.expiresAt, id: id), to: c, kind: .control)
            reapplyEntitlements(c)
        }
    }
}

extension ControlMessage {
    /// `{"type":"token_expiring","exp":…,"seconds_left":…,"message":…}`.
    static func tokenExpiring(expiresAt: Double, secondsLeft: Double) -> String {
        "{\"type\":\"token_expiring\",\"exp\":\(numericDate(expiresAt)),\"seconds_left\":\(Int(secondsLeft.rounded(.up))),"
            + "\"message\":\"send {\\\"op\\\":\\\"auth\\\",\\\"token\\\":\\\"…\\\"} with a fresh token to stay connected\"}"
    }

    /// `{"type":"authenticated","id":…,"sub":…,"exp":…}`: a refresh was accepted.
    static func authenticated(subject: String, expiresAt: Double, id: String? = nil) -> String {
        head("authenticated", id: id) + ",\"sub\":\"\(escape(subject))\",\"exp\":\(numericDate(expiresAt))}"
    }

    /// A NumericDate as JSON text (the token's own form).
    static func numericDate(_ seconds: Double) -> String { TokenClaims.numericDateJSON(seconds).serialized }
}

import WebSocket

/// The stream path (`/v1/stream`) as the server's delegate: who may upgrade, clients arriving, their
/// messages (subscribe, unsubscribe, ping), and clients leaving.
extension Gateway {
    /// Upgrades the stream path for a client with a valid token (when tokens are required; else 401)
    /// while under `maxClients` (else 503 with an error body); 404 elsewhere.
    public func route(_ request: HTTPRequest, server: WebSocketServer) -> HTTPRoute {
        guard request.path == configuration.streamPath else { return .respond(.text(.notFound)) }
        let accepted = authenticateUpgrade(request)  // a 401 comes before anything about the gateway's state
        guard case .upgradeAccepting = accepted else { return accepted }
        if let admission, !admission() {
            statistics.refusedClients.add(1)
            return .respond(.json(.serviceUnavailable,
                                  ControlMessage.error("not_ready", "the gateway is synchronizing with its feed node; try again shortly")))
        }
        if clientCount >= configuration.maxClients {
            statistics.refusedClients.add(1)
            return .respond(.json(.serviceUnavailable,
                                  ControlMessage.error("too_many_clients", "the gateway serves at most \(configuration.maxClients) clients")))
        }
        return accepted
    }

    /// A stream client connected.
    public func webSocketDidOpen(_ client: WebSocketClient, server: WebSocketServer) {
        let slot = Int(client.id & 0xFFFF_FFFF)
        if clientCount >= configuration.maxClients {
            statistics.refusedClients.add(1)
            server.close(client, code: .tryAgainLater, reason: "too many clients")
            return
        }
        while clients.count <= slot { clients.append(nil) }
        clients[slot] = GatewayClient(ws: client, slot: Int32(slot))
        clientCount += 1
        statistics.clients.add(1)
        statistics.connections.add(1)
    }

    /// A client message: subscribe, unsubscribe, ping; anything else gets an `error`.
    public func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool,
                          server: WebSocketServer) {
        guard let c = clients[Int(client.id & 0xFFFF_FFFF)], c.ws.id == client.id else { return }
        statistics.messagesIn.add(1)
        guard admitMessage(c) else {
            publishCounts()
            return
        }
        guard isText else {
            statistics.countError("binary_message")
            server.close(client, code: .unsupportedData, reason: "this endpoint takes JSON text messages")
            return
        }
        switch ClientRequest(payload) {
        case .subscribe(let request): subscribe(c, request)
        case .unsubscribe(let symbols, let id): unsubscribe(c, symbols, id: id)
        case .ping(let id): sendText(ControlMessage.pong(id), to: c, kind: .control)
        case .auth(let token): refresh(c, token: token)
        case .invalid(let code, let message, let id):
            statistics.countError(code)
            sendText(ControlMessage.error(code, message, id: id), to: c, kind: .control)
        }
        publishCounts()
    }

    /// Forgets the client and its subscriptions, counting why it went.
    public func webSocketDidClose(_ client: WebSocketClient, code: WebSocketCloseCode, server: WebSocketServer) {
        let slot = Int(client.id & 0xFFFF_FFFF)
        guard slot < clients.count, let c = clients[slot], c.ws.id == client.id else { return }
        if readingRing { departed.append(c) } else { unsubscribeAll(c) }
        endConflating(c)
        endSession(c)
        if !c.closing { statistics.countDisconnect(code) }
        clients[slot] = nil
        clientCount -= 1
        statistics.clients.add(-1)
    }
}

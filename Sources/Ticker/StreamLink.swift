import StreamClient

/// The real link: a `StreamConnection` to the gateway.
final class StreamLink: TickerLink {
    let connection: StreamConnection

    init(_ connection: StreamConnection) { self.connection = connection }

    var descriptor: Int32 { connection.descriptor }

    func send(text: String) throws { try connection.send(text: text) }

    func drainAvailable() throws -> [LinkEvent] {
        try connection.drainAvailable().map { event in
            switch event {
            case .text(let text): .text(text)
            case .binary: .binary
            case .closed(let code, let reason): .closed(code: code, reason: reason)
            }
        }
    }

    func close() { connection.close() }
}

extension TickerSession {
    /// The connector for `url`: a `StreamConnection` per attempt, presenting `token` (when given) as
    /// `Authorization: Bearer` to a gateway that requires one.
    public static func connector(for url: StreamURL, token: String? = nil) -> TickerConnector {
        let headers = token.map { [("Authorization", "Bearer " + $0)] } ?? []
        return { timeout in
            StreamLink(try StreamConnection.connect(to: url, timeout: .nanoseconds(Int64(min(timeout, UInt64(Int64.max)))),
                                                    extraHeaders: headers))
        }
    }
}

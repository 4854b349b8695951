import Sockets

/// Why a `ws://` URL was refused.
public struct StreamURLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, naming the URL.
    public let description: String
}

/// A `ws://HOST[:PORT]/PATH[?QUERY]` URL as the ticker and the load harness take it with `--url`.
/// HOST is a dotted-quad IPv4 address or `localhost` (taken as 127.0.0.1); `wss://` is not spoken
/// here (put a TLS-terminating proxy in front, see docs/operations.md).
public struct StreamURL: Equatable, Sendable, CustomStringConvertible {
    /// The host as written (`localhost` stays `localhost` here, for the Host header).
    public let host: String
    /// The port (80 when the URL has none).
    public let port: UInt16
    /// The path, starting with `/` (`/` when the URL has none).
    public let path: String
    /// The query without `?` (empty when none).
    public let query: String

    /// Parses `text`; throws with a message naming the URL when it is not a usable `ws://` URL.
    public init(_ text: String) throws(StreamURLError) {
        func failure(_ why: String) -> StreamURLError { StreamURLError(description: "'\(text)': \(why)") }
        guard text.hasPrefix("ws://") else {
            if text.hasPrefix("wss://") { throw failure("wss:// is not supported; use ws:// (TLS belongs to a proxy in front)") }
            throw failure("expected ws://HOST:PORT/PATH")
        }
        let rest = text.dropFirst("ws://".count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var pathAndQuery = String(rest[authorityEnd...])
        if pathAndQuery.hasPrefix("?") || pathAndQuery.isEmpty { pathAndQuery = "/" + pathAndQuery }
        if let q = pathAndQuery.firstIndex(of: "?") {
            path = String(pathAndQuery[..<q])
            query = String(pathAndQuery[pathAndQuery.index(after: q)...])
        } else {
            path = pathAndQuery
            query = ""
        }
        var hostPart = Substring(authority)
        var parsedPort: UInt16 = 80
        if let colon = authority.lastIndex(of: ":") {
            guard let p = UInt16(authority[authority.index(after: colon)...]), p > 0 else { throw failure("bad port") }
            parsedPort = p
            hostPart = authority[..<colon]
        }
        guard !hostPart.isEmpty else { throw failure("no host") }
        host = String(hostPart)
        port = parsedPort
        guard SocketAddress(host: host == "localhost" ? "127.0.0.1" : host, port: port) != nil else {
            throw failure("host must be an IPv4 address or localhost")
        }
    }

    /// The address to connect to.
    public var socketAddress: SocketAddress {
        // Checked in init: the host parses.
        SocketAddress(host: host == "localhost" ? "127.0.0.1" : host, port: port)!
    }

    /// The `Host` header value (`HOST:PORT`).
    public var hostHeader: String { "\(host):\(port)" }

    /// The request target: the path and, when present, `?query`.
    public var target: String { query.isEmpty ? path : "\(path)?\(query)" }

    /// The URL written back out.
    public var description: String { "ws://\(host):\(port)\(target)" }

    /// The same host and port with another path and no query (the gateway's `/v1/symbols`, `/metrics`).
    public func sibling(path newPath: String) -> StreamURL {
        // Cannot fail: only the path changes, and it is one of ours.
        try! StreamURL("ws://\(host):\(port)\(newPath)")
    }
}

import Sockets

/// One parsed HTTP/1.x request head.
public struct HTTPRequest: Sendable {
    /// The method, as sent (`GET`).
    public let method: String
    /// The request target, as sent (`/v1/stream?format=binary`).
    public let target: String
    /// The minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    public let minorVersion: Int
    /// Header fields in order, names lowercased, values trimmed.
    public let headers: [(name: String, value: String)]
    /// The address the request came from (the TCP peer: behind a proxy, the proxy), set by the
    /// server; nil in requests built by hand.
    public internal(set) var peer: SocketAddress?

    /// Builds a request head (the parser's output; tests make their own).
    public init(method: String, target: String, minorVersion: Int = 1, headers: [(name: String, value: String)]) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers.map { ($0.name.lowercased(), $0.value) }
    }

    /// The path part of the target (before `?`).
    public var path: String {
        if let q = target.firstIndex(of: "?") { return String(target[..<q]) }
        return target
    }

    /// The query part of the target (after `?`), empty when there is none.
    public var query: String {
        if let q = target.firstIndex(of: "?") { return String(target[target.index(after: q)...]) }
        return ""
    }

    /// The value of the first header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }

    /// How many headers are called `name`.
    public func count(of name: String) -> Int {
        let lower = name.lowercased()
        return headers.reduce(0) { $0 + ($1.name == lower ? 1 : 0) }
    }

    /// The comma-separated tokens of every header called `name`, lowercased and trimmed.
    public func tokens(_ name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.name == lower }.flatMap { header in
            header.value.split(separator: ",").map { $0.trimmingSpaces().lowercased() }
        }
    }

    /// Whether the connection stays open after the response (HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive`).
    public var keepAlive: Bool {
        let t = tokens("connection")
        return minorVersion >= 1 ? !t.contains("close") : t.contains("keep-alive")
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

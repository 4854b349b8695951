/// Limits on what a client may send before its request is answered (defaults documented in
/// docs/websocket.md).
public struct HTTPLimits: Sendable {
    /// Longest request line, bytes (414 beyond).
    public var maxRequestLine = 8 * 1024
    /// Longest request head (request line + headers), bytes (431 beyond).
    public var maxHeadBytes = 16 * 1024
    /// Most header fields (431 beyond).
    public var maxHeaderCount = 64
    /// Largest request body accepted (and discarded: no endpoint takes a body), bytes (413 beyond).
    public var maxBodyBytes = 8 * 1024

    /// The defaults.
    public init() {}
}

/// What the parser made of the bytes so far.
public enum HTTPParseResult: Sendable {
    /// No complete head yet, and nothing over a limit: read more.
    case insufficientData
    /// A complete head, `headLength` bytes long (the body, if any, follows).
    case request(HTTPRequest, headLength: Int, bodyLength: Int)
    /// The bytes break the protocol or a limit: answer with this status and close.
    case failure(HTTPStatus, String)
}

/// Finds and parses an HTTP/1.x request head in a byte buffer, within `HTTPLimits`. Incremental in
/// the sense that it remembers how far it has scanned, so a client sending a byte at a time costs
/// linear work.
public struct HTTPRequestParser: Sendable {
    /// The limits applied.
    public let limits: HTTPLimits
    private var scanned = 0

    /// A parser with `limits`.
    public init(limits: HTTPLimits = HTTPLimits()) { self.limits = limits }

    /// Starts over for the next request on the connection.
    public mutating func reset() { scanned = 0 }

    /// Looks for a complete head at the start of `bytes` (all bytes received and not yet consumed).
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) -> HTTPParseResult {
        let count = bytes.count
        // Find CRLFCRLF, resuming three bytes before where the last scan stopped.
        var i = max(0, scanned - 3)
        var end = -1
        while i + 3 < count {
            if bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { end = i; break }
            i += 1
        }
        scanned = max(scanned, count)
        if end < 0 {
            // Only once past the limit is the request line looked for (no rescans while it grows).
            if count > limits.maxRequestLine && firstCRLF(bytes, upTo: limits.maxRequestLine + 2) == nil {
                return .failure(.uriTooLong, "request line longer than \(limits.maxRequestLine) bytes")
            }
            if count > limits.maxHeadBytes { return .failure(.requestHeaderFieldsTooLarge, "request head longer than \(limits.maxHeadBytes) bytes") }
            return .insufficientData
        }
        let headLength = end + 4
        if headLength > limits.maxHeadBytes { return .failure(.requestHeaderFieldsTooLarge, "request head longer than \(limits.maxHeadBytes) bytes") }
        return parseHead(UnsafeRawBufferPointer(rebasing: bytes[0..<end]), headLength: headLength)
    }

    /// The first CRLF starting before `limit` and inside `bytes` (found by the `http` fuzz target: with
    /// one byte past the request-line limit received, the scan read beyond what had arrived).
    private func firstCRLF(_ bytes: UnsafeRawBufferPointer, upTo limit: Int) -> Int? {
        let end = min(limit, bytes.count)
        var i = 0
        while i + 1 < end {
            if bytes[i] == 13 && bytes[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    private func parseHead(_ head: UnsafeRawBufferPointer, headLength: Int) -> HTTPParseResult {
        // Lines split on CRLF; a bare LF or any control byte but HTAB is rejected.
        var lines: [Substring] = []
        for b in head where b < 0x20 && b != 9 && b != 10 && b != 13 || b == 0x7F {
            return .failure(.badRequest, "control character in request head")
        }
        var start = 0
        var i = 0
        while i < head.count {
            if head[i] == 13 {
                guard i + 1 < head.count, head[i + 1] == 10 else { return .failure(.badRequest, "bare CR") }
                lines.append(Substring(String(decoding: UnsafeRawBufferPointer(rebasing: head[start..<i]), as: UTF8.self)))
                i += 2
                start = i
            } else if head[i] == 10 {
                return .failure(.badRequest, "bare LF")
            } else {
                i += 1
            }
        }
        lines.append(Substring(String(decoding: UnsafeRawBufferPointer(rebasing: head[start...]), as: UTF8.self)))
        // Tolerate empty lines before the request line (RFC 9112 §2.2).
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        guard let requestLine = lines.first else { return .failure(.badRequest, "empty request") }
        if requestLine.utf8.count > limits.maxRequestLine { return .failure(.uriTooLong, "request line longer than \(limits.maxRequestLine) bytes") }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              // ASCII capitals only (found by the `http` fuzz target: Character's isUppercase let
              // other scripts' capital letters through, e.g. "GEUTߏ").
              parts[0].utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
            return .failure(.badRequest, "malformed request line")
        }
        let minor: Int
        switch parts[2] {
        case "HTTP/1.1": minor = 1
        case "HTTP/1.0": minor = 0
        default: return .failure(.badRequest, "unsupported HTTP version")
        }
        let headerLines = lines.dropFirst()
        if headerLines.count > limits.maxHeaderCount { return .failure(.requestHeaderFieldsTooLarge, "more than \(limits.maxHeaderCount) header fields") }
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(headerLines.count)
        for line in headerLines {
            guard let colon = line.firstIndex(of: ":") else { return .failure(.badRequest, "header line without a colon") }
            let name = line[..<colon]
            // No whitespace between name and colon, no obsolete line folding (RFC 9112 §5.1, §5.2).
            guard !name.isEmpty, !name.contains(" "), !name.contains("\t"), line.first != " ", line.first != "\t" else {
                return .failure(.badRequest, "malformed header field")
            }
            headers.append((name.lowercased(), line[line.index(after: colon)...].trimmingSpaces()))
        }
        let request = HTTPRequest(method: String(parts[0]), target: String(parts[1]), minorVersion: minor, headers: headers)
        if request.header("transfer-encoding") != nil { return .failure(.notImplemented, "request bodies with Transfer-Encoding are not supported") }
        var bodyLength = 0
        if request.count(of: "content-length") > 1 { return .failure(.badRequest, "more than one Content-Length") }
        if let text = request.header("content-length") {
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), text.utf8.count <= 18, let n = Int(text) else {
                return .failure(.badRequest, "bad Content-Length")
            }
            if n > limits.maxBodyBytes { return .failure(.payloadTooLarge, "request body larger than \(limits.maxBodyBytes) bytes") }
            bodyLength = n
        }
        if minor == 1 && request.header("host") == nil { return .failure(.badRequest, "HTTP/1.1 request without Host") }
        return .request(request, headLength: headLength, bodyLength: bodyLength)
    }
}

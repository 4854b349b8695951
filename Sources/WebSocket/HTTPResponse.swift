/// The HTTP statuses the server answers with.
public enum HTTPStatus: Int, Sendable {
    case switchingProtocols = 101
    case ok = 200
    case notModified = 304
    case badRequest = 400
    case unauthorized = 401
    case forbidden = 403
    case notFound = 404
    case methodNotAllowed = 405
    case requestTimeout = 408
    case payloadTooLarge = 413
    case uriTooLong = 414
    case upgradeRequired = 426
    case tooManyRequests = 429
    case requestHeaderFieldsTooLarge = 431
    case internalServerError = 500
    case notImplemented = 501
    case serviceUnavailable = 503

    /// The reason phrase.
    public var reason: String {
        switch self {
        case .switchingProtocols: "Switching Protocols"
        case .ok: "OK"
        case .notModified: "Not Modified"
        case .badRequest: "Bad Request"
        case .unauthorized: "Unauthorized"
        case .forbidden: "Forbidden"
        case .notFound: "Not Found"
        case .methodNotAllowed: "Method Not Allowed"
        case .requestTimeout: "Request Timeout"
        case .payloadTooLarge: "Content Too Large"
        case .uriTooLong: "URI Too Long"
        case .upgradeRequired: "Upgrade Required"
        case .tooManyRequests: "Too Many Requests"
        case .requestHeaderFieldsTooLarge: "Request Header Fields Too Large"
        case .internalServerError: "Internal Server Error"
        case .notImplemented: "Not Implemented"
        case .serviceUnavailable: "Service Unavailable"
        }
    }
}

/// An HTTP/1.1 response: status, extra headers and a body. `Content-Length` and `Connection` are
/// added when it is serialized.
public struct HTTPResponse: Sendable {
    /// The status.
    public var status: HTTPStatus
    /// Headers besides Content-Length and Connection, in order.
    public var headers: [(String, String)]
    /// The body bytes.
    public var body: [UInt8]

    /// A response with a body of `contentType`.
    public init(status: HTTPStatus, headers: [(String, String)] = [], contentType: String = "text/plain; charset=utf-8",
                body: [UInt8] = []) {
        self.status = status
        self.headers = body.isEmpty && status == .switchingProtocols ? headers : [("Content-Type", contentType)] + headers
        self.body = body
    }

    /// A short plain-text response: the status line's reason, or `message`, and a newline.
    public static func text(_ status: HTTPStatus, _ message: String? = nil, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Array(((message ?? status.reason) + "\n").utf8))
    }

    /// A JSON response.
    public static func json(_ status: HTTPStatus, _ json: String, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, contentType: "application/json", body: Array((json + "\n").utf8))
    }

    /// The bytes on the wire; `keepAlive` decides the `Connection` header.
    public func serialized(keepAlive: Bool, includeBody: Bool = true) -> [UInt8] {
        var head = "HTTP/1.1 \(status.rawValue) \(status.reason)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if status != .switchingProtocols {
            // A 304 has no body by definition; a Content-Length there would describe the cached one.
            if status != .notModified { head += "Content-Length: \(body.count)\r\n" }
            head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + (includeBody ? body : [])
    }
}

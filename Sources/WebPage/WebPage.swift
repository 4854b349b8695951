import Codecs
import WebSocket

/// The stock screen at `GET /`: plain HTML, CSS and JavaScript (Sources/WebPage/Files, embedded at
/// build time by the EmbedWebPage plugin) served from memory. It uses only the public API on the same
/// host — `/v1/symbols` and the WebSocket stream — and is the reference browser client (docs/web.md).
///
/// Every file is answered with a strong `ETag` (SHA-256 of its bytes) and `Cache-Control: no-cache`,
/// so a browser revalidates and gets `304 Not Modified` until the binary changes; with a
/// `Content-Security-Policy` that allows only this origin's scripts, styles and connections (the
/// page has no inline script or style), and `Referrer-Policy: no-referrer` (a page opened with
/// `?access_token=` must not leak it).
public enum WebPage {
    /// One file of the page, ready to serve.
    public struct File: Sendable {
        /// The path it is served at (`/`, `/app.js`).
        public let path: String
        /// Its `Content-Type`.
        public let contentType: String
        /// Its bytes.
        public let body: [UInt8]
        /// Its entity tag, quoted (`"…"`).
        public let etag: String
    }

    /// The policy sent with every file: this origin only (`'self'` covers `ws:`/`wss:` to the same
    /// host), no inline code, no framing, no plugins, no form posts.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The page's files: `index.html` at `/`, the others at `/NAME`.
    public static let files: [File] = EmbeddedWebFiles.texts.keys.sorted().map { name in
        let body = Array(EmbeddedWebFiles.texts[name]!.utf8)
        let digest = SHA256.digest(body).description
        return File(path: name == "index.html" ? "/" : "/" + name, contentType: contentType(of: name), body: body,
                    etag: "\"" + digest.prefix(32) + "\"")
    }

    /// The total size of the page (the budget is 100 KB).
    public static var totalBytes: Int { files.reduce(0) { $0 + $1.body.count } }

    /// Registers every file's route on `router`.
    public static func register(on router: HTTPRouter) {
        for file in files { router.get(file.path) { request in response(for: file, to: request) } }
    }

    /// The answer to `request` for `file`: 304 when `If-None-Match` names its tag, else 200 with it.
    public static func response(for file: File, to request: HTTPRequest) -> HTTPResponse {
        let headers: [(String, String)] = [
            ("ETag", file.etag), ("Cache-Control", "no-cache"),
            ("Content-Security-Policy", contentSecurityPolicy), ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
        ]
        if let tags = request.header("If-None-Match"), matches(tags, file.etag) {
            return HTTPResponse(status: .notModified, headers: headers, contentType: file.contentType)
        }
        return HTTPResponse(status: .ok, headers: headers, contentType: file.contentType, body: file.body)
    }

    /// Whether an `If-None-Match` value (`*`, or tags separated by commas, weak or strong) names `etag`.
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { part in
            var tag = part.trimmingSpaces
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            return tag == etag[...]
        }
    }

    private static func contentType(of name: String) -> String {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if name.hasSuffix(".svg") { return "image/svg+xml" }
        return "application/octet-stream"
    }
}

private extension Substring {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}

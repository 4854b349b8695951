// Fuzz target `http`: the HTTP/1.1 request parser (WebSocket module's HTTPRequestParser) and what
// reads its requests before any route does: the opening handshake's checks and the permessage-deflate
// offer parser. The first byte picks the limits (the defaults, or small ones so that every limit is
// reached by short inputs) and the chunk size the bytes arrive in; the rest is what a client sent.
// Properties: no crash; the parser fed the bytes a chunk at a time (as the server feeds it, re-reading
// everything unconsumed) finds a request exactly when it finds one in the whole input, and the same
// one; a request lies inside the input and within every limit, its method is upper-case letters, its
// header names are lower case and no value holds CR or LF; the handshake answers 101 only with the
// right Sec-WebSocket-Accept, and a failure is one of the statuses the parser documents.

import WebSocket

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    let upgrade = "GET /v1/stream?access_token=abc HTTP/1.1\r\nHost: quotes.example\r\nUpgrade: websocket\r\n"
        + "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + "Origin: https://app.example\r\nSec-WebSocket-Protocol: quotecast.v1, bearer.eyJhbGciOi\r\n"
        + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-webkit-deflate-frame\r\n\r\n"
    let requests = [
        ("upgrade", upgrade),
        ("symbols", "GET /v1/symbols HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x.y.z\r\n\r\nGET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("http10", "\r\n\r\nGET /healthz HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
        ("body", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"),
        ("chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("bad-version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
        ("folded", "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"),
        ("bare-lf", "GET / HTTP/1.1\nHost: a\r\n\r\n"),
        ("long-line", "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("many-headers", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"),
    ]
    return requests.flatMap { name, text in [("\(name).http", [0x07] + Array(text.utf8)), ("\(name)-small.http", [0x83] + Array(text.utf8))] }
}

/// A parse result reduced to what the two ways of feeding must agree on.
enum Outcome: Equatable {
    case request(method: String, target: String, minor: Int, headers: [String], headLength: Int, bodyLength: Int)
    case failure(Int)
    case incomplete
}

func outcome(_ result: HTTPParseResult) -> Outcome {
    switch result {
    case .insufficientData: .incomplete
    case let .request(r, head, body):
        .request(method: r.method, target: r.target, minor: r.minorVersion, headers: r.headers.map { $0.name + ":" + $0.value },
                 headLength: head, bodyLength: body)
    case let .failure(status, _): .failure(status.rawValue)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    var limits = HTTPLimits()
    if control & 0x80 != 0 {
        limits.maxRequestLine = 32 + Int(control & 0x0F) * 4
        limits.maxHeadBytes = limits.maxRequestLine + 64
        limits.maxHeaderCount = 3
        limits.maxBodyBytes = 8
    }
    let chunk = 1 + Int(control & 0x1F)

    var whole = HTTPRequestParser(limits: limits)
    let all = whole.parse(bytes)
    // The server's way: what arrived so far, all of it unconsumed, offered after each read.
    var piecewise = HTTPRequestParser(limits: limits)
    var seen = Outcome.incomplete
    var end = 0
    while end < bytes.count {
        end = min(bytes.count, end + chunk)
        seen = outcome(piecewise.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<end])))
        if seen != .incomplete { break }
    }
    let expected = outcome(all)
    switch (expected, seen) {
    case (.request, _), (_, .request):
        if expected != seen { propertyFailed("whole input gives \(expected), chunks of \(chunk) give \(seen)") }
    default:
        break
    }

    switch all {
    case .insufficientData:
        if bytes.count > limits.maxHeadBytes { propertyFailed("\(bytes.count) bytes still insufficient past the head limit") }
    case let .failure(status, _):
        if ![400, 413, 414, 431, 501].contains(status.rawValue) { propertyFailed("unexpected status \(status.rawValue)") }
    case let .request(request, headLength, bodyLength):
        if headLength > bytes.count || headLength > limits.maxHeadBytes { propertyFailed("head of \(headLength) bytes") }
        if bodyLength > limits.maxBodyBytes { propertyFailed("body of \(bodyLength) bytes") }
        if request.method.isEmpty || !request.method.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) { propertyFailed("method \(request.method)") }
        if request.headers.count > limits.maxHeaderCount { propertyFailed("\(request.headers.count) headers") }
        for (name, value) in request.headers {
            if name != name.lowercased() || name.isEmpty { propertyFailed("header name \(name)") }
            if value.utf8.contains(13) || value.utf8.contains(10) { propertyFailed("CR or LF in a header value") }
        }
        exerciseHandshake(request)
    }
    return 0
}

/// The handshake's checks and the deflate offers on a parsed request.
func exerciseHandshake(_ request: HTTPRequest) {
    keep(UInt64(request.path.utf8.count + request.query.utf8.count) + (request.keepAlive ? 1 : 0))
    let agreement = DeflateNegotiation.negotiate(request, configuration: DeflateConfiguration())
    if let agreement, !(8...15).contains(agreement.serverWindowBits) || !(8...15).contains(agreement.clientWindowBits) {
        propertyFailed("agreed windows \(agreement.serverWindowBits)/\(agreement.clientWindowBits)")
    }
    let response = WebSocketHandshake.respond(to: request, allowedOrigins: ["https://app.example"], deflate: agreement)
    switch response.status {
    case .switchingProtocols:
        guard let key = request.header("sec-websocket-key"),
              response.headers.contains(where: { $0.0 == "Sec-WebSocket-Accept" && $0.1 == WebSocketHandshake.acceptValue(forKey: key) })
        else { propertyFailed("101 without the right Sec-WebSocket-Accept") }
    case .badRequest, .forbidden, .methodNotAllowed, .upgradeRequired:
        break
    default:
        propertyFailed("handshake answered \(response.status.rawValue)")
    }
    keep(UInt64(WebSocketHandshake.offeredSubprotocols(request).count))
}

/// Where a client put its token on the upgrade request, and the token. Three places, in the order
/// they are looked at:
///
/// 1. `Authorization: Bearer TOKEN` (RFC 6750 §2.1): native apps, the ticker, the load harness;
/// 2. `Sec-WebSocket-Protocol: quotecast.v1, bearer.TOKEN`: browsers, whose WebSocket API cannot set
///    headers but can offer subprotocols; the server echoes `quotecast.v1` (a browser fails the
///    connection unless one offered value is echoed), never the token;
/// 3. `?access_token=TOKEN` (RFC 6750 §2.3): the fallback for clients that can do neither. The URL,
///    token included, lands in proxy and server access logs (docs/security.md).
public struct PresentedToken: Sendable, Equatable {
    /// Where the token was.
    public enum Placement: String, Sendable {
        case authorizationHeader = "header"
        case subprotocol
        case queryParameter = "query"
    }

    /// The subprotocol a browser offers next to its token, and that the server echoes.
    public static let applicationSubprotocol = "quotecast.v1"
    /// The prefix of the subprotocol that carries the token.
    public static let subprotocolPrefix = "bearer."
    /// The query parameter that carries the token.
    public static let queryParameter = "access_token"

    /// The token as presented (may be empty: the verifier answers `missing_token`).
    public let token: String
    /// Where it was.
    public let placement: Placement

    /// The token of an upgrade request, given its `Authorization` header, its query string (without
    /// `?`) and the subprotocols it offered (in order, case kept); nil when there is none.
    public static func find(authorization: String?, query: String, subprotocols: [String]) -> PresentedToken? {
        if let authorization, let token = bearerToken(authorization) {
            return PresentedToken(token: token, placement: .authorizationHeader)
        }
        for offered in subprotocols where offered.hasPrefix(subprotocolPrefix) {
            return PresentedToken(token: String(offered.dropFirst(subprotocolPrefix.count)), placement: .subprotocol)
        }
        for pair in query.split(separator: "&") where pair.hasPrefix(queryParameter + "=") {
            return PresentedToken(token: percentDecoded(pair.dropFirst(queryParameter.count + 1)), placement: .queryParameter)
        }
        return nil
    }

    /// The token of an `Authorization: Bearer TOKEN` value (scheme case-insensitive, spaces and tabs
    /// around the token dropped), nil for another scheme. On bytes: a token is ~400 characters, and
    /// walking them as Characters cost more than verifying the signature (`auth.handshake`).
    static func bearerToken(_ authorization: String) -> String? {
        let bytes = Array(authorization.utf8)
        let scheme = Array("bearer".utf8)
        func isBlank(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        var start = 0
        while start < bytes.count, isBlank(bytes[start]) { start += 1 }
        guard bytes.count - start > scheme.count, isBlank(bytes[start + scheme.count]) else { return nil }
        for i in 0..<scheme.count where bytes[start + i] | 0x20 != scheme[i] { return nil }
        start += scheme.count
        var end = bytes.count
        while start < end, isBlank(bytes[start]) { start += 1 }
        while end > start, isBlank(bytes[end - 1]) { end -= 1 }
        return end > start ? String(decoding: bytes[start..<end], as: UTF8.self) : nil
    }

    /// `%XX` escapes decoded (a token needs none, but clients may escape anyway); text with a broken
    /// escape is returned as it is and fails verification as malformed.
    static func percentDecoded(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let v = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) else {
                    return String(text)
                }
                out.append(v)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

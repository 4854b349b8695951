/// Why a token was refused: exactly the codes the gateway's 401 bodies, metrics and audit log use.
public enum TokenRefusalReason: String, Sendable, CaseIterable {
    /// No token was presented (or an empty one).
    case missingToken = "missing_token"
    /// Not a compact JWS we accept: over 4 KiB, not three base64url parts, header or claims not the
    /// strict JSON we expect, `alg` other than HS256 (including `none`), a `crit` header, a missing
    /// or mistyped claim.
    case malformedToken = "malformed_token"
    /// The signature is not HMAC-SHA-256 of the token by the key its `kid` names (or is not 32 bytes).
    case badSignature = "bad_signature"
    /// `exp` has passed (beyond the leeway).
    case expired
    /// `nbf` has not come yet (beyond the leeway).
    case notYetValid = "not_yet_valid"
    /// The header names no `kid`, or one that is not in the key file (a key rotated out, a token
    /// for another service).
    case unknownKey = "unknown_key"
}

/// A refused token: the reason, and a detail for the audit log. The detail never contains the token
/// or its signature; what it quotes from the token (an algorithm name, a key id) is cut to 64
/// printable ASCII characters.
public struct TokenRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// The reason (its raw value is the protocol code).
    public let reason: TokenRefusalReason
    /// What exactly was wrong, for operators.
    public let detail: String

    /// A refusal for `reason` with `detail`.
    public init(_ reason: TokenRefusalReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    /// The protocol code (`bad_signature`…).
    public var code: String { reason.rawValue }

    /// `code: detail`.
    public var description: String { "\(code): \(detail)" }

    /// `text` made safe to quote in a log line: printable ASCII only (others become `?`), at most 64
    /// characters.
    static func quoted(_ text: String) -> String {
        let cleaned = text.utf8.prefix(64).map { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") ? Character(Unicode.Scalar($0)) : "?" }
        return "\"" + String(cleaned) + (text.utf8.count > 64 ? "…" : "") + "\""
    }
}

import Codecs

/// Verifies access tokens: JWTs (RFC 7519) as compact JWS (RFC 7515) signed with HMAC-SHA-256
/// (`alg` exactly `HS256`, RFC 7518 §3.2) by a key of the key ring named by the header's `kid`.
///
/// The checks, in order (the first failure is the refusal):
/// 1. a token is there and not empty (`missing_token`);
/// 2. it is at most 4 KiB, *before anything is parsed*, and has three parts (`malformed_token`);
/// 3. the header is base64url of a strict JSON object with `alg` exactly `"HS256"` — `none`, `HS512`,
///    `hs256` or no `alg` are refused, as is any `crit` (`malformed_token`);
/// 4. its `kid` is a key of the ring (`unknown_key`);
/// 5. the signature is base64url of 32 bytes equal to HMAC-SHA-256(key, header "." payload),
///    compared in constant time (`bad_signature`);
/// 6. only then is the payload parsed: strict JSON, `sub` and `exp` present, every known claim of
///    its type (`malformed_token`);
/// 7. now is before `exp` + leeway (`expired`) and not before `nbf` − leeway (`not_yet_valid`).
///
/// Time is passed in (`now`, seconds since the Unix epoch; `WallClock.now()` in production), so
/// tests and replays choose their clock. No allocation beyond the decoded parts; no call out.
public struct TokenVerifier: Sendable {
    /// The longest token looked at, bytes; a longer one is refused unread.
    public static let maximumTokenBytes = 4096
    /// Limits for the header and the claims: a token cannot hold more, and claims are shallow.
    static let jsonLimits = JSONReader.Limits(maxBytes: maximumTokenBytes, maxDepth: 8)

    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    public var leeway: Double
    /// The keys it verifies with (refreshed from `source` when it reloaded).
    public private(set) var keys: KeyRing
    private let source: ReloadableKeyRing?
    private var generation: UInt64

    /// A verifier with a fixed ring.
    public init(keys: KeyRing, leeway: Double = 0) {
        self.keys = keys
        self.leeway = leeway
        source = nil
        generation = 0
    }

    /// A verifier following a reloadable key file: each `verify` first checks (one relaxed atomic
    /// load) whether the file was reloaded and, if so, copies the new ring.
    public init(reloading source: ReloadableKeyRing, leeway: Double = 0) {
        (keys, generation) = source.snapshot()
        self.source = source
        self.leeway = leeway
    }

    /// Verifies `token` at `now` (seconds since the Unix epoch).
    public mutating func verify(_ token: String?, now: Double) -> Result<VerifiedToken, TokenRefusal> {
        if let source, source.generation != generation { (keys, generation) = source.snapshot() }
        guard let token, !token.isEmpty else { return .failure(TokenRefusal(.missingToken, "no token was presented")) }
        guard token.utf8.count <= TokenVerifier.maximumTokenBytes else {
            return .failure(TokenRefusal(.malformedToken, "the token is over \(TokenVerifier.maximumTokenBytes) bytes"))
        }
        return verify(Array(token.utf8), now: now)
    }

    private func verify(_ bytes: [UInt8], now: Double) -> Result<VerifiedToken, TokenRefusal> {
        guard let jws = CompactJWS(bytes) else {
            return .failure(TokenRefusal(.malformedToken, "a token is three base64url parts separated by dots"))
        }
        guard let headerBytes = Base64URL.decode(jws.header),
              case .success(let header) = JSONReader.parse(headerBytes, limits: TokenVerifier.jsonLimits),
              case .object = header else {
            return .failure(TokenRefusal(.malformedToken, "the header is not base64url of a JSON object"))
        }
        switch header["alg"] {
        case .string("HS256")?: break
        case .string(let alg)?: return .failure(TokenRefusal(.malformedToken, "alg \(TokenRefusal.quoted(alg)) is not accepted: HS256 only"))
        case nil: return .failure(TokenRefusal(.malformedToken, "the header has no alg"))
        default: return .failure(TokenRefusal(.malformedToken, "alg is not a string"))
        }
        if header["crit"] != nil {
            return .failure(TokenRefusal(.malformedToken, "the header lists crit extensions; none are supported"))
        }
        let keyID: String
        switch header["kid"] {
        case .string(let kid)?: keyID = kid
        case nil: return .failure(TokenRefusal(.unknownKey, "the header names no kid"))
        default: return .failure(TokenRefusal(.malformedToken, "kid is not a string"))
        }
        guard let key = keys.key(id: keyID) else {
            return .failure(TokenRefusal(.unknownKey, "kid \(TokenRefusal.quoted(keyID)) is not in the key file"))
        }
        guard let signatureBytes = Base64URL.decode(jws.signature), let presented = SHA256Digest(bytes: signatureBytes) else {
            return .failure(TokenRefusal(.badSignature, "the signature is not base64url of 32 bytes"))
        }
        let expected = key.mac.authenticationCode(for: jws.signingInput)
        guard expected == presented else {
            return .failure(TokenRefusal(.badSignature, "the signature does not match key \(TokenRefusal.quoted(keyID))"))
        }
        guard let payload = Base64URL.decode(jws.payload) else {
            return .failure(TokenRefusal(.malformedToken, "the claims are not base64url"))
        }
        let claims: TokenClaims
        switch JSONReader.parse(payload, limits: TokenVerifier.jsonLimits) {
        case .failure(let error):
            return .failure(TokenRefusal(.malformedToken, "the claims are not strict JSON: \(error)"))
        case .success(let json):
            do {
                claims = try TokenClaims(json: json)
            } catch {
                return .failure(TokenRefusal(.malformedToken, "claims: \(error)"))
            }
        }
        guard now < claims.expiresAt + leeway else {
            return .failure(TokenRefusal(.expired, "expired \(Int((now - claims.expiresAt).rounded(.down))) s ago (leeway \(leeway) s)"))
        }
        if let notBefore = claims.notBefore, now + leeway < notBefore {
            return .failure(TokenRefusal(.notYetValid, "valid in \(Int((notBefore - now).rounded(.up))) s (leeway \(leeway) s)"))
        }
        return .success(VerifiedToken(keyID: keyID, claims: claims))
    }
}

/// A token that passed every check: who, with which key, until when, entitled to what.
public struct VerifiedToken: Sendable, Equatable {
    /// The key that signed it.
    public let keyID: String
    /// Its claims.
    public let claims: TokenClaims

    /// A verified token (the verifier's result; tests make their own).
    public init(keyID: String, claims: TokenClaims) {
        self.keyID = keyID
        self.claims = claims
    }

    /// `sub`.
    public var subject: String { claims.subject }
    /// What the user may see.
    public var entitlements: Entitlements { claims.entitlements }

    /// Where the token stands at `now`: `expired` once `exp` + `leeway` is reached, `expiringSoon`
    /// within `warning` seconds of that (time for a `token_expiring` notice and a refresh).
    public func lifetime(at now: Double, leeway: Double, warning: Double) -> TokenLifetime {
        TokenLifetime(expiresAt: claims.expiresAt, now: now, leeway: leeway, warning: warning)
    }
}

/// Where an open connection's token stands.
public enum TokenLifetime: Sendable, Equatable {
    /// More than the warning time left.
    case valid(secondsLeft: Double)
    /// Within the warning time: tell the client to refresh.
    case expiringSoon(secondsLeft: Double)
    /// Past `exp` + leeway: close the connection (1008 `token_expired`).
    case expired

    /// Where a token that expires at `expiresAt` stands at `now`: `expired` once `expiresAt` +
    /// `leeway` is reached, `expiringSoon` within `warning` seconds of that.
    public init(expiresAt: Double, now: Double, leeway: Double, warning: Double) {
        let left = expiresAt + leeway - now
        self = left <= 0 ? .expired : left <= warning ? .expiringSoon(secondsLeft: left) : .valid(secondsLeft: left)
    }
}

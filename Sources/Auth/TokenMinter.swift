import Codecs

/// Signs claims into a token the verifier accepts: header `{"alg":"HS256","typ":"JWT","kid":KID}`,
/// the claims as `TokenClaims.json`, HMAC-SHA-256 with the key called KID. For `quotecast token`,
/// tests and benchmarks; an identity provider may use any HS256 JWT library instead
/// (docs/security.md).
public struct TokenMinter: Sendable {
    /// The key it signs with.
    public let key: SigningKey
    private let encodedHeader: String

    /// A minter signing with key `keyID` of `keys`.
    public init(keys: KeyRing, keyID: String) throws(TokenMintError) {
        guard let key = keys.key(id: keyID) else { throw TokenMintError(keyID: keyID, known: keys.keyIDs) }
        self.key = key
        let header = JSONValue.object([JSONMember("alg", .string("HS256")), JSONMember("typ", .string("JWT")),
                                       JSONMember("kid", .string(keyID))])
        encodedHeader = Base64URL.encode(Array(header.serialized.utf8))
    }

    /// The compact JWS of `claims`.
    public func mint(_ claims: TokenClaims) -> String {
        let signingInput = encodedHeader + "." + Base64URL.encode(Array(claims.json.serialized.utf8))
        let tag = key.mac.authenticationCode(for: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(tag.bytes)
    }
}

/// A key id the key ring does not hold.
public struct TokenMintError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The id asked for.
    public let keyID: String
    /// The ids the ring has.
    public let known: [String]

    /// One line naming the id and the ones there are.
    public var description: String {
        "no key \(TokenRefusal.quoted(keyID)) in the key file (it has \(known.joined(separator: ", ")))"
    }
}

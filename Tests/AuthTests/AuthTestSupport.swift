import Codecs
import Foundation
@testable import Auth

/// Keys, clocks and token surgery shared by the Auth tests.
enum Fixture {
    /// 32 bytes 0x00…0x1F: the key the PyJWT vector was signed with.
    static let secret: [UInt8] = Array(0..<32)
    static let otherSecret: [UInt8] = Array(100..<140)
    /// 2027-01-15T08:00:00Z, the tests' "now".
    static let now: Double = 1_800_000_100

    static func ring(_ entries: [(String, [UInt8])] = [("2026-01", secret)]) -> KeyRing {
        try! KeyRing(secrets: entries.map { (id: $0.0, secret: $0.1) })
    }

    static func verifier(_ ring: KeyRing = ring(), leeway: Double = 0) -> TokenVerifier { TokenVerifier(keys: ring, leeway: leeway) }

    static func mint(_ claims: TokenClaims, kid: String = "2026-01", ring: KeyRing = ring()) -> String {
        try! TokenMinter(keys: ring, keyID: kid).mint(claims)
    }

    static func claims(sub: String = "alice", exp: Double = now + 3600, nbf: Double? = nil,
                       entitlements: Entitlements = .unrestricted) -> TokenClaims {
        TokenClaims(subject: sub, expiresAt: exp, notBefore: nbf, issuedAt: now - 100, entitlements: entitlements)
    }

    /// A token of arbitrary header and claims text, signed with `secret` (signature optional).
    static func handMade(header: String, claims: String, secret: [UInt8]? = Fixture.secret) -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        guard let secret else { return input + "." }
        return input + "." + Base64URL.encode(HMACSHA256(key: secret).authenticationCode(for: Array(input.utf8)).bytes)
    }

    /// A fresh temporary directory (removed by the caller).
    static func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quotecast-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes `text` to `url` with `mode` (atomically: written beside it, then renamed over it).
    static func write(_ text: String, to url: URL, mode: Int = 0o600) throws {
        let temporary = url.appendingPathExtension("new")
        try Data(text.utf8).write(to: temporary)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: temporary.path)
        guard rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    static func keyLine(_ kid: String, _ secret: [UInt8]) -> String { "\(kid) \(Base64URL.encode(secret))" }
}

extension Result where Failure == TokenRefusal {
    /// The refusal's reason, nil on success.
    var reason: TokenRefusalReason? {
        if case .failure(let refusal) = self { return refusal.reason }
        return nil
    }
}

extension TokenVerifier {
    /// `verify` on a copy (so it can be called inside `#expect`); a copy of a reloading verifier
    /// refreshes its keys the same way.
    func checked(_ token: String?, now: Double) -> Result<VerifiedToken, TokenRefusal> {
        var copy = self
        return copy.verify(token, now: now)
    }
}

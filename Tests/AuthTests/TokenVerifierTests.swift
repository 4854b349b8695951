import Codecs
import Market
import Testing
@testable import Auth

/// Every way a token is accepted or refused, each with its reason code: tokens from another
/// implementation (PyJWT, RFC 7515's example), forged shapes, other keys, other algorithms,
/// truncations, the clock's edges.
@Suite struct TokenVerifierTests {
    /// Minted by PyJWT 2.15.1: `jwt.encode({...}, bytes(range(32)), algorithm="HS256",
    /// headers={"kid": "2026-01"})` with the claims below (and an `iss` we ignore).
    static let pyJWTToken = "eyJhbGciOiJIUzI1NiIsImtpZCI6IjIwMjYtMDEiLCJ0eXAiOiJKV1QifQ."
        + "eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSIsImlhdCI6MTgwMDAwMDAwMCwiZXhwIjoxODAwMDAzNjAwLCJuYmYiOjE4MDAwMDAwMDAsIm1rdCI6WyJuYXNkYXEiXSwic3ltIjpbIkFBUEwiLCJNUyoiXSwiZGVwIjo1LCJzdWJzIjoyMCwiY29ubiI6MiwiaXNzIjoiaHR0cHM6Ly9sb2dpbi5leGFtcGxlLmNvbSJ9."
        + "TQlmX-2E3I9mnrt7B51TR95PYASBE-Ql3_nIJrYDEr8"

    @Test func acceptsATokenMintedByPyJWT() throws {
        let verifier = Fixture.verifier()
        let token = try verifier.checked(Self.pyJWTToken, now: Fixture.now).get()
        #expect(token.keyID == "2026-01")
        #expect(token.subject == "alice@example.com")
        #expect(token.claims.expiresAt == 1_800_003_600 && token.claims.notBefore == 1_800_000_000)
        #expect(token.entitlements == Entitlements(markets: ["nasdaq"], symbols: try SymbolPatterns(["AAPL", "MS*"]), maxDepth: 5,
                                                   maxSubscriptions: 20, maxConnections: 2))
    }

    @Test func rfc7515ExampleSignatureIsReproduced() {
        // RFC 7515 Appendix A.1: the HS256 example (its header spans lines with CRLF).
        let key = Base64URL.decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")!
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        let tag = HMACSHA256(key: key).authenticationCode(for: Array(input.utf8))
        #expect(Base64URL.encode(tag.bytes) == "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        let header = try? JSONReader.parse(Base64URL.decode("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9")!).get()
        #expect(header?["alg"] == .string("HS256"))
        // The example names no kid and no sub: quotecast refuses it for that, and says so.
        let verifier = Fixture.verifier(Fixture.ring([("k", key)]))
        #expect(verifier.checked(input + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", now: 1_300_000_000).reason == .unknownKey)
    }

    @Test func ourTokensRoundTrip() throws {
        let verifier = Fixture.verifier()
        let claims = Fixture.claims(entitlements: Entitlements(markets: ["krx"], symbols: try SymbolPatterns(["005930", "0*"]), maxDepth: 3))
        #expect(try verifier.checked(Fixture.mint(claims), now: Fixture.now).get() == VerifiedToken(keyID: "2026-01", claims: claims))
    }

    @Test func missingTokens() {
        let verifier = Fixture.verifier()
        #expect(verifier.checked(nil, now: Fixture.now).reason == .missingToken)
        #expect(verifier.checked("", now: Fixture.now).reason == .missingToken)
    }

    @Test func aTokenOver4KiBIsRefusedBeforeItIsParsed() {
        var verifier = Fixture.verifier()
        let big = Fixture.mint(Fixture.claims(sub: String(repeating: "x", count: 200), entitlements:
            Entitlements(symbols: try! SymbolPatterns((0..<700).map { "S\($0)" }))))
        #expect(big.utf8.count > 4096)
        let refusal = verifier.verify(big, now: Fixture.now)
        #expect(refusal.reason == .malformedToken)
        #expect("\(refusal)".contains("over 4096 bytes"))
        // The same size of garbage gets the same answer (nothing was decoded).
        #expect(verifier.checked(String(repeating: "!", count: 4097), now: Fixture.now) == refusal)
        // Right up to the limit a token is read; one byte over, it is not.
        let header = #"{"alg":"HS256","kid":"2026-01"}"#
        func padded(_ n: Int) -> String {
            Fixture.handMade(header: header, claims: #"{"sub":"a","exp":1800003600,"pad":""# + String(repeating: "p", count: n) + "\"}")
        }
        let fits = (2900...3100).map(padded).filter { (4094...4096).contains($0.utf8.count) }
        let over = (2900...3100).map(padded).filter { (4097...4099).contains($0.utf8.count) }
        #expect(!fits.isEmpty && !over.isEmpty)
        for token in fits { #expect((try? verifier.checked(token, now: Fixture.now).get()) != nil, "\(token.utf8.count) bytes") }
        for token in over { #expect(verifier.checked(token, now: Fixture.now).reason == .malformedToken, "\(token.utf8.count) bytes") }
    }

    @Test(arguments: [
        ("two parts", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0"),
        ("four parts", "a.b.c.d"),
        ("not base64url", "eyJhbGciOiJIUzI1NiJ9=.eyJzdWIiOiJhIn0.sig"),
        ("header not JSON", Base64URL.encode(Array("hello".utf8)) + ".e30.AAAA"),
        ("header an array", Base64URL.encode(Array("[1]".utf8)) + ".e30.AAAA"),
    ])
    func shapesThatAreNotCompactJWSAreMalformed(what: String, token: String) {
        let verifier = Fixture.verifier()
        #expect(verifier.checked(token, now: Fixture.now).reason == .malformedToken, "\(what)")
    }

    @Test(arguments: [
        #"{"alg":"none","kid":"2026-01"}"#, #"{"alg":"HS512","kid":"2026-01"}"#, #"{"alg":"hs256","kid":"2026-01"}"#,
        #"{"alg":"RS256","kid":"2026-01"}"#, #"{"kid":"2026-01"}"#, #"{"alg":["HS256"],"kid":"2026-01"}"#,
        #"{"alg":"HS256","kid":"2026-01","crit":["exp"]}"#, #"{"alg":"HS256","alg":"none","kid":"2026-01"}"#,
    ])
    func onlyHS256IsAccepted(header: String) {
        let verifier = Fixture.verifier()
        let claims = Fixture.claims().json.serialized
        // Signed with the right key and unsigned: refused either way, on the header alone.
        #expect(verifier.checked(Fixture.handMade(header: header, claims: claims), now: Fixture.now).reason == .malformedToken)
        #expect(verifier.checked(Fixture.handMade(header: header, claims: claims, secret: nil), now: Fixture.now).reason == .malformedToken)
        // The control: the same claims under an HS256 header pass.
        #expect((try? verifier.checked(Fixture.handMade(header: #"{"alg":"HS256","kid":"2026-01"}"#, claims: claims),
                                      now: Fixture.now).get()) != nil)
    }

    @Test func keyIDsMustNameAKeyOfTheRing() {
        let verifier = Fixture.verifier()
        let claims = Fixture.claims().json.serialized
        #expect(verifier.checked(Fixture.handMade(header: #"{"alg":"HS256"}"#, claims: claims), now: Fixture.now).reason == .unknownKey)
        #expect(verifier.checked(Fixture.handMade(header: #"{"alg":"HS256","kid":"2025-12"}"#, claims: claims), now: Fixture.now).reason
                == .unknownKey)
        #expect(verifier.checked(Fixture.handMade(header: #"{"alg":"HS256","kid":7}"#, claims: claims), now: Fixture.now).reason
                == .malformedToken)
    }

    @Test func forgedAndOtherKeySignaturesAreBad() {
        var verifier = Fixture.verifier()
        let good = Fixture.mint(Fixture.claims())
        let parts = good.split(separator: ".").map(String.init)
        // A forged token with a valid shape: a random 32-byte signature.
        // Seeded, so a failure names the signature it failed on.
        let seed: UInt64 = 0xF0_26ED
        var random = SplitMix64(seed: seed)
        let forged = parts[0] + "." + parts[1] + "." + Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        #expect(verifier.checked(forged, now: Fixture.now).reason == .badSignature, "seed \(seed)")
        // Signed with another key under the same kid.
        let other = Fixture.mint(Fixture.claims(), ring: Fixture.ring([("2026-01", Fixture.otherSecret)]))
        #expect(verifier.checked(other, now: Fixture.now).reason == .badSignature)
        // Claims changed after signing (a user widening their own entitlements).
        let widened = Base64URL.encode(Array(Fixture.claims(sub: "root").json.serialized.utf8))
        #expect(verifier.checked(parts[0] + "." + widened + "." + parts[2], now: Fixture.now).reason == .badSignature)
        // Every truncation of the signature, including none at all.
        for cut in 1...parts[2].count {
            let truncated = parts[0] + "." + parts[1] + "." + parts[2].dropLast(cut)
            #expect(verifier.checked(truncated, now: Fixture.now).reason == .badSignature, "cut \(cut)")
        }
        // A signature with a byte more.
        #expect(verifier.checked(good + "AA", now: Fixture.now).reason == .badSignature)
        // The detail names the key, never the token.
        if case .failure(let refusal) = verifier.verify(other, now: Fixture.now) {
            #expect(!refusal.detail.contains(parts[2]) && !refusal.detail.contains(parts[1]))
        }
    }

    @Test func expiryAndNotBeforeAtTheirEdges() {
        let strict = Fixture.verifier(leeway: 0)
        let exp = Fixture.now
        let token = Fixture.mint(Fixture.claims(exp: exp))
        #expect((try? strict.checked(token, now: exp - 1).get()) != nil)
        #expect(strict.checked(token, now: exp).reason == .expired)
        #expect(strict.checked(token, now: exp + 1).reason == .expired)
        let lenient = Fixture.verifier(leeway: 5)
        #expect((try? lenient.checked(token, now: exp + 1).get()) != nil)
        #expect(lenient.checked(token, now: exp + 5).reason == .expired)
        let later = Fixture.mint(Fixture.claims(nbf: Fixture.now + 10))
        #expect(strict.checked(later, now: Fixture.now).reason == .notYetValid)
        #expect((try? strict.checked(later, now: Fixture.now + 10).get()) != nil)
        #expect((try? lenient.checked(later, now: Fixture.now + 5).get()) != nil)
        #expect(lenient.checked(later, now: Fixture.now + 4).reason == .notYetValid)
    }

    @Test(arguments: [
        #"{"exp":1800003600}"#, #"{"sub":"","exp":1800003600}"#, #"{"sub":7,"exp":1800003600}"#, #"{"sub":"a"}"#,
        #"{"sub":"a","exp":"1800003600"}"#, #"{"sub":"a","exp":1800003600,"nbf":true}"#, #"{"sub":"a","exp":1800003600,"dep":0}"#,
        #"{"sub":"a","exp":1800003600,"dep":2.5}"#, #"{"sub":"a","exp":1800003600,"subs":"5"}"#,
        #"{"sub":"a","exp":1800003600,"sym":"AAPL"}"#, #"{"sub":"a","exp":1800003600,"sym":["A*B"]}"#,
        #"{"sub":"a","exp":1800003600,"sym":[""]}"#, #"{"sub":"a","exp":1800003600,"mkt":[1]}"#,
        #"{"sub":"a","exp":1800003600,"conn":-1}"#, #"{"sub":"a","sub":"b","exp":1800003600}"#, #"["sub"]"#,
        #"{"sub":"a","exp":1800003600} "#.replacingOccurrences(of: " ", with: "x"),
    ])
    func signedButMalformedClaimsAreRefused(claims: String) {
        let verifier = Fixture.verifier()
        let token = Fixture.handMade(header: #"{"alg":"HS256","typ":"JWT","kid":"2026-01"}"#, claims: claims)
        #expect(verifier.checked(token, now: Fixture.now).reason == .malformedToken)
    }

    @Test func lifetimeWarnsThenExpires() throws {
        let verifier = Fixture.verifier()
        let token = try verifier.checked(Fixture.mint(Fixture.claims(exp: Fixture.now + 100)), now: Fixture.now).get()
        #expect(token.lifetime(at: Fixture.now, leeway: 0, warning: 60) == .valid(secondsLeft: 100))
        #expect(token.lifetime(at: Fixture.now + 40, leeway: 0, warning: 60) == .expiringSoon(secondsLeft: 60))
        #expect(token.lifetime(at: Fixture.now + 100, leeway: 0, warning: 60) == .expired)
        #expect(token.lifetime(at: Fixture.now + 100, leeway: 5, warning: 60) == .expiringSoon(secondsLeft: 5))
    }
}

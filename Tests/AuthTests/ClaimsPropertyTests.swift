import Codecs
import Foundation
import Market
import Testing
@testable import Auth

/// Seeded properties of the claims parser: random claims survive our encoder and a foreign one
/// (Foundation's JSONSerialization) and come back equal; random damage to a claims document is
/// either refused as malformed or read as the claims its JSON really says — never a crash, never a
/// claim silently dropped. A failure names its seed.
@Suite struct ClaimsPropertyTests {
    static func randomClaims(_ random: inout SplitMix64) -> TokenClaims {
        let symbolPool = ["AAPL", "MSFT", "005930", "A*", "MS*", "*", "Z", "BRK.B", "Q\"X", "Q\\Y"]
        func maybe<T>(_ make: (inout SplitMix64) -> T) -> T? { Bool.random(using: &random) ? make(&random) : nil }
        let subjectPieces = ["alice", "@", "é", "\"", "\\", "\n", "😀", "user-", "42"]
        let subject = (0..<Int.random(in: 1...8, using: &random)).map { _ in subjectPieces.randomElement(using: &random)! }.joined()
        let entitlements = Entitlements(
            markets: maybe { r in Array(Entitlements.knownMarkets.shuffled(using: &r).prefix(Int.random(in: 0...2, using: &r))) },
            symbols: maybe { r in try! SymbolPatterns((0..<Int.random(in: 0...5, using: &r)).map { _ in symbolPool.randomElement(using: &r)! }) },
            maxDepth: maybe { r in Int.random(in: 1...10, using: &r) },
            maxSubscriptions: maybe { r in Int.random(in: 1...TokenClaims.maximumLimit, using: &r) },
            maxConnections: maybe { r in Int.random(in: 1...5, using: &r) })
        return TokenClaims(subject: subject, expiresAt: Double(Int.random(in: 1_700_000_000...1_900_000_000, using: &random)),
                           notBefore: maybe { r in Double(Int.random(in: 1_700_000_000...1_900_000_000, using: &r)) },
                           issuedAt: maybe { r in Double(Int.random(in: 1_700_000_000...1_900_000_000, using: &r)) + 0.5 },
                           entitlements: entitlements)
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func claimsRoundTripThroughOurEncoderAndTheVerifier(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let verifier = Fixture.verifier()
        for _ in 0..<300 {
            let claims = Self.randomClaims(&random)
            let text = claims.json.serialized
            let read = try TokenClaims(json: try JSONReader.parse(Array(text.utf8)).get())
            #expect(read == claims, "seed \(seed): \(text)")
            let token = Fixture.mint(claims)
            let now = min(claims.expiresAt - 1, max(claims.notBefore ?? 0, claims.expiresAt - 3600))
            if (claims.notBefore ?? 0) <= now {
                #expect(try verifier.checked(token, now: now).get().claims == claims, "seed \(seed): \(text)")
            }
        }
    }

    @Test(arguments: [5, 6, 7, 8] as [UInt64])
    func claimsWrittenByFoundationReadTheSame(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for _ in 0..<300 {
            let claims = Self.randomClaims(&random)
            var object: [String: Any] = ["sub": claims.subject, "exp": Int(claims.expiresAt), "iss": "https://idp.example", "aud": ["x"]]
            if let nbf = claims.notBefore { object["nbf"] = Int(nbf) }
            if let iat = claims.issuedAt { object["iat"] = iat }
            let e = claims.entitlements
            if let m = e.markets { object["mkt"] = m }
            if let s = e.symbols { object["sym"] = s.patterns }
            if let d = e.maxDepth { object["dep"] = d }
            if let s = e.maxSubscriptions { object["subs"] = s }
            if let c = e.maxConnections { object["conn"] = c }
            let data = try JSONSerialization.data(withJSONObject: object, options: Bool.random(using: &random) ? [.prettyPrinted] : [])
            let read = try TokenClaims(json: try JSONReader.parse(Array(data)).get())
            #expect(read == claims, "seed \(seed): \(String(decoding: data, as: UTF8.self))")
        }
    }

    @Test(arguments: [9, 10, 11, 12] as [UInt64])
    func damagedClaimsAreRefusedOrReadAsTheyAre(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let noise = Array("{}[]\",:0123456789-*.e tnfa\\".utf8) + [0x00, 0xFF]
        var refused = 0
        for _ in 0..<2000 {
            var bytes = Array(Self.randomClaims(&random).json.serialized.utf8)
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: bytes[at] = noise.randomElement(using: &random)!
            case 1: bytes.remove(at: at)
            default: bytes.insert(noise.randomElement(using: &random)!, at: at)
            }
            guard case .success(let json) = JSONReader.parse(bytes) else { refused += 1; continue }
            guard let claims = try? TokenClaims(json: json) else { refused += 1; continue }
            // Accepted: each claim is what the JSON holds (nothing dropped, nothing invented).
            let text = String(decoding: bytes, as: UTF8.self).debugDescription
            #expect(json["sub"] == .string(claims.subject), "seed \(seed): \(text)")
            #expect((json["dep"] == nil) == (claims.entitlements.maxDepth == nil), "seed \(seed): \(text)")
            #expect((json["sym"] == nil) == (claims.entitlements.symbols == nil), "seed \(seed): \(text)")
            #expect((json["mkt"] == nil) == (claims.entitlements.markets == nil), "seed \(seed): \(text)")
            #expect((json["conn"] == nil) == (claims.entitlements.maxConnections == nil), "seed \(seed): \(text)")
            #expect(try! TokenClaims(json: JSONReader.parse(Array(claims.json.serialized.utf8)).get()) == claims, "seed \(seed): \(text)")
        }
        #expect(refused > 500, "seed \(seed): most damage should be refused")
    }
}

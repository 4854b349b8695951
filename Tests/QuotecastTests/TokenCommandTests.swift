import Auth
import Codecs
import Foundation
import Testing

/// `quotecast token` as an operator uses it: a token and nothing else on stdout that the gateway's
/// verifier accepts with the claims asked for; `--verify` for checking one; bad flags named, exit 2;
/// a key file others can read refused, exit 1.
@Suite struct TokenCommandTests {
    /// A key file of mode `mode` in a fresh directory, with keys k1 and k2.
    static func keyFile(mode: Int = 0o600) throws -> (file: URL, keys: KeyRing) {
        let dir = try QuotecastProcess.temporaryDirectory()
        let file = dir.appendingPathComponent("keys")
        let text = "# test keys\nk1 \(Base64URL.encode(Array(repeating: UInt8(7), count: 32)))\nk2 \(Base64URL.encode(Array(0..<48) as [UInt8]))\n"
        try Data(text.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
        return (file, try KeyRing(parsing: text))
    }

    @Test func mintsOnlyATokenThatTheVerifierAcceptsWithTheClaimsAskedFor() throws {
        let (file, keys) = try Self.keyFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let before = Date().timeIntervalSince1970.rounded(.down)
        let r = try QuotecastProcess.run(["token", "--key-file", file.path, "--kid", "k2", "--sub", "alice@example.com", "--ttl", "1h",
                                          "--symbols", "AAPL,MS*", "--markets", "nasdaq", "--max-depth", "5",
                                          "--max-subscriptions", "20", "--max-connections", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 1 && r.stdout.hasSuffix("\n"))
        var verifier = TokenVerifier(keys: keys)
        let token = try verifier.verify(String(lines.first ?? ""), now: before + 1).get()
        #expect(token.keyID == "k2" && token.subject == "alice@example.com")
        #expect(token.claims.expiresAt - (token.claims.issuedAt ?? 0) == 3600)
        #expect(token.claims.issuedAt! >= before && token.claims.issuedAt! <= before + 600)
        #expect(token.entitlements == Entitlements(markets: ["nasdaq"], symbols: try SymbolPatterns(["AAPL", "MS*"]), maxDepth: 5,
                                                   maxSubscriptions: 20, maxConnections: 2))
        // Signed by k2: a ring without k2 does not know it.
        var other = TokenVerifier(keys: try KeyRing(secrets: [(id: "k1", secret: Array(repeating: 7, count: 32))]))
        guard case .failure(let refusal) = other.verify(String(lines[0]), now: before + 1) else {
            Issue.record("a ring without k2 accepted the token")
            return
        }
        #expect(refusal.reason == .unknownKey)

        // --verify says the same from the command line.
        let checked = try QuotecastProcess.run(["token", "--verify", "--key-file", file.path], stdin: String(lines[0]) + "\n")
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stdout.hasPrefix(#"{"kid":"k2","claims":{"sub":"alice@example.com","iat":"#), "\(checked.stdout)")
        let forged = try QuotecastProcess.run(["token", "--verify", "--key-file", file.path], stdin: String(lines[0].dropLast(2)))
        #expect(forged.status == 1 && forged.stderr.contains("refused: bad_signature"), "\(forged.stderr)")
        let empty = try QuotecastProcess.run(["token", "--verify", "--key-file", file.path], stdin: "")
        #expect(empty.status == 1 && empty.stderr.contains("refused: missing_token"), "\(empty.stderr)")
    }

    @Test func badFlagsExitTwoNamingTheFlag() throws {
        let (file, _) = try Self.keyFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let base = ["token", "--key-file", file.path, "--kid", "k1", "--sub", "bob", "--ttl", "15m"]
        let cases: [([String], String)] = [
            (["token", "--kid", "k1", "--sub", "bob", "--ttl", "1h"], "--key-file"),
            (["token", "--key-file", file.path, "--sub", "bob", "--ttl", "1h"], "--kid"),
            (["token", "--key-file", file.path, "--kid", "k1", "--ttl", "1h"], "--sub"),
            (["token", "--key-file", file.path, "--kid", "k1", "--sub", "bob"], "--ttl"),
            (base.dropLast() + ["15x"], "--ttl"),
            (base.dropLast() + ["0s"], "--ttl"),
            (base.dropLast() + ["400d"], "--ttl"),
            (base + ["--kid", "k9"], "--kid"),
            (base + ["--markets", "nasdaq,nyse"], "--markets"),
            (base + ["--symbols", "AAPL,A*B"], "--symbols"),
            (base + ["--symbols", "AAPL,,MSFT"], "--symbols"),
            (base + ["--max-depth", "11"], "--max-depth"),
            (base + ["--max-connections", "0"], "--max-connections"),
            (base + ["--max-subscriptions", "lots"], "--max-subscriptions"),
            (base + ["--bogus"], "--bogus"),
            (["token", "--verify", "--key-file", file.path, "--leeway", "-1"], "--leeway"),
        ]
        for (args, flag) in cases {
            let r = try QuotecastProcess.run(args)
            #expect(r.status == 2, "\(args)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(flag), "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args)")
        }
    }

    @Test func aKeyFileOthersCanReadIsRefusedNamingItsMode() throws {
        let (file, _) = try Self.keyFile(mode: 0o644)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let r = try QuotecastProcess.run(["token", "--key-file", file.path, "--kid", "k1", "--sub", "bob", "--ttl", "1h"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("(mode 0644)") && r.stderr.contains("chmod 600"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test(arguments: [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("7d", 604_800), ("1.5h", nil), ("h", nil), ("-5s", nil),
                      ("", nil), ("99999999999999999999d", nil)] as [(String, Int?)])
    func durations(text: String, seconds: Int?) throws {
        let (file, keys) = try Self.keyFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let r = try QuotecastProcess.run(["token", "--key-file", file.path, "--kid", "k1", "--sub", "d", "--ttl", text])
        if let seconds {
            var verifier = TokenVerifier(keys: keys)
            let claims = try verifier.verify(r.stdout.trimmingCharacters(in: .newlines), now: Date().timeIntervalSince1970 - 60).get().claims
            #expect(claims.expiresAt - claims.issuedAt! == Double(seconds))
        } else {
            #expect(r.status == 2 && r.stderr.contains("--ttl"), "\(text): \(r.stderr)")
        }
    }
}

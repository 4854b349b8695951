import Auth
import Codecs
import Foundation

let tokenCommand = Command(
    name: "token",
    summary: "mint an access token (JWT, HS256) for tests and demos, or check one (--verify)",
    usage: """
        usage: quotecast token --key-file FILE --kid KID --sub USER --ttl DURATION
                               [--symbols LIST] [--markets LIST] [--max-depth N]
                               [--max-subscriptions N] [--max-connections N]
               quotecast token --verify --key-file FILE [--leeway SECONDS]  < TOKEN

        Prints a signed access token, and only the token, on stdout: a JWT (RFC 7519) signed with
        HMAC-SHA-256 by key KID of FILE, as the gateway's --auth token mode verifies it. A real
        deployment issues these from its login system with any HS256 JWT library and the same key
        and claims (docs/security.md); this command is for tests, demos and checking a setup.

          --key-file FILE          the key file: one 'KID SECRET' per line, SECRET base64url of at
                                   least 32 bytes, '#' comments; it must be mode 600 or 400
          --kid KID                the key to sign with (the token names it in its header)
          --sub USER               the user (claim sub)
          --ttl DURATION           how long the token is valid: 90s, 15m, 1h, 7d (at most 366d);
                                   a bare number is seconds (claims iat and exp)
          --symbols LIST           symbols or prefixes ending in '*' the user may see, comma-
                                   separated (claim sym; default: all)
          --markets LIST           markets the user may see: nasdaq, krx (claim mkt; default: all)
          --max-depth N            deepest book the user gets, 1..10 (claim dep)
          --max-subscriptions N    symbols one connection may hold subscribed (claim subs)
          --max-connections N      connections the user may hold open at once (claim conn)

        --verify reads one token from standard input and checks it against FILE at the current time:
        it prints {"kid":...,"claims":{...}} and exits 0, or prints the refusal (missing_token,
        malformed_token, bad_signature, expired, not_yet_valid, unknown_key) on stderr and exits 1.
          --leeway SECONDS         clock skew tolerated on exp and nbf, 0..300 (default 0)

        Exit status 1 also when the key file cannot be used (unreadable, readable by group or others,
        malformed) or, with --verify, the token is refused.

        """,
    run: runToken)

/// What `quotecast token` was asked to do.
enum TokenRequest {
    /// Sign these claims with this key.
    case mint(keyFile: String, keyID: String, claims: (subject: String, ttl: Int, entitlements: Entitlements))
    /// Check a token from standard input.
    case verify(keyFile: String, leeway: Double)
}

/// Parses the token command's flags (errors name the flag).
func tokenRequest(_ args: Arguments) throws(UsageError) -> TokenRequest {
    guard let keyFile = args.string("key-file") else { throw UsageError("--key-file FILE is required") }
    if args.flag("verify") {
        return .verify(keyFile: keyFile, leeway: Double(try args.int("leeway", default: 0, in: 0...300)))
    }
    guard let keyID = args.string("kid") else { throw UsageError("--kid KID is required (the key to sign with)") }
    guard let subject = args.string("sub"), !subject.isEmpty, subject.utf8.count <= TokenClaims.maximumSubjectBytes else {
        throw UsageError("--sub USER is required (1 to \(TokenClaims.maximumSubjectBytes) bytes)")
    }
    guard let ttlText = args.string("ttl") else { throw UsageError("--ttl DURATION is required (such as 15m or 1h)") }
    guard let ttl = parseDuration(ttlText), (1...366 * 86_400).contains(ttl) else {
        throw UsageError("--ttl: expected a duration from 1s to 366d such as 90s, 15m, 1h or 7d, got '\(ttlText)'")
    }
    var entitlements = Entitlements()
    if let text = args.string("symbols") {
        let patterns = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
        do {
            entitlements.symbols = try SymbolPatterns(patterns)
        } catch {
            throw UsageError("--symbols: \(error)")
        }
    }
    if let text = args.string("markets") {
        let markets = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
        for market in markets where !Entitlements.knownMarkets.contains(market) {
            throw UsageError("--markets: expected markets from \(Entitlements.knownMarkets.joined(separator: ",")), got '\(market)'")
        }
        entitlements.markets = markets
    }
    if args.string("max-depth") != nil { entitlements.maxDepth = try args.int("max-depth", default: 10, in: 1...10) }
    if args.string("max-subscriptions") != nil {
        entitlements.maxSubscriptions = try args.int("max-subscriptions", default: 1, in: 1...TokenClaims.maximumLimit)
    }
    if args.string("max-connections") != nil {
        entitlements.maxConnections = try args.int("max-connections", default: 1, in: 1...TokenClaims.maximumLimit)
    }
    return .mint(keyFile: keyFile, keyID: keyID, claims: (subject, ttl, entitlements))
}

/// Seconds in `90`, `90s`, `15m`, `1h` or `7d`; nil when it is none of those.
func parseDuration(_ text: String) -> Int? {
    let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
    guard let last = text.last else { return nil }
    let (digits, unit) = units[last].map { (text.dropLast(), $0) } ?? (Substring(text), 1)
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let n = Int(digits), n >= 0 else { return nil }
    let (seconds, overflow) = n.multipliedReportingOverflow(by: unit)
    return overflow ? nil : seconds
}

func runToken(_ argv: [String]) throws -> Int32 {
    let args = try Arguments(argv, valueFlags: ["key-file", "kid", "sub", "ttl", "symbols", "markets", "max-depth",
                                                "max-subscriptions", "max-connections", "leeway"],
                             switchFlags: ["verify"])
    guard args.positionals.isEmpty else { throw UsageError("unexpected argument '\(args.positionals[0])'") }
    switch try tokenRequest(args) {
    case .mint(let keyFile, let keyID, let claims):
        let keys = try KeyFile.load(path: keyFile)
        let minter: TokenMinter
        do {
            minter = try TokenMinter(keys: keys, keyID: keyID)
        } catch {
            throw UsageError("--kid: \(error)")
        }
        let now = WallClock.now().rounded(.down)
        let token = minter.mint(TokenClaims(subject: claims.subject, expiresAt: now + Double(claims.ttl), issuedAt: now,
                                            entitlements: claims.entitlements))
        print(token)
        return 0
    case .verify(let keyFile, let leeway):
        let keys = try KeyFile.load(path: keyFile)
        let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile().prefix(64 * 1024), as: UTF8.self)
        var verifier = TokenVerifier(keys: keys, leeway: leeway)
        switch verifier.verify(input.trimmingCharacters(in: .whitespacesAndNewlines), now: WallClock.now()) {
        case .success(let token):
            print(#"{"kid":"# + JSONString.quoted(token.keyID) + #","claims":"# + token.claims.json.serialized + "}")
            return 0
        case .failure(let refusal):
            printError("quotecast token: refused: \(refusal)")
            return 1
        }
    }
}

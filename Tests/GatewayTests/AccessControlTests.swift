import Auth
import Codecs
import Foundation
import Gateway
import Market
import RateLimit
import Sockets
import Testing

/// A key file on disk and tokens for it, for a gateway run with `--auth token`.
final class TokenSetup {
    let directory: URL
    let keyFile: URL
    let keys: ReloadableKeyRing
    static let secret: [UInt8] = Array(0..<32)
    static let otherSecret: [UInt8] = Array(100..<140)

    init(_ entries: [(String, [UInt8])] = [("k1", TokenSetup.secret)]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotecast-access-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        keyFile = directory.appendingPathComponent("keys")
        try TokenSetup.write(entries, to: keyFile)
        keys = try ReloadableKeyRing(path: keyFile.path)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Writes a key file (mode 600, renamed into place so a reload never reads half of it).
    static func write(_ entries: [(String, [UInt8])], to url: URL, mode: Int = 0o600) throws {
        let text = "# test keys\n" + entries.map { "\($0.0) \(Base64URL.encode($0.1))" }.joined(separator: "\n") + "\n"
        let temporary = url.appendingPathExtension("new")
        try Data(text.utf8).write(to: temporary)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: temporary.path)
        guard rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// A token for `sub` valid for `ttl` seconds from now, signed with `secret` under `kid`.
    func token(sub: String = "alice", ttl: Double = 3600, nbf: Double? = nil, kid: String = "k1",
               secret: [UInt8] = TokenSetup.secret, entitlements: Entitlements = .unrestricted) -> String {
        let now = Date().timeIntervalSince1970.rounded(.down)
        let ring = try! KeyRing(secrets: [(id: kid, secret: secret)])
        return try! TokenMinter(keys: ring, keyID: kid).mint(TokenClaims(subject: sub, expiresAt: now + ttl, notBefore: nbf,
                                                                          issuedAt: now, entitlements: entitlements))
    }

    /// A token of arbitrary header and claims text signed with `secret` (no signature when nil).
    static func handMade(header: String, claims: String, secret: [UInt8]? = TokenSetup.secret) -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        guard let secret else { return input + "." }
        return input + "." + Base64URL.encode(HMACSHA256(key: secret).authenticationCode(for: Array(input.utf8)).bytes)
    }

    /// A gateway configuration requiring tokens from this key file.
    func configuration(leeway: Double = 0, expiryWarning: Double = 60) -> GatewayConfiguration {
        var c = GatewayConfiguration()
        c.access.mode = .token(keys: keys)
        c.access.leeway = leeway
        c.access.expiryWarning = expiryWarning
        return c
    }
}

/// One plain HTTP request over a fresh connection: status, head, body.
func httpGet(_ address: SocketAddress, _ target: String, headers: [String] = []) throws -> (status: Int, head: String, body: String) {
    let tcp = try TCPConnection.connect(to: address, blocking: true)
    defer { tcp.close() }
    try tcp.writeAll(Array(("GET \(target) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n").utf8))
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    let deadline = Date().addingTimeInterval(20)
    while Date() < deadline {
        var p = pollfd(fd: tcp.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, 100) <= 0 { continue }
        let n = chunk.withUnsafeMutableBytes { recv(tcp.descriptor.rawValue, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        data += chunk[0..<n]
    }
    let text = String(decoding: data, as: UTF8.self)
    let parts = text.components(separatedBy: "\r\n\r\n")
    let head = parts.first ?? ""
    return (Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0, head, parts.dropFirst().joined(separator: "\r\n\r\n"))
}

/// Access control seen from a client (issue 21): tokens on the upgrade request, entitlements on
/// subscribe, the per-user connection limit, the message limit, expiry and refresh. A real gateway
/// on a loopback listener; every wait is on a message, bounded by a generous deadline.
@Suite struct AccessControlTests {
    func quote(_ h: GatewayHarness, _ s: String, _ locate: UInt16, bid: UInt32 = 1_000_000) {
        let bids = (0..<10).map { (bid - UInt32($0) * 100, UInt32(100 * ($0 + 1))) }
        let asks = (0..<10).map { (bid + 100 + UInt32($0) * 100, UInt32(200 + $0)) }
        h.write(.quote, s, locate: locate, bids: bids, asks: asks)
    }

    /// A harness with AAPL, AAMX, MSFT and IBM known.
    func harness(_ setup: TokenSetup, _ configure: (inout GatewayConfiguration) -> Void = { _ in }) throws -> GatewayHarness {
        var c = setup.configuration()
        configure(&c)
        let h = try GatewayHarness(configuration: c)
        for (i, s) in ["AAPL", "AAMX", "MSFT", "IBM"].enumerated() { quote(h, s, UInt16(i + 1)) }
        try h.waitForGateway()
        return h
    }

    /// The refusal an upgrade with `headers` gets (nil when it was accepted).
    func refusal(_ h: GatewayHarness, headers: [String], path: String = "/v1/stream") throws -> TestClient.HandshakeRefused? {
        do {
            _ = try TestClient(h.address, path: path, headers: headers)
            return nil
        } catch let refused as TestClient.HandshakeRefused {
            return refused
        }
    }

    static let now = Date().timeIntervalSince1970.rounded(.down)
    static let goodClaims = #"{"sub":"alice","exp":\#(Int(now) + 3600)}"#

    /// Every refusal the issue lists, presented as `Authorization: Bearer`, and its code.
    static let refusals: [(name: String, token: String?, code: String)] = {
        let setup = try! TokenSetup()
        let good = setup.token()
        let parts = good.split(separator: ".").map(String.init)
        let header = #"{"alg":"HS256","typ":"JWT","kid":"k1"}"#
        let forgedSignature = Base64URL.encode([UInt8](repeating: 0x5A, count: 32))
        return [
            ("no token", nil, "missing_token"),
            ("not a JWT", "hello", "malformed_token"),
            ("forged, valid shape", parts[0] + "." + parts[1] + "." + forgedSignature, "bad_signature"),
            ("signed with another key", setup.token(secret: TokenSetup.otherSecret), "bad_signature"),
            ("alg none", TokenSetup.handMade(header: #"{"alg":"none","kid":"k1"}"#, claims: goodClaims, secret: nil), "malformed_token"),
            ("alg HS512", TokenSetup.handMade(header: #"{"alg":"HS512","kid":"k1"}"#, claims: goodClaims), "malformed_token"),
            ("truncated signature", String(good.dropLast(4)), "bad_signature"),
            ("1 s past exp, zero leeway", TokenSetup.handMade(header: header, claims: #"{"sub":"alice","exp":\#(Int(now) - 1)}"#), "expired"),
            ("nbf in an hour", setup.token(nbf: now + 3600), "not_yet_valid"),
            ("unknown kid", setup.token(kid: "k9"), "unknown_key"),
            ("over 4 KiB", TokenSetup.handMade(header: header, claims: #"{"sub":"\#(String(repeating: "a", count: 4000))","exp":\#(Int(now) + 3600)}"#),
             "malformed_token"),
        ]
    }()

    @Test(arguments: 0..<refusals.count)
    func everyRefusalIsA401NamingItsReasonAndIsAudited(_ i: Int) throws {
        let (name, token, code) = AccessControlTests.refusals[i]
        let setup = try TokenSetup()
        let h = try harness(setup)
        defer { h.stop() }
        let refused = try #require(try refusal(h, headers: token.map { ["Authorization: Bearer \($0)"] } ?? []), "\(name) was let in")
        #expect(refused.status == 401, "\(name)")
        #expect(refused.json["type"] as? String == "error" && refused.json["code"] as? String == code, "\(name): \(refused.body)")
        #expect(refused.head.contains("WWW-Authenticate: Bearer realm=\"quotecast\""))
        #expect(h.gateway.accessStatistics.authentications(.handshake, reason: code) == 1)
        let audit = h.log.filter { $0.hasPrefix("event=auth_refused") }
        #expect(audit.count == 1 && audit[0].contains("reason=\(code)") && audit[0].contains("peer=127.0.0.1:"), "\(audit)")
        if let token, token.count > 20 {
            #expect(!audit[0].contains(token) && !audit[0].contains(token.split(separator: ".").last ?? "-"), "the audit line quotes the token")
        }
        #expect(h.gateway.statistics.clients.load(ordering: .relaxed) == 0)
    }

    @Test func anAuditLineQuotesWhatTheClientSentWithoutLettingItForgeFields() throws {
        let setup = try TokenSetup()
        let h = try harness(setup)
        defer { h.stop() }
        let forged = #"1.2.3.4" reason=ok peer="10.0.0.1 \#t"# + String(repeating: "x", count: 400)
        _ = try refusal(h, headers: ["X-Forwarded-For: \(forged)"])
        let line = try #require(h.log.first { $0.hasPrefix("event=auth_refused") })
        #expect(line.hasPrefix("event=auth_refused stage=handshake reason=missing_token peer=127.0.0.1:"))
        #expect(line.contains(#"forwarded_for="1.2.3.4\" reason=ok peer=\"10.0.0.1 ?xxx"#), "\(line)")
        #expect(line.contains("x…\" detail=") && line.count < 600, "\(line)")
    }

    @Test func aValidTokenOpensTheStreamFromEachOfItsThreePlaces() throws {
        let setup = try TokenSetup()
        let h = try harness(setup)
        defer { h.stop() }
        let header = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token())"])
        #expect(!header.head.contains("Sec-WebSocket-Protocol"))
        let browser = try TestClient(h.address, headers: ["Sec-WebSocket-Protocol: quotecast.v1, bearer.\(setup.token(sub: "bob"))"])
        #expect(browser.head.contains("Sec-WebSocket-Protocol: quotecast.v1\r\n"), "the browser's protocol must be echoed: \(browser.head)")
        #expect(!browser.head.contains("bearer."), "the token is never echoed")
        let query = try TestClient(h.address, path: "/v1/stream?access_token=\(setup.token(sub: "carol"))")
        for c in [header, browser, query] {
            try c.send(#"{"op":"ping","id":1}"#)
            #expect(c.next()?.type == "pong")
        }
        #expect(h.gateway.accessStatistics.authentications(.handshake, reason: "ok") == 3)
        #expect(h.gateway.accessStatistics.usersWithAtMost(1) == 3)
    }

    @Test func aKeyRotatedOutRefusesItsTokensReplayedWhileOpenConnectionsStay() throws {
        let setup = try TokenSetup([("old", TokenSetup.secret)])
        let h = try harness(setup)
        defer { h.stop() }
        let oldToken = setup.token(kid: "old")
        let open = try TestClient(h.address, headers: ["Authorization: Bearer \(oldToken)"])
        try open.send(#"{"op":"subscribe","symbols":["AAPL"]}"#)
        #expect(open.next()?.type == "subscribed")
        #expect(open.next()?.type == "snapshot")

        // Step 1 of a rotation: both keys; step 3: the old one removed. Each a reload.
        try TokenSetup.write([("old", TokenSetup.secret), ("new", TokenSetup.otherSecret)], to: setup.keyFile)
        #expect(try setup.keys.reload().get().keyIDs == ["old", "new"])
        #expect(try refusal(h, headers: ["Authorization: Bearer \(setup.token(kid: "new", secret: TokenSetup.otherSecret))"]) == nil)
        try TokenSetup.write([("new", TokenSetup.otherSecret)], to: setup.keyFile)
        #expect(try setup.keys.reload().get().keyIDs == ["new"])
        let replayed = try #require(try refusal(h, headers: ["Authorization: Bearer \(oldToken)"]))
        #expect(replayed.status == 401 && replayed.json["code"] as? String == "unknown_key")
        // A bad file keeps the keys in force.
        try TokenSetup.write([("new", TokenSetup.otherSecret)], to: setup.keyFile, mode: 0o644)
        if case .success = setup.keys.reload() { Issue.record("a key file others can read was loaded") }
        #expect(try refusal(h, headers: ["Authorization: Bearer \(setup.token(kid: "new", secret: TokenSetup.otherSecret))"]) == nil)

        // The connection opened with the rotated-out key is still served.
        quote(h, "AAPL", 1, bid: 1_000_100)
        #expect(open.next()?.type == "quote")
    }

    @Test func symbolsOutsideTheTokensMarketsOrPatternsAreNotEntitled() throws {
        let setup = try TokenSetup()
        let h = try harness(setup)
        defer { h.stop() }
        let patterns = try SymbolPatterns(["AA*", "MSFT"])
        let c = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token(entitlements: Entitlements(symbols: patterns)))"])
        try c.send(#"{"op":"subscribe","symbols":["aapl","IBM","MSFT","NOPE","AAZZ"]}"#)
        let subscribed = try #require(c.next())
        #expect(subscribed.type == "subscribed" && subscribed["symbols"] as? [String] == ["AAPL", "MSFT"])
        #expect(c.next()?.symbol == "AAPL")
        #expect(c.next()?.symbol == "MSFT")
        // AAZZ is allowed by AA* and does not exist; NOPE is not allowed, whether it exists is not said.
        let unknown = try #require(c.next())
        #expect(unknown["code"] as? String == "unknown_symbol" && unknown["symbols"] as? [String] == ["AAZZ"])
        let refused = try #require(c.next())
        #expect(refused.type == "error" && refused["code"] as? String == "not_entitled")
        #expect(refused["symbols"] as? [String] == ["IBM", "NOPE"])
        #expect(h.gateway.accessStatistics.entitlementRefusals("sym") == 2)

        // A subscribe of nothing but refused symbols gets `subscribed` with no symbol, then the error
        // (issue 19's one rule for requests with no good symbol).
        try c.send(#"{"op":"subscribe","symbols":["IBM"]}"#)
        let none = try #require(c.next())
        #expect(none.type == "subscribed" && none["symbols"] as? [String] == [])
        let only = try #require(c.next())
        #expect(only["code"] as? String == "not_entitled" && only["symbols"] as? [String] == ["IBM"])

        // Markets, from each instrument's reference data (Nasdaq's without any): a KRX-only user gets
        // the Korean listing and not AAPL; a Nasdaq-only one the other way round.
        h.write(.instrument, "005930", locate: 5, instrument: InstrumentReference(
            market: .krx, decimals: 0, referencePrice: 71_000, name: "삼성전자", englishName: "SamsungElec"))
        quote(h, "005930", 5, bid: 71_000)
        try h.waitForGateway()
        let krx = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token(sub: "kim", entitlements: Entitlements(markets: ["krx"])))"])
        try krx.send(#"{"op":"subscribe","symbols":["AAPL","005930"]}"#)
        let kSubscribed = try #require(krx.next())
        #expect(kSubscribed.type == "subscribed" && kSubscribed["symbols"] as? [String] == ["005930"])
        #expect(krx.next()?.symbol == "005930")
        let k = try #require(krx.next())
        #expect(k["code"] as? String == "not_entitled" && k["symbols"] as? [String] == ["AAPL"])
        let nasdaq = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token(sub: "lee", entitlements: Entitlements(markets: ["nasdaq"])))"])
        try nasdaq.send(#"{"op":"subscribe","symbols":["005930"]}"#)
        #expect(nasdaq.next()?["symbols"] as? [String] == [])
        let n = try #require(nasdaq.next())
        #expect(n["code"] as? String == "not_entitled" && n["symbols"] as? [String] == ["005930"])
        #expect(h.gateway.accessStatistics.entitlementRefusals("mkt") == 2)

        // /v1/symbols needs a token and lists only what it entitles to.
        #expect(try httpGet(h.address, "/v1/symbols").status == 401)
        let listed = try httpGet(h.address, "/v1/symbols", headers: ["Authorization: Bearer \(setup.token(entitlements: Entitlements(symbols: patterns)))"])
        #expect(listed.status == 200)
        let names = ((try JSONSerialization.jsonObject(with: Data(listed.body.utf8)) as? [String: Any])?["symbols"] as? [[String: Any]])?
            .compactMap { $0["symbol"] as? String }
        #expect(names == ["AAMX", "AAPL", "MSFT"])
        #expect(h.gateway.accessStatistics.authentications(.request, reason: "missing_token") == 1)
    }

    @Test func aDepthOverTheTokensMaximumIsCappedAndSubscribedSaysSo() throws {
        let setup = try TokenSetup()
        let h = try harness(setup)
        defer { h.stop() }
        let c = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token(entitlements: Entitlements(maxDepth: 3)))"])
        try c.send(#"{"op":"subscribe","symbols":["AAPL"],"depth":10}"#)
        let subscribed = try #require(c.next())
        #expect(subscribed.type == "subscribed" && subscribed["depth"] as? Int == 3 && subscribed["depth_capped"] as? Bool == true)
        let snapshot = try #require(c.next())
        #expect(snapshot.levels.bids.count == 3 && snapshot.levels.asks.count == 3)
        try c.send(#"{"op":"subscribe","symbols":["MSFT"],"depth":2}"#)
        let within = try #require(c.next())
        #expect(within.type == "subscribed" && within["depth"] == nil && within["depth_capped"] == nil)
        #expect(h.gateway.accessStatistics.entitlementRefusals("dep") == 1)
    }

    @Test func subsLimitsTheSymbolsOneConnectionHolds() throws {
        let setup = try TokenSetup()
        let h = try harness(setup)
        defer { h.stop() }
        let c = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token(entitlements: Entitlements(maxSubscriptions: 2)))"])
        try c.send(#"{"op":"subscribe","symbols":["AAPL","MSFT","IBM"]}"#)
        #expect(c.next()?["symbols"] as? [String] == ["AAPL", "MSFT"])
        _ = c.next()
        _ = c.next()
        let over = try #require(c.next())
        #expect(over["code"] as? String == "too_many_subscriptions" && over["symbols"] as? [String] == ["IBM"])
        #expect((over["message"] as? String)?.contains("at most 2") == true)
        #expect(h.gateway.accessStatistics.entitlementRefusals("subs") == 1)
    }

    @Test func connectionsOverTheUsersLimitCloseTheOldestWithSessionReplaced() throws {
        let setup = try TokenSetup()
        let h = try harness(setup)
        defer { h.stop() }
        let token = setup.token(entitlements: Entitlements(maxConnections: 2))
        let first = try TestClient(h.address, headers: ["Authorization: Bearer \(token)"])
        try first.send(#"{"op":"ping","id":1}"#)
        #expect(first.next()?.type == "pong")
        let second = try TestClient(h.address, headers: ["Authorization: Bearer \(token)"])
        try second.send(#"{"op":"ping","id":2}"#)
        #expect(second.next()?.type == "pong")
        #expect(h.gateway.accessStatistics.usersWithAtMost(1) == 0 && h.gateway.accessStatistics.usersWithAtMost(2) == 1)
        let third = try TestClient(h.address, headers: ["Authorization: Bearer \(token)"])
        #expect(first.waitForClose() == 1008)
        #expect(first.closeReason == "session_replaced")
        for (c, id) in [(second, 2), (third, 3)] {
            try c.send(#"{"op":"ping","id":\#(id)}"#)
            #expect(c.next()?.type == "pong")
        }
        #expect(h.gateway.accessStatistics.closes("session_replaced") == 1)
        try waitUntil("the replaced connection gone") { h.gateway.statistics.clients.load(ordering: .relaxed) == 2 }
        #expect(h.gateway.accessStatistics.usersWithAtMost(2) == 1 && h.gateway.accessStatistics.authenticatedConnections.load(ordering: .relaxed) == 2)
        // Another user is not affected by alice's limit.
        let bob = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token(sub: "bob"))"])
        try bob.send(#"{"op":"ping","id":4}"#)
        #expect(bob.next()?.type == "pong")
    }

    @Test(arguments: [false, true])
    func messagesOverTheLimitAreRefusedAndSustainedAbuseIsClosed(withTokens: Bool) throws {
        let setup = try TokenSetup()
        // A bucket that refills once in 1 000 s: the test's timing cannot refill it.
        let h = try harness(setup) { c in
            if !withTokens { c.access.mode = .open }
            c.access.messageLimit = MessageRateLimit(ratePerSecond: 0.001, burst: 5)
        }
        defer { h.stop() }
        let c = try TestClient(h.address, headers: withTokens ? ["Authorization: Bearer \(setup.token())"] : [])
        for id in 0..<5 {
            try c.send(#"{"op":"ping","id":\#(id)}"#)
            #expect(c.next()?["id"] as? Int == id)
        }
        try c.send(#"{"op":"ping","id":5}"#)
        let refused = try #require(c.next())
        #expect(refused.type == "error" && refused["code"] as? String == "rate_limited")
        // Twice the burst of refusals in a row: closed.
        for id in 6..<20 { try c.send(#"{"op":"ping","id":\#(id)}"#) }
        #expect(c.waitForClose() == 1008)
        #expect(c.closeReason == "rate_limited")
        #expect(h.gateway.accessStatistics.rateLimitedMessages.load(ordering: .relaxed) == 10)
        #expect(h.gateway.accessStatistics.closes("rate_limited") == 1)
    }

    @Test func aTokenAboutToExpireIsWarnedThenClosedWithTokenExpired() throws {
        let setup = try TokenSetup()
        // Expires 6 s from now; warned from 5 s before: the warning comes at once, the close at expiry.
        let h = try harness(setup) { $0.access.expiryWarning = 5 }
        defer { h.stop() }
        let c = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token(ttl: 6))"])
        let warning = try #require(c.until { $0.type == "token_expiring" }.found)
        #expect((warning["exp"] as? Int).map { $0 > Int(Date().timeIntervalSince1970) - 10 } == true)
        #expect((warning["seconds_left"] as? Int).map { (1...5).contains($0) } == true)
        #expect(c.waitForClose(timeout: 30) == 1008)
        #expect(c.closeReason == "token_expired")
        #expect(h.gateway.accessStatistics.closes("token_expired") == 1)
        #expect(h.gateway.accessStatistics.expiryWarnings.load(ordering: .relaxed) == 1)
        #expect(h.log.contains { $0.contains("event=access_closed reason=token_expired") && $0.contains("sub=alice") })
    }

    @Test func theLeewayKeepsAJustExpiredTokenValid() throws {
        let setup = try TokenSetup()
        let h = try harness(setup) { $0.access.leeway = 120 }
        defer { h.stop() }
        #expect(try refusal(h, headers: ["Authorization: Bearer \(setup.token(ttl: -60))"]) == nil)
        let late = try #require(try refusal(h, headers: ["Authorization: Bearer \(setup.token(ttl: -300))"]))
        #expect(late.json["code"] as? String == "expired")
    }

    @Test func aFreshTokenSentInTimeKeepsTheConnectionOpenAndItsNewEntitlementsApply() throws {
        let setup = try TokenSetup()
        let h = try harness(setup) { $0.access.expiryWarning = 5 }
        defer { h.stop() }
        let c = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token(ttl: 6))"])
        let firstExpiry = Date().timeIntervalSince1970 + 6
        try c.send(#"{"op":"subscribe","symbols":["AAPL","MSFT"],"depth":5}"#)
        #expect(c.until { $0.type == "token_expiring" }.found != nil)

        // Refused refreshes leave the connection on its current token.
        try c.send(#"{"op":"auth","token":"\#(setup.token(sub: "mallory"))"}"#)
        #expect(c.until { $0.type == "error" }.found?["code"] as? String == "subject_mismatch")
        try c.send(#"{"op":"auth","token":"\#(setup.token(secret: TokenSetup.otherSecret))"}"#)
        #expect(c.until { $0.type == "error" }.found?["code"] as? String == "bad_signature")
        #expect(h.gateway.accessStatistics.authentications(.refresh, reason: "bad_signature") == 1)
        #expect(h.log.contains { $0.contains("event=auth_refused stage=refresh reason=subject_mismatch") })

        // A good one for the same user, entitled to MSFT only, at depth 2 at most.
        let narrower = Entitlements(symbols: try SymbolPatterns(["MSFT"]), maxDepth: 2)
        try c.send(#"{"op":"auth","token":"\#(setup.token(ttl: 3600, entitlements: narrower))"}"#)
        let accepted = try #require(c.until { $0.type == "authenticated" }.found)
        #expect(accepted["sub"] as? String == "alice")
        let unsubscribed = try #require(c.until { $0.type == "unsubscribed" }.found)
        #expect(unsubscribed["symbols"] as? [String] == ["AAPL"])
        let notEntitled = try #require(c.next())
        #expect(notEntitled["code"] as? String == "not_entitled" && notEntitled["symbols"] as? [String] == ["AAPL"])
        let resubscribed = try #require(c.next())
        #expect(resubscribed.type == "subscribed" && resubscribed["symbols"] as? [String] == ["MSFT"])
        #expect(c.next()?.levels.bids.count == 2)
        #expect(h.gateway.accessStatistics.authentications(.refresh, reason: "ok") == 1)

        // Past the first token's expiry the connection is still served.
        while Date().timeIntervalSince1970 < firstExpiry + 1 { usleep(100_000) }
        try c.send(#"{"op":"ping","id":"after"}"#)
        let pong = c.until { $0.type == "pong" }
        #expect(pong.found?["id"] as? String == "after", "closed \(c.closeCode.map(String.init) ?? "-") \(c.closeReason ?? "")")
        #expect(h.gateway.accessStatistics.closes("token_expired") == 0)
    }

    @Test func anOpenGatewayAcceptsEveryoneAndSaysAuthIsOff() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        quote(h, "AAPL", 1)
        try h.waitForGateway()
        let browser = try TestClient(h.address, headers: ["Sec-WebSocket-Protocol: quotecast.v1"])
        #expect(browser.head.contains("Sec-WebSocket-Protocol: quotecast.v1\r\n"))
        try browser.send(#"{"op":"auth","token":"x"}"#)
        #expect(browser.next()?["code"] as? String == "auth_disabled")
        #expect(try httpGet(h.address, "/v1/symbols").status == 200)
    }

    @Test func theMetricsNameEveryResultAndAHistogramOfConnectionsPerUser() throws {
        let setup = try TokenSetup()
        let h = try harness(setup)
        defer { h.stop() }
        let a1 = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token())"])
        let a2 = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token())"])
        let b = try TestClient(h.address, headers: ["Authorization: Bearer \(setup.token(sub: "bob"))"])
        _ = try refusal(h, headers: [])
        for c in [a1, a2, b] {
            try c.send(#"{"op":"ping"}"#)
            _ = c.next()
        }
        let text = PrometheusText.render(h.gateway.accessStatistics.samples(keys: setup.keys))
        #expect(text.contains("# TYPE quotecast_gateway_connections_per_user histogram\n"))
        #expect(text.contains("quotecast_gateway_connections_per_user_bucket{le=\"1\"} 1\n"))
        #expect(text.contains("quotecast_gateway_connections_per_user_bucket{le=\"2\"} 2\n"))
        #expect(text.contains("quotecast_gateway_connections_per_user_bucket{le=\"+Inf\"} 2\n"))
        #expect(text.contains("quotecast_gateway_connections_per_user_sum 3\n"))
        #expect(text.contains("quotecast_gateway_connections_per_user_count 2\n"))
        #expect(text.contains(#"quotecast_gateway_authentications_total{stage="handshake",result="accepted",reason="ok"} 3"#))
        #expect(text.contains(#"quotecast_gateway_authentications_total{stage="handshake",result="refused",reason="missing_token"} 1"#))
        #expect(!text.contains("alice") && !text.contains("bob"), "a label per user")
        #expect(text.contains("quotecast_auth_keys 1\n"))
        // With the gateway's own samples (the same disconnects and errors names): one valid page.
        let parsed = try PrometheusParser.parse(PrometheusText.render(h.gateway.statistics.samples()
                                                                      + h.gateway.accessStatistics.samples(keys: setup.keys)))
        #expect(parsed.value("quotecast_gateway_disconnects_total", ["reason": "session_replaced"]) == 0)
        #expect(parsed.value("quotecast_gateway_connections_per_user_count") == 2)
    }
}

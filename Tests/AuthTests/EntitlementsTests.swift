import Testing
@testable import Auth

/// The entitlement questions the gateway asks, answered from claims alone.
@Suite struct EntitlementsTests {
    @Test func absentClaimsRestrictNothing() {
        let e = Entitlements.unrestricted
        #expect(e.allows(symbol: "AAPL", market: "nasdaq") && e.allows(symbol: "005930", market: "krx"))
        #expect(e.cappedDepth(10) == (10, false))
        #expect(e.allowsSubscriptions(1_000_000))
    }

    @Test func symbolsAndPrefixesAndMarkets() throws {
        let e = Entitlements(markets: ["nasdaq"], symbols: try SymbolPatterns(["AAPL", "MS*", "Z"]))
        #expect(e.allows(symbol: "AAPL", market: "nasdaq"))
        #expect(e.allows(symbol: "MSFT", market: "nasdaq") && e.allows(symbol: "MS", market: "nasdaq"))
        #expect(e.allows(symbol: "Z", market: "nasdaq"))
        #expect(!e.allows(symbol: "AAP", market: "nasdaq") && !e.allows(symbol: "AAPLX", market: "nasdaq"))
        #expect(!e.allows(symbol: "ZZ", market: "nasdaq") && !e.allows(symbol: "msft", market: "nasdaq"))
        #expect(!e.allows(symbol: "AAPL", market: "krx"))
        #expect(e.refused(["AAPL", "GOOG", "MSFT", "NVDA"], market: { _ in "nasdaq" }) == ["GOOG", "NVDA"])
        let everything = Entitlements(symbols: try SymbolPatterns(["*"]))
        #expect(everything.allows(symbol: "ANY", market: "krx"))
        let nothing = Entitlements(markets: [], symbols: try SymbolPatterns([]))
        #expect(!nothing.allows(symbol: "AAPL", market: "nasdaq"))
    }

    @Test(arguments: ["", "A*B", "**", "A B", "é", String(repeating: "A", count: 33), "\u{1}"])
    func badPatternsAreRefused(pattern: String) {
        #expect(throws: SymbolPatternError(pattern: pattern)) { try SymbolPatterns(["AAPL", pattern]) }
    }

    @Test func depthIsCappedAndSaysSo() {
        let e = Entitlements(maxDepth: 5, maxSubscriptions: 3)
        #expect(e.cappedDepth(10) == (5, true))
        #expect(e.cappedDepth(5) == (5, false))
        #expect(e.cappedDepth(1) == (1, false))
        #expect(e.allowsSubscriptions(3) && !e.allowsSubscriptions(4))
    }
}

/// The per-user connection table behind `conn`: the oldest connection makes way for the newest.
@Suite struct UserSessionsTests {
    @Test func theOldestConnectionIsReplaced() {
        var sessions = UserSessions()
        #expect(sessions.open(subject: "alice", connection: 1, limit: 2) == [])
        #expect(sessions.open(subject: "alice", connection: 2, limit: 2) == [])
        #expect(sessions.open(subject: "bob", connection: 3, limit: 2) == [])
        #expect(sessions.open(subject: "alice", connection: 4, limit: 2) == [1])
        #expect(sessions.connections(of: "alice") == 2)
        // A newer token with a lower limit replaces more at once, oldest first.
        #expect(sessions.open(subject: "alice", connection: 5, limit: 1) == [2, 4])
        #expect(sessions.open(subject: "carol", connection: 6, limit: nil) == [])
        #expect(sessions.open(subject: "carol", connection: 7, limit: nil) == [])
        sessions.close(subject: "bob", connection: 3)
        sessions.close(subject: "alice", connection: 99)
        #expect(sessions.users == 2)
        let h = sessions.histogram(bounds: [1, 2, 5])
        #expect(h.buckets == [1, 2, 2] && h.count == 2 && h.sum == 3)
        sessions.close(subject: "alice", connection: 5)
        #expect(sessions.users == 1 && sessions.connections(of: "alice") == 0)
    }
}

/// Finding the token on an upgrade request: header, then subprotocol, then query.
@Suite struct PresentedTokenTests {
    @Test func headerThenSubprotocolThenQuery() {
        #expect(PresentedToken.find(authorization: "Bearer abc.def.ghi", query: "access_token=q", subprotocols: ["bearer.s"])
                == PresentedToken(token: "abc.def.ghi", placement: .authorizationHeader))
        #expect(PresentedToken.find(authorization: "bearer   abc ", query: "", subprotocols: [])?.token == "abc")
        #expect(PresentedToken.find(authorization: "Basic dXNlcjpwdw==", query: "", subprotocols: ["quotecast.v1", "bearer.s.t.u"])
                == PresentedToken(token: "s.t.u", placement: .subprotocol))
        #expect(PresentedToken.find(authorization: nil, query: "format=json&access_token=a%2Eb.c&x=1", subprotocols: ["quotecast.v1"])
                == PresentedToken(token: "a.b.c", placement: .queryParameter))
        #expect(PresentedToken.find(authorization: nil, query: "access_token=a%zz", subprotocols: [])?.token == "a%zz")
        #expect(PresentedToken.find(authorization: nil, query: "my_access_token=x", subprotocols: ["Bearer.x"]) == nil)
        #expect(PresentedToken.find(authorization: "Bearer", query: "", subprotocols: []) == nil)
        #expect(PresentedToken.find(authorization: "Bearer  \t", query: "", subprotocols: []) == nil)
        #expect(PresentedToken.find(authorization: "BearerX abc", query: "", subprotocols: []) == nil)
        #expect(PresentedToken.find(authorization: "BEARER\tabc.d", query: "", subprotocols: [])?.token == "abc.d")
        #expect(PresentedToken.find(authorization: "Bearer é", query: "", subprotocols: [])?.token == "é")
    }
}

/// Minted tokens: the header quotecast writes and the error for a key id the ring lacks.
@Suite struct TokenMinterTests {
    @Test func headerIsHS256WithTheKeyID() throws {
        let token = Fixture.mint(Fixture.claims())
        let header = String(token.split(separator: ".")[0])
        #expect(header == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjIwMjYtMDEifQ")  // {"alg":"HS256","typ":"JWT","kid":"2026-01"}
        #expect(throws: TokenMintError(keyID: "nope", known: ["2026-01"])) { try TokenMinter(keys: Fixture.ring(), keyID: "nope") }
    }
}

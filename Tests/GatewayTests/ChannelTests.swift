import Foundation
import Gateway
import Market
import Testing

/// Channels, `id` echoes and the unknown-symbol rules as a WebSocket client sees them (issue 19): a
/// real loopback server, the gateway reading ticks the test writes into its ring.
@Suite struct ChannelTests {
    func quote(_ h: GatewayHarness, _ s: String, _ locate: UInt16, bid: UInt32, changedLevel: Int = 0) -> UInt64 {
        h.write(.quote, s, locate: locate, bids: [(bid, 100)], asks: [(bid + 100, 200)], changedLevel: changedLevel)
    }

    /// Messages up to the answer to a ping sent now (everything queued before it), without the pong.
    func untilPong(_ c: TestClient, id: Int = 99) throws -> [[String: Any]] {
        try c.send(#"{"op":"ping","id":\#(id)}"#)
        let (found, before) = c.until { $0.type == "pong" && $0["id"] as? Int == id }
        try #require(found != nil)
        return before
    }

    /// Subscribes and reads `subscribed` and the snapshot.
    func subscribe(_ c: TestClient, _ request: String) throws {
        try c.send(request)
        #expect(try #require(c.next()).type == "subscribed")
        #expect(try #require(c.next()).type == "snapshot")
    }

    @Test func eachChannelCarriesOnlyItsMessages() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        _ = quote(h, "AAPL", 1, bid: 1_000_000)
        try h.waitForGateway()
        let requests: [(String, Set<String>)] = [
            (#"["quote"]"#, ["quote"]),
            (#"["trade"]"#, ["trade", "trade_break"]),
            (#"["status"]"#, ["status", "instrument"]),
            (#"["stats"]"#, []),
            (#"["candle:1m","candle:1h"]"#, []),
            (#"["trade","status"]"#, ["trade", "trade_break", "status", "instrument"]),
        ]
        var clients: [TestClient] = []
        for (channels, _) in requests {
            let c = try TestClient(h.address)
            try subscribe(c, #"{"op":"subscribe","symbols":["AAPL"],"channels":\#(channels)}"#)
            clients.append(c)
        }
        let standard = try TestClient(h.address)
        try subscribe(standard, #"{"op":"subscribe","symbols":["AAPL"]}"#)

        _ = quote(h, "AAPL", 1, bid: 1_000_100)
        h.write(.trade, "AAPL", locate: 1, price: 1_000_100, size: 10)
        h.write(.tradeBreak, "AAPL", locate: 1)
        h.write(.status, "AAPL", locate: 1, status: .halted)
        h.write(.instrument, "AAPL", locate: 1, instrument: InstrumentReference(market: .nasdaq, decimals: 4))
        _ = quote(h, "AAPL", 1, bid: 1_000_200)
        try h.waitForGateway()
        for (c, (channels, expected)) in zip(clients, requests) {
            let types = Set(try untilPong(c).compactMap(\.type))
            #expect(types == expected, "channels \(channels)")
        }
        let all = try untilPong(standard).compactMap(\.type)
        #expect(all == ["quote", "trade", "trade_break", "status", "instrument", "quote"])
    }

    @Test func subscribingAgainReplacesTheChannels() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        _ = quote(h, "AAPL", 1, bid: 1_000_000)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try subscribe(c, #"{"op":"subscribe","symbols":["AAPL"],"channels":["quote"]}"#)
        try subscribe(c, #"{"op":"subscribe","symbols":["AAPL"],"channels":["trade"]}"#)
        _ = quote(h, "AAPL", 1, bid: 1_000_100)
        h.write(.trade, "AAPL", locate: 1, price: 1_000_100, size: 10)
        try h.waitForGateway()
        #expect(try untilPong(c).compactMap(\.type) == ["trade"])
        #expect(h.gateway.statistics.subscriptions.load(ordering: .relaxed) == 1)
    }

    @Test func everyAnswerEchoesTheRequestsID() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        _ = quote(h, "AAPL", 1, bid: 1_000_000)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","id":17,"symbols":["AAPL","NOPE"],"channels":["stats","quote","candle:1m"]}"#)
        let subscribed = try #require(c.next())
        #expect(subscribed.type == "subscribed" && subscribed["id"] as? Int == 17)
        #expect(subscribed["channels"] as? [String] == ["quote", "stats", "candle:1m"])
        #expect(c.next()?.type == "snapshot")
        let unknown = try #require(c.next())
        #expect(unknown["code"] as? String == "unknown_symbol" && unknown["id"] as? Int == 17)
        // The raw bytes: `id` right after `type`, as documented.
        #expect(String(decoding: c.frames.first!.message, as: UTF8.self).hasPrefix(#"{"type":"subscribed","id":17,"symbols":["AAPL"]"#))

        try c.send(#"{"op":"subscribe","id":{"z":1,"a":[true]},"symbols":["AAPL"]}"#)
        let again = try #require(c.next())
        #expect(again["channels"] == nil)
        #expect((again["id"] as? [String: Any])?["z"] as? Int == 1)
        #expect(String(decoding: c.frames.last!.message, as: UTF8.self).contains(#""id":{"a":[true],"z":1}"#))
        _ = c.next()

        try c.send(#"{"op":"unsubscribe","id":"u1","symbols":["AAPL"]}"#)
        let u = try #require(c.next())
        #expect(u.type == "unsubscribed" && u["id"] as? String == "u1")
        try c.send(#"{"op":"ping","id":null}"#)
        let pong = try #require(c.next())
        #expect(pong.type == "pong" && pong["id"] is NSNull)
        for (request, code) in [(#"{"op":"subscribe","id":5,"symbols":["AAPL"],"channels":["nope"]}"#, "bad_channel"),
                                (#"{"op":"subscribe","id":5,"symbols":["AAPL"],"stats_interval_ms":10}"#, "bad_interval"),
                                (#"{"op":"subscribe","id":5,"symbols":["AAPL"],"since":{"AAPL":-3}}"#, "bad_since"),
                                (#"{"op":"subscribe","id":5,"symbols":["AAPL"],"depth":11}"#, "bad_depth"),
                                (#"{"op":"bogus","id":5}"#, "unknown_op")] {
            try c.send(request)
            let e = try #require(c.next())
            #expect(e.type == "error" && e["code"] as? String == code && e["id"] as? Int == 5, "\(request)")
        }
        // A refused subscribe subscribed nothing.
        _ = quote(h, "AAPL", 1, bid: 1_000_100)
        try h.waitForGateway()
        #expect(try untilPong(c).isEmpty)
        #expect(h.gateway.statistics.subscriptions.load(ordering: .relaxed) == 0)
    }

    @Test func unknownSymbolsGetTheirErrorAfterTheAnswer() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        _ = quote(h, "AAPL", 1, bid: 1_000_000)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","id":1,"symbols":["NOPE","ZZZZ"]}"#)
        let subscribed = try #require(c.next())
        #expect(subscribed.type == "subscribed" && subscribed["symbols"] as? [String] == [] && subscribed["id"] as? Int == 1)
        let e = try #require(c.next())
        #expect(e["code"] as? String == "unknown_symbol" && e["symbols"] as? [String] == ["NOPE", "ZZZZ"] && e["id"] as? Int == 1)

        // Unsubscribe: every existing symbol is listed (subscribed or not), unknown ones get the error after.
        try c.send(#"{"op":"unsubscribe","id":2,"symbols":["aapl","NOPE"]}"#)
        let u = try #require(c.next())
        #expect(u.type == "unsubscribed" && u["symbols"] as? [String] == ["AAPL"] && u["id"] as? Int == 2)
        let e2 = try #require(c.next())
        #expect(e2["code"] as? String == "unknown_symbol" && e2["symbols"] as? [String] == ["NOPE"] && e2["id"] as? Int == 2)
        try c.send(#"{"op":"unsubscribe","symbols":["NOPE"]}"#)
        let u2 = try #require(c.next())
        #expect(u2.type == "unsubscribed" && u2["symbols"] as? [String] == [])
        #expect(c.next()?["code"] as? String == "unknown_symbol")
    }
}

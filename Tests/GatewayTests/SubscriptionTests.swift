import Foundation
import Gateway
import Market
import Synchronization
import Testing

/// Subscriptions as a WebSocket client sees them (contract section 2): a real loopback server, the
/// gateway reading ticks the test writes into its ring.
@Suite struct SubscriptionTests {
    func quote(_ h: GatewayHarness, _ s: String, _ locate: UInt16, bid: UInt32, changedLevel: Int = 0, levels: Int = 10) -> UInt64 {
        let bids = (0..<levels).map { (bid - UInt32($0) * 100, UInt32(100 * ($0 + 1))) }
        let asks = (0..<levels).map { (bid + 100 + UInt32($0) * 100, UInt32(200 + $0)) }
        return h.write(.quote, s, locate: locate, bids: bids, asks: asks, changedLevel: changedLevel)
    }

    @Test func subscribeAnswersSubscribedThenASnapshotThenUpdates() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        h.write(.status, "AAPL", locate: 1, status: .trading)
        _ = quote(h, "AAPL", 1, bid: 1_892_500)
        h.write(.status, "MSFT", locate: 2, status: .halted)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAPL","msft","NOPE"],"depth":5}"#)
        let subscribed = try #require(c.next())
        #expect(subscribed.type == "subscribed")
        #expect(subscribed["symbols"] as? [String] == ["AAPL", "MSFT"])
        let snap = try #require(c.next())
        #expect(snap.type == "snapshot" && snap.symbol == "AAPL" && snap.seq == 2)
        #expect(snap["status"] as? String == "trading")
        #expect(snap.levels.bids.count == 5 && snap.levels.asks.count == 5)
        #expect(snap.levels.bids.first?.first as? String == "189.2500")
        #expect(snap["last"] is NSNull && (snap["volume"] as? Int) == 0)
        #expect(snap["ts"] != nil && snap["rt"] != nil)
        let snap2 = try #require(c.next())
        #expect(snap2.type == "snapshot" && snap2.symbol == "MSFT" && snap2["status"] as? String == "halted")
        let error = try #require(c.next())
        #expect(error.type == "error" && error["code"] as? String == "unknown_symbol" && error["symbols"] as? [String] == ["NOPE"])

        h.write(.trade, "AAPL", locate: 1, price: 1_892_600, size: 100, side: 0x42)
        let trade = try #require(c.next())
        #expect(trade.type == "trade" && trade.seq == 3 && trade["price"] as? String == "189.2600")
        #expect(trade["size"] as? Int == 100 && trade["side"] as? String == "B")
        _ = quote(h, "AAPL", 1, bid: 1_892_600)
        let q = try #require(c.next())
        #expect(q.type == "quote" && q.seq == 4 && q.levels.bids.count == 5 && q["conflated"] == nil)
        h.write(.status, "MSFT", locate: 2, status: .trading)
        let st = try #require(c.next())
        #expect(st.type == "status" && st.symbol == "MSFT" && st["status"] as? String == "trading")

        // A later subscriber's snapshot carries the last trade and volume.
        let c2 = try TestClient(h.address)
        try c2.send(#"{"op":"subscribe","symbols":["AAPL"]}"#)
        _ = c2.next()
        let s2 = try #require(c2.next())
        #expect(s2.seq == 4 && s2.levels.bids.count == 10)
        #expect((s2["last"] as? [String: Any])?["price"] as? String == "189.2600" && s2["volume"] as? Int == 100)
    }

    @Test func aSnapshotTakenMidStreamIsFollowedByEveryLaterSeqAndNoEarlierOne() throws {
        let h = try GatewayHarness(ringCapacity: 1 << 16)
        defer { h.stop() }
        _ = quote(h, "AAPL", 1, bid: 1_000_000)
        try h.waitForGateway()
        // The writer goes on until all 5 have subscribed and then 3 000 quotes more, so every client
        // has 2 000 updates after its snapshot however late it subscribed. Before that it pauses after
        // 15 000 ticks (for 60 s at most): fewer than the ring holds, so the gateway is never lapped.
        let allSubscribed = Flag()
        let writerDone = DispatchSemaphore(value: 0)
        let writer = Thread {
            var after = 0
            var ticks = 0
            var i = 0
            let deadline = Date().addingTimeInterval(60)
            while after < 3000 && Date() < deadline {
                if ticks >= 15_000 && !allSubscribed.value.load(ordering: .acquiring) {
                    usleep(1000)
                    continue
                }
                _ = self.quote(h, "AAPL", 1, bid: 1_000_000 + UInt32(i % 50) * 100, changedLevel: i % 10)
                ticks += 1
                if i % 7 == 0 { h.write(.trade, "AAPL", locate: 1, price: 1_000_000, size: 10); ticks += 1 }
                if i % 100 == 0 { usleep(1000) }
                if allSubscribed.value.load(ordering: .acquiring) { after += 1 }
                i += 1
            }
            writerDone.signal()
        }
        writer.start()
        defer { _ = writerDone.wait(timeout: .now() + 60) }
        defer { allSubscribed.value.store(true, ordering: .releasing) }  // (also on a throw: the writer ends)
        var clients: [TestClient] = []
        for _ in 0..<5 {
            usleep(30_000)
            let c = try TestClient(h.address)
            try c.send(#"{"op":"subscribe","symbols":["AAPL"],"depth":10}"#)
            clients.append(c)
        }
        try h.waitForSubscriptions(5)
        allSubscribed.value.store(true, ordering: .releasing)
        for c in clients {
            #expect(c.next()?.type == "subscribed")
            let snap = try #require(c.next())
            #expect(snap.type == "snapshot")
            var expected = try #require(snap.seq) + 1
            var count = 0
            // Depth 10 sees every quote and every trade: the seq line has no hole and no repeat.
            while count < 2000, let m = c.next() {
                #expect(m.seq == expected, "after \(count) updates")
                if m.seq != expected { break }
                expected += 1
                count += 1
            }
            #expect(count == 2000)
        }
    }

    @Test func aClientGetsAQuoteOnlyWhenItsTopDepthChanged() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        _ = quote(h, "AAPL", 1, bid: 1_000_000)
        try h.waitForGateway()
        let shallow = try TestClient(h.address)
        let deep = try TestClient(h.address)
        try shallow.send(#"{"op":"subscribe","symbols":["AAPL"],"depth":1}"#)
        try deep.send(#"{"op":"subscribe","symbols":["AAPL"],"depth":5}"#)
        for c in [shallow, deep] { _ = c.next(); _ = c.next() }
        let before = h.gateway.statistics.framesEncoded.load(ordering: .relaxed)
        let a = quote(h, "AAPL", 1, bid: 1_000_000, changedLevel: 3)   // level 3: depth 5 only
        let b = quote(h, "AAPL", 1, bid: 1_000_000, changedLevel: 7)   // level 7: nobody
        let c = quote(h, "AAPL", 1, bid: 1_000_100, changedLevel: 0)   // level 0: both
        let d = try #require(deep.next())
        #expect(d.seq == Int(a) && d.levels.bids.count == 5)
        #expect(deep.next()?.seq == Int(c))
        let s = try #require(shallow.next())
        #expect(s.seq == Int(c) && s.levels.bids.count == 1 && s.levels.asks.count == 1)
        #expect(b == a + 1)
        // Frames: one for quote a (depth 5), none for b, two for c (depths 1 and 5).
        #expect(h.gateway.statistics.framesEncoded.load(ordering: .relaxed) - before == 3)
    }

    @Test func oneFrameIsEncodedPerTickAndDepthWhateverTheSubscriberCount() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        _ = quote(h, "AAPL", 1, bid: 1_000_000)
        try h.waitForGateway()
        let clients = try (0..<20).map { _ in try TestClient(h.address) }
        for c in clients { try c.send(#"{"op":"subscribe","symbols":["AAPL"]}"#) }
        for c in clients { _ = c.next(); _ = c.next() }
        let before = h.gateway.statistics.framesEncoded.load(ordering: .relaxed)
        let seq = quote(h, "AAPL", 1, bid: 1_000_100)
        h.write(.trade, "AAPL", locate: 1, price: 1_000_100, size: 5)
        for c in clients {
            #expect(c.next()?.seq == Int(seq))
            #expect(c.next()?.type == "trade")
        }
        #expect(h.gateway.statistics.framesEncoded.load(ordering: .relaxed) - before == 2)
    }

    @Test func unsubscribeStopsUpdatesAndErrorsKeepTheConnectionOpen() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        _ = quote(h, "AAPL", 1, bid: 1_000_000)
        _ = quote(h, "MSFT", 2, bid: 2_000_000)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send("not json")
        #expect(c.next()?["code"] as? String == "bad_json")
        try c.send(#"{"op":"dance"}"#)
        #expect(c.next()?["code"] as? String == "unknown_op")
        try c.send(#"{"op":"subscribe","symbols":["AAPL"],"depth":11}"#)
        #expect(c.next()?["code"] as? String == "bad_depth")
        try c.send(#"{"op":"subscribe","symbols":["AAPL"],"depth":true}"#)
        #expect(c.next()?["code"] as? String == "bad_depth")
        try c.send(#"{"op":"subscribe","symbols":"AAPL"}"#)
        #expect(c.next()?["code"] as? String == "bad_request")
        try c.send(#"{"op":"ping","id":7}"#)
        let pong = try #require(c.next())
        #expect(pong.type == "pong" && pong["id"] as? Int == 7)
        try c.send(#"{"op":"subscribe","symbols":["AAPL","MSFT"]}"#)
        _ = c.next(); _ = c.next(); _ = c.next()
        try c.send(#"{"op":"unsubscribe","symbols":["AAPL"]}"#)
        let u = try #require(c.next())
        #expect(u.type == "unsubscribed" && u["symbols"] as? [String] == ["AAPL"])
        _ = quote(h, "AAPL", 1, bid: 1_000_100)
        let m = quote(h, "MSFT", 2, bid: 2_000_100)
        let next = try #require(c.next())
        #expect(next.symbol == "MSFT" && next.seq == Int(m))
        try c.sendBinary([1, 2, 3])
        #expect(c.waitForClose() == 1003)
    }

    @Test func limitsOnSubscriptionsAndClients() throws {
        var config = GatewayConfiguration()
        config.maxSubscriptions = 2
        config.maxClients = 2
        let h = try GatewayHarness(configuration: config)
        defer { h.stop() }
        for (i, s) in ["AAA", "BBB", "CCC"].enumerated() { _ = quote(h, s, UInt16(i + 1), bid: 1_000_000) }
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAA","BBB","CCC"]}"#)
        #expect(c.next()?["symbols"] as? [String] == ["AAA", "BBB"])
        _ = c.next(); _ = c.next()
        let e = try #require(c.next())
        #expect(e["code"] as? String == "too_many_subscriptions" && e["symbols"] as? [String] == ["CCC"])
        let c2 = try TestClient(h.address)
        #expect(throws: TestClient.HandshakeRefused.self) { try TestClient(h.address) }
        _ = c2
    }

    @Test func aLappedGatewayTellsClientsAGapAndResyncsWithAFreshSnapshot() throws {
        let h = try GatewayHarness(ringCapacity: 64)
        defer { h.stop() }
        _ = quote(h, "AAPL", 1, bid: 1_000_000)
        _ = quote(h, "MSFT", 2, bid: 2_000_000)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAPL","MSFT"]}"#)
        for _ in 0..<3 { _ = c.next() }
        // With the loop thread held, 201 ticks lap the 64-tick ring.
        let staller = try h.stallLoop()
        defer { staller.close() }
        let lostFrom = h.seq(of: 1) + 1
        for i in 0..<200 { _ = quote(h, "AAPL", 1, bid: 1_000_000 + UInt32(i) * 100) }
        h.write(.trade, "AAPL", locate: 1, price: 1_000_000, size: 1)
        h.endStall()
        try waitUntil("the gateway lapped") { h.gateway.statistics.laps.load(ordering: .relaxed) >= 1 }
        let last = quote(h, "AAPL", 1, bid: 1_500_000)
        let msft = quote(h, "MSFT", 2, bid: 2_000_100)
        // Everything up to MSFT's quote, the last tick written.
        let (msftQuote, before) = c.until { $0.symbol == "MSFT" && $0.seq == Int(msft) }
        var got = before + (msftQuote.map { [$0] } ?? [])
        if !got.contains(where: { $0.type == "gap" }) { print("lap test got:", got.map { "\($0.type ?? "?") \($0.symbol ?? "") \($0.seq ?? -1)" }, "laps", h.gateway.statistics.laps.load(ordering: .relaxed)) }
        let gap = try #require(got.first { $0.type == "gap" })
        #expect(gap.symbol == "AAPL" && gap["from"] as? Int == Int(lostFrom) && gap["to"] as? Int == Int(last))
        let gi = got.firstIndex { $0.type == "gap" }!
        let snap = got[gi + 1]
        #expect(snap.type == "snapshot" && snap.symbol == "AAPL" && snap.seq == Int(last))
        #expect(snap.levels.bids.first?.first as? String == "150.0000")
        #expect((snap["volume"] as? Int) == 1)
        // MSFT lost nothing: its next quote just follows.
        got.removeAll { $0.symbol != "MSFT" }
        #expect(got.map(\.seq) == [Int(msft)])
        #expect(h.gateway.statistics.laps.load(ordering: .relaxed) >= 1)
    }
}

/// A flag shared with a writer thread.
final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

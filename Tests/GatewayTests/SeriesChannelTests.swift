import Foundation
import Gateway
import Market
import Testing

/// The series channels as a WebSocket client sees them (issue 19): `trades` (the tape), `candles` and
/// `candle`, `stats` — a real loopback server, the gateway reading ticks the test writes into its ring.
@Suite struct SeriesChannelTests {
    /// Nanoseconds since midnight of h:m:s plus `ms` milliseconds.
    func at(_ h: UInt64, _ m: UInt64, _ s: UInt64, ms: UInt64 = 0) -> UInt64 {
        ((h * 60 + m) * 60 + s) * 1_000_000_000 + ms * 1_000_000
    }

    func quote(_ h: GatewayHarness, _ s: String, _ locate: UInt16, timestamp: UInt64? = nil) {
        h.write(.quote, s, locate: locate, bids: [(1_000_000, 100)], asks: [(1_000_100, 200)], timestamp: timestamp)
    }

    @Test func tradesBacklogIsTheLast50NewestLastThenLiveTrades() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        quote(h, "AAPL", 1)
        var tradeSeqs: [Int] = []
        for k in 0..<60 {
            tradeSeqs.append(Int(h.write(.trade, "AAPL", locate: 1, price: 1_000_000 + UInt32(k) * 100, size: UInt32(k + 1),
                                         side: k % 2 == 0 ? 0x42 : 0x53)))
        }
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAPL"],"channels":["trade"]}"#)
        #expect(try #require(c.next()).type == "subscribed")
        let snapshot = try #require(c.next())
        #expect(snapshot.type == "snapshot")
        let trades = try #require(c.next())
        #expect(trades.type == "trades")
        #expect(trades.seq == snapshot.seq)
        #expect(trades["prev"] == nil)
        let list = try #require(trades["trades"] as? [[String: Any]])
        #expect(list.count == 50)
        #expect(list.compactMap(\.seq) == Array(tradeSeqs.suffix(50)))
        let newest = try #require(list.last)
        #expect(newest["price"] as? String == "100.5900" && newest["size"] as? Int == 60 && newest["side"] as? String == "S")
        h.write(.trade, "AAPL", locate: 1, price: 1_010_000, size: 7)
        let live = try #require(c.next())
        #expect(live.type == "trade" && live["size"] as? Int == 7)
    }

    @Test func aSymbolThatNeverTradedHasAnEmptyTape() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        quote(h, "MSFT", 1)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["MSFT"],"channels":["trade"]}"#)
        _ = c.next()
        _ = c.next()
        let trades = try #require(c.next())
        #expect(trades.type == "trades" && (trades["trades"] as? [Any])?.count == 0)
    }

    @Test func candlesBacklogThenUpdatesThenCloseByTheFeedsClock() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        quote(h, "AAPL", 1, timestamp: at(9, 29, 59))
        quote(h, "MSFT", 2, timestamp: at(9, 29, 59))
        h.write(.trade, "AAPL", locate: 1, price: 1_000_000, size: 100, timestamp: at(9, 30, 0, ms: 100))
        h.write(.trade, "AAPL", locate: 1, price: 1_002_000, size: 50, timestamp: at(9, 30, 0, ms: 900))
        h.write(.trade, "AAPL", locate: 1, price: 999_000, size: 10, timestamp: at(9, 30, 1))
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAPL"],"channels":["candle:1m","candle:1s","candle:5m"]}"#)
        #expect(try #require(c.next()).type == "subscribed")
        let snapshot = try #require(c.next())
        #expect(snapshot.type == "snapshot")
        var backlog: [String: [[String: Any]]] = [:]
        for _ in 0..<3 {
            let m = try #require(c.next())
            #expect(m.type == "candles" && m.seq == snapshot.seq && m["prev"] == nil)
            backlog[try #require(m["interval"] as? String)] = m["candles"] as? [[String: Any]]
        }
        let minute = try #require(backlog["1m"])
        #expect(minute.count == 1)
        let bar = try #require(minute.first)
        #expect(bar["t"] as? Int == Int(at(9, 30, 0)))
        #expect(bar["o"] as? String == "100.0000" && bar["h"] as? String == "100.2000" && bar["l"] as? String == "99.9000"
                && bar["c"] as? String == "99.9000" && bar["v"] as? Int == 160 && bar["n"] as? Int == 3)
        #expect(try #require(backlog["1s"]).map { $0["t"] as? Int } == [Int(at(9, 30, 0)), Int(at(9, 30, 1))])
        #expect(try #require(backlog["5m"]).first?["t"] as? Int == Int(at(9, 30, 0)))

        // A trade later in the same minute: the open bars' latest states, each chained by prev.
        let tradeSeq = h.write(.trade, "AAPL", locate: 1, price: 1_005_000, size: 5, timestamp: at(9, 30, 30))
        try h.waitForGateway()
        let updates = try untilPong(c)
        let m1 = try #require(updates.first { $0["interval"] as? String == "1m" })
        #expect(m1.type == "candle" && m1["closed"] as? Bool == false && m1["h"] as? String == "100.5000"
                && m1["v"] as? Int == 165 && m1["n"] as? Int == 4 && m1.seq == Int(tradeSeq))
        #expect(updates.contains { $0["interval"] as? String == "1s" && $0["closed"] as? Bool == true && $0["t"] as? Int == Int(at(9, 30, 1)) },
                "the 1 s bar of 09:30:01 closes when its successor begins")

        // Another symbol's tick past 09:31: the feed's clock closes AAPL's minute bar, with its final state.
        quote(h, "MSFT", 2, timestamp: at(9, 31, 0, ms: 5))
        try h.waitForGateway()
        let closing = try untilPong(c)
        let closed = try #require(closing.first { $0["interval"] as? String == "1m" })
        #expect(closed.type == "candle" && closed["closed"] as? Bool == true && closed["t"] as? Int == Int(at(9, 30, 0))
                && closed["v"] as? Int == 165)
        #expect(!closing.contains { $0["interval"] as? String == "5m" }, "the 5 m bar runs to 09:35")
        for m in updates + closing { #expect(m["prev"] != nil, "candle updates carry prev") }
    }

    @Test func statsRightAwayThenOnlyWhenChangedAtTheInterval() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        h.write(.instrument, "AAPL", locate: 1,
                instrument: InstrumentReference(market: .nasdaq, decimals: 4, referencePrice: 1_875_000))
        quote(h, "AAPL", 1)
        h.write(.trade, "AAPL", locate: 1, price: 1_892_600, size: 100,
                statistics: DayStatistics(open: 1_880_000, high: 1_901_000, low: 1_879_000, reference: 1_875_000, tradeCount: 1, value: 189_260_000))
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAPL"],"channels":["stats"],"stats_interval_ms":250}"#)
        #expect(try #require(c.next()).type == "subscribed")
        let snapshot = try #require(c.next())
        let first = try #require(c.next())
        #expect(first.type == "stats" && first.seq == snapshot.seq && first["prev"] as? Int == snapshot.seq)
        #expect(first["last"] as? String == "189.2600" && first["reference"] as? String == "187.5000"
                && first["change"] as? String == "1.7600" && first["change_pct"] as? String == "0.94" && first["sign"] as? String == "up"
                && first["open"] as? String == "188.0000" && first["volume"] as? Int == 100 && first["trades"] as? Int == 1
                && first["status"] as? String == "trading")

        // Nothing changes (a quote is not a stats change): no stats for more than four intervals.
        quote(h, "AAPL", 1)
        let quiet = c.drain(1.2)
        #expect(!quiet.contains { $0.type == "stats" }, "stats only when something changed")

        // A trade: the next boundary sends it once.
        let s2 = h.write(.trade, "AAPL", locate: 1, price: 1_850_000, size: 10,
                         statistics: DayStatistics(open: 1_880_000, high: 1_901_000, low: 1_850_000, reference: 1_875_000, tradeCount: 2, value: 207_760_000))
        let (found, _) = c.until { $0.type == "stats" }
        let second = try #require(found)
        #expect(second.seq == Int(s2) && second["prev"] as? Int == first.seq)
        #expect(second["change"] as? String == "-2.5000" && second["sign"] as? String == "down" && second["low"] as? String == "185.0000"
                && second["volume"] as? Int == 110 && second["trades"] as? Int == 2)
    }

    @Test func statsNeverMoreOftenThanTheInterval() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        quote(h, "AAPL", 1)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        let subscribedAt = Date()
        try c.send(#"{"op":"subscribe","symbols":["AAPL"],"channels":["stats"],"stats_interval_ms":250}"#)
        // Trades keep coming (each changes the stats) while the client reads; bounded in count.
        var stats = 0
        var trades = 0
        while trades < 400 {
            h.write(.trade, "AAPL", locate: 1, price: 1_000_000 + UInt32(trades), size: 1)
            trades += 1
            usleep(2_000)
            while let m = c.next(timeout: 0.001) { if m.type == "stats" { stats += 1 } }
        }
        try h.waitForGateway()
        for m in try untilPong(c) where m.type == "stats" { stats += 1 }
        // Whatever the load: the server sent them between our subscribe and our last read, at most one
        // per 250 ms boundary plus the one right away.
        let span = Date().timeIntervalSince(subscribedAt)
        #expect(stats >= 2, "stats flowed")
        #expect(stats <= Int(span / 0.25) + 2, "\(stats) stats in \(span) s")
    }

    @Test func clientsOfOneIntervalShareTheBytes() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        quote(h, "AAPL", 1)
        try h.waitForGateway()
        var clients: [TestClient] = []
        for _ in 0..<3 {
            let c = try TestClient(h.address)
            try c.send(#"{"op":"subscribe","symbols":["AAPL"],"channels":["stats"]}"#)
            for _ in 0..<3 { _ = c.next() }  // subscribed, snapshot, stats
            clients.append(c)
        }
        let encodedBefore = h.gateway.statistics.framesEncoded.load(ordering: .relaxed)
        h.write(.trade, "AAPL", locate: 1, price: 1_000_100, size: 1)
        var texts: [[UInt8]] = []
        for c in clients {
            let (found, _) = c.until { $0.type == "stats" }
            try #require(found != nil)
            texts.append(try #require(c.frames.last).message)
        }
        #expect(Set(texts).count == 1)
        // One trade encoded for nobody (no trade channel) is not counted; one stats frame for three clients.
        let encoded = h.gateway.statistics.framesEncoded.load(ordering: .relaxed) - encodedBefore
        #expect(encoded <= 2, "\(encoded) frames encoded")
    }
}

extension SeriesChannelTests {
    /// Stats and candle messages join the quote/trade chain: a depth-1 client on every channel sees no
    /// `prev` break over a seeded mix of quotes (most hidden from depth 1), trades and status, with
    /// stats boundaries and bar closes falling in between.
    @Test func statsAndCandlesKeepThePrevChain() throws {
        let h = try GatewayHarness(ringCapacity: 1 << 14)
        defer { h.stop() }
        _ = quote10(h, bid: 1_000_000)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAPL"],"depth":1,"channels":["quote","trade","status","stats","candle:1s","candle:1m"],"stats_interval_ms":250}"#)
        var follower = ChainFollower()
        var types: [String: Int] = [:]
        var rng = SplitMix64(seed: 19)
        var clock = at(9, 30, 0)
        for _ in 0..<600 {
            clock += rng.next() % 400_000_000  // up to 0.4 s of exchange time a tick: bars open and close
            switch rng.next() % 10 {
            case 0..<6: _ = h.write(.quote, "AAPL", locate: 1, bids: [(1_000_000, 100), (999_900, 100)], asks: [(1_000_100, 100)],
                                     changedLevel: Int(rng.next() % 3), timestamp: clock)
            case 6..<9: h.write(.trade, "AAPL", locate: 1, price: 1_000_000 + UInt32(rng.next() % 500), size: 10, timestamp: clock)
            default: h.write(.status, "AAPL", locate: 1, status: .trading, timestamp: clock)
            }
            if rng.next() % 50 == 0 { usleep(20_000) }  // let a stats boundary pass now and then
            while let m = c.next(timeout: 0.001) { follower.observe(m); types[m.type ?? "", default: 0] += 1 }
        }
        try h.waitForGateway()
        for m in try untilPong(c) { follower.observe(m); types[m.type ?? "", default: 0] += 1 }
        #expect(follower.breaks.isEmpty, "\(follower.breaks.prefix(5))")
        #expect(types["stats", default: 0] >= 2 && types["candle", default: 0] >= 10, "\(types)")
        #expect(follower.linked > 100)
    }
}

import Foundation
import Gateway
import Market
import Testing

/// What a client following the documented chain rule sees (docs/websocket-api.md, "The chain"): it
/// holds the last `seq` per symbol; `snapshot`, `trades` and `candles` set it; every other message
/// with a `seq` must carry `prev` equal to it.
struct ChainFollower {
    var last: [String: Int] = [:]
    /// Messages whose `prev` was not the last seq held (or that had none), described.
    var breaks: [String] = []
    /// Updates checked.
    var linked = 0

    mutating func observe(_ m: [String: Any]) {
        guard let symbol = m.symbol, let seq = m.seq else { return }
        switch m.type {
        case "snapshot", "trades", "candles":
            last[symbol] = seq
        default:
            let prev = (m["prev"] as? NSNumber)?.intValue
            if prev == nil || prev != last[symbol] {
                breaks.append("\(m.type ?? "?") \(symbol) seq \(seq) prev \(prev.map(String.init) ?? "none") held \(last[symbol].map(String.init) ?? "none")")
            }
            linked += 1
            last[symbol] = seq
        }
    }

    mutating func observe(_ messages: [[String: Any]]) { for m in messages { observe(m) } }
}

/// `prev` on every update, as a WebSocket client sees it (issue 19): a real loopback server, the
/// gateway reading ticks the test writes into its ring.
@Suite struct ChainTests {
    func quote(_ h: GatewayHarness, _ locate: UInt16 = 1, bid: UInt32, changedLevel: Int = 0, symbol: String = "AAPL") -> UInt64 {
        let bids = (0..<10).map { (bid - UInt32($0) * 100, UInt32(100 + $0)) }
        let asks = (0..<10).map { (bid + 100 + UInt32($0) * 100, UInt32(200 + $0)) }
        return h.write(.quote, symbol, locate: locate, bids: bids, asks: asks, changedLevel: changedLevel)
    }

    /// Messages up to the answer to a ping sent now, without the pong.
    func untilPong(_ c: TestClient) throws -> [[String: Any]] {
        try c.send(#"{"op":"ping","id":"barrier"}"#)
        let (found, before) = c.until { $0.type == "pong" }
        try #require(found != nil)
        return before
    }

    @Test func everyUpdateCarriesThePrevOfTheLastMessageThisClientWasSent() throws {
        let h = try GatewayHarness(ringCapacity: 1 << 14)
        defer { h.stop() }
        _ = quote(h, bid: 1_000_000)
        _ = quote(h, 2, bid: 2_000_000, symbol: "MSFT")
        try h.waitForGateway()
        let requests = [
            #"{"op":"subscribe","symbols":["AAPL","MSFT"],"depth":1}"#,
            #"{"op":"subscribe","symbols":["AAPL","MSFT"],"depth":3,"channels":["quote","status"]}"#,
            #"{"op":"subscribe","symbols":["AAPL","MSFT"]}"#,
            #"{"op":"subscribe","symbols":["AAPL","MSFT"],"depth":2,"channels":["trade"]}"#,
        ]
        var clients: [(TestClient, ChainFollower)] = []
        for r in requests {
            let c = try TestClient(h.address)
            try c.send(r)
            var f = ChainFollower()
            #expect(c.next()?.type == "subscribed")
            for _ in 0..<2 { f.observe(try #require(c.next())) }
            clients.append((c, f))
        }
        // A seeded mix: quotes changing any level (most hidden from depth 1), trades, breaks, status
        // and reference data, on two symbols.
        var rng = SplitMix64(seed: 19)
        for _ in 0..<600 {
            let (locate, symbol) = rng.next() % 2 == 0 ? (UInt16(1), "AAPL") : (UInt16(2), "MSFT")
            switch rng.next() % 10 {
            case 0..<6: _ = quote(h, locate, bid: 1_000_000 + UInt32(rng.next() % 50) * 100, changedLevel: Int(rng.next() % 10), symbol: symbol)
            case 6, 7: h.write(.trade, symbol, locate: locate, price: 1_000_000, size: 10)
            case 8: h.write(.status, symbol, locate: locate, status: rng.next() % 2 == 0 ? .trading : .halted)
            default:
                if rng.next() % 2 == 0 {
                    h.write(.tradeBreak, symbol, locate: locate)
                } else {
                    h.write(.instrument, symbol, locate: locate, instrument: InstrumentReference(market: .nasdaq, decimals: 4))
                }
            }
        }
        try h.waitForGateway()
        for (i, (c, var f)) in clients.enumerated() {
            f.observe(try untilPong(c))
            #expect(f.breaks.isEmpty, "client \(i): \(f.breaks.prefix(5))")
            #expect(f.linked > 100, "client \(i) got \(f.linked) updates")
        }
        // On the wire, `prev` comes right after `seq`.
        let raw = String(decoding: clients[2].0.frames.last { $0.message.starts(with: Array(#"{"type":"quote""#.utf8)) }!.message, as: UTF8.self)
        #expect(raw.range(of: #","seq":\d+,"prev":\d+,"ts":"#, options: .regularExpression) != nil, "\(raw)")
    }

    @Test func framesAreSharedByEveryClientWithTheSamePrev() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        _ = quote(h, bid: 1_000_000)
        try h.waitForGateway()
        let quotesOnly = try (0..<10).map { _ in try TestClient(h.address) }
        let standard = try (0..<10).map { _ in try TestClient(h.address) }
        for c in quotesOnly { try c.send(#"{"op":"subscribe","symbols":["AAPL"],"depth":1,"channels":["quote"]}"#) }
        for c in standard { try c.send(#"{"op":"subscribe","symbols":["AAPL"],"depth":1}"#) }
        for c in quotesOnly + standard { _ = c.next(); _ = c.next() }
        let before = h.gateway.statistics.framesEncoded.load(ordering: .relaxed)
        let q1 = quote(h, bid: 1_000_100)
        let t = h.write(.trade, "AAPL", locate: 1, price: 1_000_100, size: 5)
        let q2 = quote(h, bid: 1_000_200)
        for c in quotesOnly {
            #expect(c.next()?.seq == Int(q1))
            let m = try #require(c.next())
            #expect(m.seq == Int(q2) && m["prev"] as? Int == Int(q1))
        }
        for c in standard {
            #expect(c.next()?.seq == Int(q1))
            #expect(c.next()?.seq == Int(t))
            let m = try #require(c.next())
            #expect(m.seq == Int(q2) && m["prev"] as? Int == Int(t))
        }
        // q1 once (every client's prev is the snapshot's), the trade once, q2 once per prev (2).
        #expect(h.gateway.statistics.framesEncoded.load(ordering: .relaxed) - before == 4)
        // Within a group the bytes are the same.
        for group in [quotesOnly, standard] {
            #expect(Set(group.map { $0.frames.last!.message }).count == 1)
        }
    }

    @Test func aGapRestartsTheChainAtItsSnapshot() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        _ = quote(h, bid: 1_000_000)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAPL"],"depth":1}"#)
        var f = ChainFollower()
        _ = c.next()
        f.observe(try #require(c.next()))
        h.write(.trade, "AAPL", locate: 1, price: 1_000_000, size: 1)
        h.skip(1, 5)  // five ticks lost on the way to the gateway
        let resync = quote(h, bid: 1_000_300, changedLevel: 4)
        let t = h.write(.trade, "AAPL", locate: 1, price: 1_000_000, size: 1)
        let messages = [try #require(c.next()), try #require(c.next()), try #require(c.next()), try #require(c.next())]
        #expect(messages.map(\.type) == ["trade", "gap", "snapshot", "trade"])
        #expect(messages[2].seq == Int(resync) && messages[3]["prev"] as? Int == Int(resync) && messages[3].seq == Int(t))
        f.observe(messages)
        #expect(f.breaks.isEmpty, "\(f.breaks)")
    }

    /// A client that stops reading is conflated; when it reads again its chain holds through the
    /// conflated quote, whose seq is the last quote its depth showed, and it then shares the frames
    /// of the clients that kept up.
    @Test func aConflatedClientsChainHoldsAndItRejoinsItsGroup() throws {
        var config = GatewayConfiguration()
        config.clientBuffer = 4096
        config.clientBufferMax = 1 << 20
        config.slowClientTimeout = 60
        let h = try GatewayHarness(configuration: config, ringCapacity: 1 << 16) { s in
            s.unsentLimitBytes = 1024
            s.closeTimeout = 1
        }
        defer { h.stop() }
        _ = quote(h, bid: 1_000_000)
        try h.waitForGateway()
        let fast = try TestClient(h.address)
        let slow = try TestClient(h.address, receiveBuffer: 1024)
        var fastChain = ChainFollower()
        var slowChain = ChainFollower()
        for (c, i) in [(fast, 0), (slow, 1)] {
            try c.send(#"{"op":"subscribe","symbols":["AAPL"],"depth":1}"#)
            _ = c.next()
            let snapshot = try #require(c.next())
            if i == 0 { fastChain.observe(snapshot) } else { slowChain.observe(snapshot) }
        }
        // The fast client reads as it goes: after every 5 ticks, up to the last one it is sent.
        var lastVisible: UInt64 = 0
        var lastSent: UInt64 = 0
        for i in 0..<400 {
            if i % 25 == 24 {
                lastSent = h.write(.trade, "AAPL", locate: 1, price: 1_000_000, size: 1)
            } else if i % 3 == 0 {
                _ = quote(h, bid: 1_000_000 + UInt32(i) * 100, changedLevel: 5)  // hidden at depth 1
            } else {
                lastVisible = quote(h, bid: 1_000_000 + UInt32(i) * 100, changedLevel: 0)
                lastSent = lastVisible
            }
            if i % 5 == 4 {
                while fastChain.last["AAPL"] != Int(lastSent), let m = fast.next() { fastChain.observe(m) }
            }
        }
        // The last quote its depth shows, then one it does not show: the conflated quote is the first.
        lastVisible = quote(h, bid: 2_900_000, changedLevel: 0)
        _ = quote(h, bid: 3_000_000, changedLevel: 7)
        try h.waitForGateway()
        fastChain.observe(try untilPong(fast))
        #expect(h.gateway.statistics.conflationEpisodes.load(ordering: .relaxed) >= 1)
        // It reads its backlog; once drained (the gateway looks each loop turn) it gets the latest quote.
        var got = try untilPong(slow)
        try waitUntil("the slow client drained") { h.gateway.statistics.clientsConflating.load(ordering: .relaxed) == 0 }
        got += try untilPong(slow)
        slowChain.observe(got)
        #expect(fastChain.breaks.isEmpty, "\(fastChain.breaks.prefix(5))")
        #expect(slowChain.breaks.isEmpty, "\(slowChain.breaks.prefix(5))")
        let conflated = got.filter { $0["conflated"] as? Bool == true }
        #expect(!conflated.isEmpty)
        #expect(got.last?.seq == Int(lastVisible) && got.last?["conflated"] as? Bool == true,
                "the last message: \(got.last ?? [:]), last visible \(lastVisible); \(got.suffix(4).map { "\($0.type ?? "") \($0.seq ?? 0)" })")
        // Drained: the next quote is the same bytes for both.
        let next = quote(h, bid: 4_000_000)
        #expect(fast.next()?.seq == Int(next))
        #expect(slow.next()?.seq == Int(next))
        #expect(fast.frames.last?.message == slow.frames.last?.message)
    }
}

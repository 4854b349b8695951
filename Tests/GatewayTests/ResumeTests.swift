import Foundation
import Gateway
import Market
import Synchronization
import Testing

/// `since` resumes as a WebSocket client sees them (issue 19): a real loopback server, the gateway
/// reading ticks the test writes into its ring.
@Suite struct ResumeTests {
    func config(history: Int) -> GatewayConfiguration {
        var c = GatewayConfiguration()
        c.resumeHistory = history
        return c
    }

    /// The documented cost per held update (docs/gateway.md, `--resume-history`).
    @Test func aHeldUpdateTakes240Bytes() {
        #expect(MemoryLayout<Tick>.stride == 240)
    }

    /// A client drops its connection, comes back 2 s later with `since`: it gets exactly the updates
    /// it missed, in order, byte for byte what a client that stayed connected got, then the live ones.
    @Test func aClientResumingAfterTwoSecondsGetsExactlyTheUpdatesItMissed() throws {
        let h = try GatewayHarness(configuration: config(history: 8192), ringCapacity: 1 << 16)
        defer { h.stop() }
        _ = quote10(h, 1, bid: 1_000_000)
        _ = quote10(h, 2, bid: 2_000_000, symbol: "MSFT")
        try h.waitForGateway()
        let request = #"{"op":"subscribe","symbols":["AAPL","MSFT"],"depth":1}"#
        let stayed = try TestClient(h.address)
        let leaving = try TestClient(h.address)
        for c in [stayed, leaving] {
            try c.send(request)
            for _ in 0..<3 { _ = c.next() }
        }
        // A steady seeded flow on both symbols (1 tick a millisecond, at most 60 s or 30 000 ticks).
        let stop = Atomic<Bool>(false)
        let writerDone = DispatchSemaphore(value: 0)
        let writer = Thread {
            var rng = SplitMix64(seed: 2)
            let deadline = Date().addingTimeInterval(60)
            var n = 0
            while !stop.load(ordering: .acquiring) && n < 30_000 && Date() < deadline {
                let (locate, symbol): (UInt16, String) = rng.next() % 2 == 0 ? (1, "AAPL") : (2, "MSFT")
                if rng.next() % 5 == 0 {
                    h.write(.trade, symbol, locate: locate, price: 1_000_000, size: 5)
                } else {
                    _ = quote10(h, locate, bid: 1_000_000 + UInt32(rng.next() % 40) * 100, changedLevel: Int(rng.next() % 4), symbol: symbol)
                }
                n += 1
                usleep(1000)
            }
            writerDone.signal()
        }
        writer.start()
        var held: [String: Int] = [:]
        var read = 0
        while read < 200, let m = leaving.next() {
            if let s = m.symbol, let seq = m.seq { held[s] = seq }
            read += 1
        }
        leaving.close()
        usleep(2_000_000)  // the subway tunnel
        let back = try TestClient(h.address)
        try back.send(#"{"op":"subscribe","symbols":["AAPL","MSFT"],"depth":1,"since":{"AAPL":\#(held["AAPL"] ?? 0),"MSFT":\#(held["MSFT"] ?? 0)}}"#)
        let subscribed = try #require(back.next())
        #expect(subscribed.type == "subscribed")
        let recovered = subscribed["recovered"] as? [String: Bool]
        #expect(recovered == ["AAPL": true, "MSFT": true], "\(subscribed)")
        _ = back.drain(0.2)  // some live ones after the replay, then the flow stops
        stop.store(true, ordering: .releasing)
        _ = writerDone.wait(timeout: .now() + 60)
        try h.waitForGateway()
        _ = try untilPong(stayed)
        _ = try untilPong(back)

        // Per symbol, what the client that stayed got after the held seq, and what the one that came back got.
        func bySymbol(_ c: TestClient) -> [String: [(Int, [UInt8])]] {
            var out: [String: [(Int, [UInt8])]] = [:]
            for f in c.frames {
                guard let m = try? JSONSerialization.jsonObject(with: Data(f.message)) as? [String: Any],
                      let s = m.symbol, let seq = m.seq, m.type != "snapshot" else { continue }
                out[s, default: []].append((seq, f.message))
            }
            return out
        }
        let reference = bySymbol(stayed)
        let resumed = bySymbol(back)
        for symbol in ["AAPL", "MSFT"] {
            let since = held[symbol] ?? 0
            let expected = (reference[symbol] ?? []).filter { $0.0 > since }
            let got = resumed[symbol] ?? []
            #expect(expected.count > 100, "\(symbol): only \(expected.count) updates after \(since)")
            #expect(got.map(\.0) == expected.map(\.0), "\(symbol) seqs")
            #expect(got.map(\.1) == expected.map(\.1), "\(symbol) bytes")
        }
        #expect(h.gateway.statistics.resumes.load(ordering: .relaxed) == 2)
        #expect(h.gateway.statistics.replayedUpdates.load(ordering: .relaxed) > 100)
    }

    @Test func aSinceTheHistoryNoLongerCoversGetsASnapshot() throws {
        let h = try GatewayHarness(configuration: config(history: 8))
        defer { h.stop() }
        _ = quote10(h, 1, bid: 1_000_000)
        _ = quote10(h, 2, bid: 2_000_000, symbol: "MSFT")
        try h.waitForGateway()
        let first = try TestClient(h.address)
        try first.send(#"{"op":"subscribe","symbols":["AAPL","MSFT"]}"#)  // the histories start here
        #expect(try untilPong(first).count == 3)
        for i in 0..<20 { _ = quote10(h, 1, bid: 1_000_000 + UInt32(i) * 100) }  // AAPL: 2...21, 8 held (14...21)
        let msft = quote10(h, 2, bid: 2_000_100, symbol: "MSFT")
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","id":3,"symbols":["AAPL","MSFT"],"since":{"AAPL":12,"MSFT":\#(msft)}}"#)
        let subscribed = try #require(c.next())
        #expect(subscribed["recovered"] as? [String: Bool] == ["AAPL": false, "MSFT": true])
        #expect(String(decoding: c.frames[0].message, as: UTF8.self)
                == #"{"type":"subscribed","id":3,"symbols":["AAPL","MSFT"],"recovered":{"AAPL":false,"MSFT":true}}"#)
        let snapshot = try #require(c.next())
        #expect(snapshot.type == "snapshot" && snapshot.symbol == "AAPL" && snapshot.seq == 21)
        // MSFT: nothing missed; the chain goes on from the seq it held.
        let t = h.write(.trade, "MSFT", locate: 2, price: 2_000_000, size: 1)
        let trade = try #require(c.next())
        #expect(trade.seq == Int(t) && trade["prev"] as? Int == Int(msft))

        // One past the history's start is still held; a seq the gateway never sent, or one with no
        // since at all, gets a snapshot.
        let d = try TestClient(h.address)
        try d.send(#"{"op":"subscribe","symbols":["AAPL","MSFT"],"since":{"AAPL":13,"MSFT":999}}"#)
        #expect(d.next()?["recovered"] as? [String: Bool] == ["AAPL": true, "MSFT": false])
        let replayed = try untilPong(d)
        #expect(replayed.map(\.type) == Array(repeating: "quote", count: 8) + ["snapshot"])
        #expect(replayed.first?["prev"] as? Int == 13 && replayed.first?.seq == 14)
        let e = try TestClient(h.address)
        try e.send(#"{"op":"subscribe","symbols":["AAPL","MSFT"],"since":{"AAPL":21}}"#)
        #expect(e.next()?["recovered"] as? [String: Bool] == ["AAPL": true, "MSFT": false])
        #expect(try untilPong(e).map(\.type) == ["snapshot"])
        #expect(h.gateway.statistics.resumeMisses.load(ordering: .relaxed) == 2)
    }

    @Test func lostTicksEndWhatTheHistoryHolds() throws {
        let h = try GatewayHarness(configuration: config(history: 64))
        defer { h.stop() }
        _ = quote10(h, 1, bid: 1_000_000)
        try h.waitForGateway()
        let first = try TestClient(h.address)
        try first.send(#"{"op":"subscribe","symbols":["AAPL"]}"#)
        #expect(try untilPong(first).count == 2)
        let before = quote10(h, 1, bid: 1_000_100)
        h.skip(1, 3)
        let resync = quote10(h, 1, bid: 1_000_200)
        let after = quote10(h, 1, bid: 1_000_300)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAPL"],"since":{"AAPL":\#(before)}}"#)
        #expect(c.next()?["recovered"] as? [String: Bool] == ["AAPL": false])
        #expect(c.next()?.seq == Int(after))
        let d = try TestClient(h.address)
        try d.send(#"{"op":"subscribe","symbols":["AAPL"],"since":{"AAPL":\#(resync)}}"#)
        #expect(d.next()?["recovered"] as? [String: Bool] == ["AAPL": true])
        let m = try #require(d.next())
        #expect(m.type == "quote" && m.seq == Int(after) && m["prev"] as? Int == Int(resync))
    }

    @Test func aReplayIsCutToTheClientsDepthAndChannels() throws {
        let h = try GatewayHarness(configuration: config(history: 64))
        defer { h.stop() }
        let start = quote10(h, 1, bid: 1_000_000)
        try h.waitForGateway()
        let first = try TestClient(h.address)
        try first.send(#"{"op":"subscribe","symbols":["AAPL"]}"#)
        #expect(try untilPong(first).count == 2)
        let deepOnly = quote10(h, 1, bid: 1_000_000, changedLevel: 4)
        let trade = h.write(.trade, "AAPL", locate: 1, price: 1_000_000, size: 3)
        let top = quote10(h, 1, bid: 1_000_100, changedLevel: 0)
        let status = h.write(.status, "AAPL", locate: 1, status: .halted)
        try h.waitForGateway()
        func replay(_ request: String) throws -> [[String: Any]] {
            let c = try TestClient(h.address)
            try c.send(request)
            #expect(c.next()?["recovered"] as? [String: Bool] == ["AAPL": true])
            return try untilPong(c)
        }
        let shallow = try replay(#"{"op":"subscribe","symbols":["AAPL"],"depth":1,"since":{"AAPL":\#(start)}}"#)
        #expect(shallow.map(\.seq) == [Int(trade), Int(top), Int(status)])
        #expect(shallow.map { $0["prev"] as? Int } == [Int(start), Int(trade), Int(top)])
        #expect(shallow[1].levels.bids.count == 1)
        let deep = try replay(#"{"op":"subscribe","symbols":["AAPL"],"depth":5,"channels":["quote"],"since":{"AAPL":\#(start)}}"#)
        #expect(deep.map(\.seq) == [Int(deepOnly), Int(top)])
        #expect(deep.map { $0["prev"] as? Int } == [Int(start), Int(deepOnly)])
        #expect(deep[0].levels.bids.count == 5)
    }

    @Test func withoutAHistoryEverySinceGetsASnapshot() throws {
        let h = try GatewayHarness(configuration: config(history: 0))
        defer { h.stop() }
        let seq = quote10(h, 1, bid: 1_000_000)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAPL"],"since":{"AAPL":\#(seq)}}"#)
        #expect(c.next()?["recovered"] as? [String: Bool] == ["AAPL": false])
        #expect(c.next()?.type == "snapshot")
    }
}

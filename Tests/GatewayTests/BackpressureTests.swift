import Foundation
import Gateway
import Glibc
import Market
import Testing

/// Per-client backpressure: a client that does not read never slows the others; past the soft limit
/// its quotes are conflated, past the hard limit (or the timeout) it is closed 1008.
@Suite struct BackpressureTests {
    func config(soft: Int = 4096, hard: Int = 32_768, timeout: Double = 30) -> GatewayConfiguration {
        var c = GatewayConfiguration()
        c.clientBuffer = soft
        c.clientBufferMax = hard
        c.slowClientTimeout = timeout
        return c
    }

    func quote(_ h: GatewayHarness, _ locate: UInt16, bid: UInt32, symbol: String = "AAPL") -> UInt64 {
        let bids = (0..<10).map { (bid - UInt32($0) * 100, UInt32(100 + $0)) }
        let asks = (0..<10).map { (bid + 100 + UInt32($0) * 100, UInt32(200 + $0)) }
        return h.write(.quote, symbol, locate: locate, bids: bids, asks: asks)
    }

    /// Sets up a gateway whose clients' kernel buffers are small (so backlog shows up quickly).
    func harness(_ c: GatewayConfiguration) throws -> GatewayHarness {
        try GatewayHarness(configuration: c, ringCapacity: 1 << 16) { s in
            s.unsentLimitBytes = 1024
            s.closeTimeout = 1
        }
    }

    @Test func aStalledClientGetsConflatedLatestQuotesWhenItReadsAgainWhileAFastOneGetsEverything() throws {
        let h = try harness(config())
        defer { h.stop() }
        _ = quote(h, 1, bid: 1_000_000)
        usleep(20_000)
        let fast = try TestClient(h.address)
        let slow = try TestClient(h.address, receiveBuffer: 1024)
        for c in [fast, slow] { try c.send(#"{"op":"subscribe","symbols":["AAPL"]}"#) }
        for c in [fast, slow] { _ = c.next(); _ = c.next() }
        // 300 quotes while `slow` reads nothing; `fast` reads them all as they come.
        var fastSeqs: [Int] = []
        var last: UInt64 = 0
        for i in 0..<300 {
            last = quote(h, 1, bid: 1_000_000 + UInt32(i) * 100)
            if i % 10 == 9 { while let m = fast.next(timeout: 0.2) { fastSeqs.append(m.seq ?? -1); if m.seq == Int(last) { break } } }
        }
        while fastSeqs.last != Int(last), let m = fast.next(timeout: 2) { fastSeqs.append(m.seq ?? -1) }
        #expect(fastSeqs == Array(2...Int(last)))
        #expect(h.gateway.statistics.clientsConflating.load(ordering: .relaxed) == 1)
        // Now `slow` reads: a backlog of early quotes, then the latest one marked conflated, in order.
        let got = slow.drain(2)
        let seqs = got.compactMap(\.seq)
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
        let final = try #require(got.last)
        #expect(final.seq == Int(last) && final["conflated"] as? Bool == true)
        #expect(final.levels.bids.first?.first as? String == "102.9900")
        #expect(got.count < 300, "the slow client got a backlog of \(got.count)")
        #expect(h.gateway.statistics.clientsConflating.load(ordering: .relaxed) == 0)
        #expect(h.gateway.statistics.conflatedQuotes.load(ordering: .relaxed) > 0)
        // Drained: it gets updates one by one again, unmarked.
        let next = quote(h, 1, bid: 2_000_000)
        let m = try #require(slow.next())
        #expect(m.seq == Int(next) && m["conflated"] == nil)
    }

    @Test func tradesReachAConflatingClientInOrderAfterTheConflatedQuote() throws {
        let h = try harness(config())
        defer { h.stop() }
        _ = quote(h, 1, bid: 1_000_000)
        usleep(20_000)
        let slow = try TestClient(h.address, receiveBuffer: 1024)
        try slow.send(#"{"op":"subscribe","symbols":["AAPL"]}"#)
        _ = slow.next(); _ = slow.next()
        var trades: [UInt64] = []
        for i in 0..<200 {
            _ = quote(h, 1, bid: 1_000_000 + UInt32(i) * 100)
            if i % 20 == 0 { trades.append(h.write(.trade, "AAPL", locate: 1, price: 1_000_000, size: 100)) }
        }
        usleep(100_000)
        let got = slow.drain(2)
        let seqs = got.compactMap(\.seq)
        #expect(seqs == seqs.sorted())
        let gotTrades = got.filter { $0.type == "trade" }.compactMap(\.seq).map(UInt64.init)
        #expect(gotTrades == trades, "every trade delivered; got \(got.map { "\($0.type ?? "?") \($0.seq ?? -1) \($0["conflated"] != nil)" }) hard \(h.gateway.statistics.slowHardLimit.load(ordering: .relaxed)) conflating \(h.gateway.statistics.clientsConflating.load(ordering: .relaxed)) closed \(slow.closeCode ?? 0)")
        #expect(got.contains { $0["conflated"] as? Bool == true })
    }

    @Test func aClientThatNeverReadsIsClosedAtTheHardLimitAndItsConnectionDropped() throws {
        let h = try harness(config(soft: 2048, hard: 16_384))
        defer { h.stop() }
        _ = quote(h, 1, bid: 1_000_000)
        usleep(20_000)
        let mute = try TestClient(h.address, receiveBuffer: 1024)
        let fast = try TestClient(h.address)
        for c in [mute, fast] { try c.send(#"{"op":"subscribe","symbols":["AAPL"]}"#) }
        usleep(100_000)
        // Trades are never conflated: they pile up for the non-reader until the hard limit.
        for _ in 0..<400 {
            h.write(.trade, "AAPL", locate: 1, price: 1_000_000, size: 1)
            usleep(500)
        }
        let deadline = Date().addingTimeInterval(5)
        while h.gateway.statistics.slowHardLimit.load(ordering: .relaxed) == 0, Date() < deadline { usleep(20_000) }
        #expect(h.gateway.statistics.slowHardLimit.load(ordering: .relaxed) == 1)
        #expect(fast.drain(0.5).filter { $0.type == "trade" }.count == 400)
        // It reads nothing, so the close frame cannot reach it: the TCP connection is dropped after
        // the close timeout (1 s here); then what it finally reads ends.
        usleep(1_500_000)
        var ended = false
        let end = Date().addingTimeInterval(5)
        while !ended, Date() < end { if mute.fill(timeout: 0.1) == false { ended = true } }
        #expect(ended)
        #expect(h.gateway.statistics.clients.load(ordering: .relaxed) == 1)
    }

    @Test func aClientOverTheSoftLimitForTooLongIsClosed() throws {
        let h = try harness(config(soft: 2048, hard: 1 << 20, timeout: 1))
        defer { h.stop() }
        _ = quote(h, 1, bid: 1_000_000)
        usleep(20_000)
        let mute = try TestClient(h.address, receiveBuffer: 1024)
        try mute.send(#"{"op":"subscribe","symbols":["AAPL"]}"#)
        usleep(50_000)
        for i in 0..<200 { _ = quote(h, 1, bid: 1_000_000 + UInt32(i) * 100) }
        let deadline = Date().addingTimeInterval(5)
        while h.gateway.statistics.slowTimeout.load(ordering: .relaxed) == 0, Date() < deadline {
            _ = quote(h, 1, bid: 1_000_000)
            usleep(50_000)
        }
        #expect(h.gateway.statistics.slowTimeout.load(ordering: .relaxed) == 1)
        #expect(h.gateway.statistics.slowHardLimit.load(ordering: .relaxed) == 0)
    }
}

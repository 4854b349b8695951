import Testing
@testable import Ticker

/// The state model: what the messages do to the rows and the header figures.
@Suite struct TickerStateTests {
    typealias F = TickerFixtures

    @Test func changeIsAgainstTheFirstPriceSeen() {
        let s = F.tableState()
        let aapl = s.row("AAPL")!
        #expect(aapl.reference == 1_892_600)
        #expect(aapl.last == 1_893_800)
        #expect(aapl.change == 1_200)
        #expect(abs(aapl.changePercent! - 0.0634) < 0.001)
        #expect(aapl.volume == 123_400 + 200)
        #expect(aapl.bids == [BookLevel(price: 1_893_700, size: 400)])  // the quote replaced the book
        #expect(s.row("QQQ")!.reference == nil && s.row("QQQ")!.change == nil)
    }

    @Test func firstTradeIsTheReferenceWhenTheSnapshotHasNoLast() {
        var s = TickerState(url: "u", symbols: ["QQQ"])
        s.apply(F.snapshot("QQQ", bid: 5_020_000, last: nil, volume: 0))
        s.apply(.trade(F.stamp("QQQ", 2), price: 5_020_100, size: 10, side: nil))
        s.apply(.trade(F.stamp("QQQ", 3), price: 5_019_900, size: 10, side: nil))
        #expect(s.row("QQQ")!.reference == 5_020_100)
        #expect(s.row("QQQ")!.change == -200)
        #expect(s.row("QQQ")!.volume == 20)
    }

    @Test func upticksAndDownticksFlashForAWhile() {
        var s = TickerState(url: "u", symbols: ["A"])
        s.advance(now: 10, wallNow: 10)
        s.apply(F.snapshot("A", bid: 10_000, last: 10_100, volume: 0))
        #expect(s.row("A")!.direction == .none && !s.isFlashing)
        s.apply(.trade(F.stamp("A", 2), price: 10_200, size: 1, side: "B"))
        #expect(s.row("A")!.direction == .up && s.isFlashing)
        s.apply(.trade(F.stamp("A", 3), price: 10_200, size: 1, side: "B"))
        #expect(s.row("A")!.direction == .up)  // an unchanged price keeps the last direction
        s.apply(.trade(F.stamp("A", 4), price: 10_000, size: 1, side: "S"))
        #expect(s.row("A")!.direction == .down)
        s.advance(now: 10 + TickerState.flashNanoseconds, wallNow: 10)
        #expect(!s.isFlashing)
        #expect(s.row("A")!.tape.map(\.price) == [10_000, 10_200, 10_200])
    }

    @Test func haltedAndStatusChanges() {
        var s = TickerState(url: "u", symbols: ["A"])
        s.apply(F.snapshot("A", bid: 10_000, last: nil, volume: 0))
        #expect(!s.row("A")!.isHalted)
        s.apply(.status(F.stamp("A", 2), status: "halted"))
        #expect(s.row("A")!.isHalted)
        s.apply(.status(F.stamp("A", 3), status: "trading"))
        #expect(!s.row("A")!.isHalted && s.row("A")!.seq == 3)
    }

    @Test func unknownSymbolsAndOtherErrors() {
        var s = TickerState(url: "u", symbols: ["A", "NOPE"])
        s.apply(.error(code: "unknown_symbol", message: "x", symbols: ["NOPE"]))
        #expect(s.row("NOPE")!.availability == .refused(code: "unknown_symbol"))
        #expect(s.row("A")!.availability == .pending && s.notice == nil)
        s.apply(.error(code: "too_many_subscriptions", message: "limit 100", symbols: []))
        #expect(s.notice == "gateway: too_many_subscriptions: limit 100")
        // Messages about symbols we never asked for are ignored.
        s.apply(F.snapshot("ZZZ", bid: 1, last: 1, volume: 1))
        #expect(s.rows.count == 2)
    }

    @Test func decimalsWidenOnlyForSubPennyPrices() {
        var s = TickerState(url: "u", symbols: ["A"])
        s.apply(F.snapshot("A", bid: 10_000, last: 10_100, volume: 0))
        #expect(s.row("A")!.decimals == 2)
        s.apply(.trade(F.stamp("A", 2), price: 10_150, size: 1, side: nil))
        #expect(s.row("A")!.decimals == 4)
    }

    @Test func tapeIsBounded() {
        var s = TickerState(url: "u", symbols: ["A"])
        for i in 0..<100 { s.apply(.trade(F.stamp("A", UInt64(i)), price: 10_000 + Int64(i), size: 1, side: nil)) }
        #expect(s.row("A")!.tape.count == SymbolRow.tapeLength)
        #expect(s.row("A")!.tape.first!.price == 10_099)
    }

    /// msgs/s and the median latency are figures of the last whole second.
    @Test func rateAndLatencyWindow() {
        var s = TickerState(url: "u", symbols: ["A"])
        let wall: UInt64 = 1_000_000_000_000
        s.advance(now: 1_000_000_000, wallNow: wall)
        for i in 0..<50 {
            // rt 1..50 ms before now: median 26 ms (index 25 of 50 sorted)
            s.apply(.quote(MarketStamp(symbol: "A", seq: UInt64(i), ts: 0, rt: wall - UInt64(i + 1) * 1_000_000),
                           bids: [], asks: [], conflated: false))
        }
        #expect(s.messagesPerSecond == 0 && s.latency == 1_000_000)  // the first sample, until a second has passed
        s.advance(now: 2_000_000_000, wallNow: wall + 1)
        #expect(s.messagesPerSecond == 50)
        #expect(s.latency == 26_000_000)
        s.advance(now: 3_000_000_000, wallNow: wall + 2)
        #expect(s.messagesPerSecond == 0)
    }

    @Test func depthSymbolStartsInTheLadder() {
        let s = TickerState(url: "u", symbols: ["B", "C"], depthSymbol: "A")
        #expect(s.view == .ladder("A"))
        #expect(s.rows.map(\.symbol) == ["B", "C", "A"])
        let t = TickerState(url: "u", symbols: ["B", "A"], depthSymbol: "A")
        #expect(t.rows.map(\.symbol).sorted() == ["A", "B"])
    }
}

@Suite struct TickerDayRangeTests {
    @Test func changeIsAgainstTheSnapshotsReferenceAndTheRangeWidensWithTrades() throws {
        var s = TickerState(url: "ws://t/v1/stream", symbols: ["AAPL"])
        let text = #"{"type":"snapshot","symbol":"AAPL","seq":5,"ts":1,"rt":2,"status":"trading","bids":[],"asks":[],"last":{"price":"189.2600","size":100},"volume":1000,"reference":"187.5000","change":"1.7600","change_pct":"0.94","sign":"up","open":"188.0000","high":"190.1000","low":"187.9000","value":"1.0000","trades":3,"instrument":null}"#
        let m = try #require(TickerMessage.parse(text))
        s.apply(m)
        let row = try #require(s.row("AAPL"))
        #expect(row.reference == 1_875_000 && row.referenceIsOfficial)
        #expect(row.change == 17_600)
        #expect(row.low == 1_879_000 && row.high == 1_901_000)
        s.apply(.trade(MarketStamp(symbol: "AAPL", seq: 6, ts: 2, rt: 3), price: 1_910_000, size: 1, side: "B"))
        #expect(s.row("AAPL")?.high == 1_910_000)
        #expect(s.row("AAPL")?.low == 1_879_000)
        let line = try #require(PlainFormatter.line(m, state: s))
        #expect(line.contains("change=+3.5000") && line.contains("range=187.9000-191.0000"))
    }
}

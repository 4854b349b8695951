import Testing
@testable import Ticker

/// `--plain` lines: one per update, no escape codes, `key=value` fields.
@Suite struct PlainFormatterTests {
    typealias F = TickerFixtures

    @Test func linesPerMessage() {
        var s = TickerState(url: "u", symbols: ["AAPL", "NOPE"])
        func line(_ m: TickerMessage) -> String? {
            s.apply(m)
            return PlainFormatter.line(m, state: s)
        }
        #expect(line(.subscribed(["AAPL"])) == nil)
        #expect(line(F.snapshot("AAPL", bid: 1_892_500, last: 1_892_600, volume: 123_400, depth: 2))
                == "09:30:00.000 AAPL snapshot seq=1 status=trading bid=300x189.2500 ask=189.2600x100 last=189.2600x100 volume=123400")
        #expect(line(.quote(F.stamp("AAPL", 2, ms: 5), bids: [BookLevel(price: 1_892_500, size: 400)], asks: [], conflated: true))
                == "09:30:00.005 AAPL quote seq=2 bid=400x189.2500 ask=- conflated=true")
        #expect(line(.trade(F.stamp("AAPL", 3, ms: 6), price: 1_893_800, size: 200, side: "B"))
                == "09:30:00.006 AAPL trade seq=3 price=189.3800 size=200 side=B volume=123600 change=+0.1200 change_pct=+0.06")
        #expect(line(.status(F.stamp("AAPL", 4, ms: 7), status: "halted")) == "09:30:00.007 AAPL status seq=4 status=halted")
        #expect(line(.error(code: "unknown_symbol", message: "unknown", symbols: ["NOPE"])) == "- NOPE unknown_symbol")
        #expect(line(.gap(symbol: "AAPL", from: 5, to: 9)) == "- AAPL gap from=5 to=9")
    }

    @Test func allLevelsForTheDepthSymbol() {
        let s = TickerState(url: "u", symbols: ["AAPL"])
        let m = F.snapshot("AAPL", bid: 1_892_500, last: nil, volume: 0, depth: 3)
        let text = PlainFormatter.line(m, state: s, allLevels: true)!
        #expect(text.contains("bid=300x189.2500,500x189.2400,200x189.2300 ask=189.2600x100,189.2700x400,189.2800x700"))
        #expect(!text.contains("\u{1B}"))
    }
}

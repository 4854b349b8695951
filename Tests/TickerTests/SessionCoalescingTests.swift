import Testing
@testable import Ticker

/// Hands a prepared link to the attempt's thread.
final class LinkBox: @unchecked Sendable {
    let link: FakeLink
    init(_ link: FakeLink) { self.link = link }
}

/// The screen skips quotes superseded within one batch; plain mode prints every update.
@Suite struct SessionCoalescingTests {
    static func quote(_ symbol: String, _ seq: Int, bid: String) -> LinkEvent {
        .text(#"{"type":"quote","symbol":"\#(symbol)","seq":\#(seq),"ts":1,"rt":1,"bids":[["\#(bid)",100]],"asks":[]}"#)
    }

    func session(_ link: FakeLink) -> TickerSession {
        var configuration = TickerConfiguration()
        configuration.symbols = ["A", "B"]
        let box = LinkBox(link)
        let s = TickerSession(configuration: configuration, connector: { _ in box.link })
        s.connectNow { _ in }
        return s
    }

    let batch: [LinkEvent] = [
        quote("A", 1, bid: "1.0000"),
        .text(#"{"type":"trade","symbol":"A","seq":2,"ts":1,"rt":1,"price":"1.0100","size":5,"side":"B"}"#),
        quote("A", 3, bid: "1.0200"),
        quote("B", 1, bid: "2.0000"),
        quote("A", 4, bid: "1.0300"),
    ]

    @Test func screenDecodesOnlyTheLastQuotePerSymbol() {
        let link = FakeLink()
        let s = session(link)
        link.queued = batch
        var decoded: [TickerMessage] = []
        s.drain(coalesce: true, { _ in }) { decoded.append($0) }
        #expect(decoded.count == 3)  // the trade, B's quote, A's last quote
        #expect(s.state.messages == 5)
        #expect(s.state.row("A")!.bids == [BookLevel(price: 10_300, size: 100)])
        #expect(s.state.row("A")!.last == 10_100 && s.state.row("A")!.seq == 4)
        #expect(s.state.row("B")!.bids == [BookLevel(price: 20_000, size: 100)])
    }

    @Test func plainDecodesEveryUpdate() {
        let link = FakeLink()
        let s = session(link)
        link.queued = batch
        var decoded: [TickerMessage] = []
        s.drain({ _ in }) { decoded.append($0) }
        #expect(decoded.count == 5)
    }

    @Test func prefixScan() {
        #expect(MessagePrefix.scan(#"{"type":"quote","symbol":"AAPL","seq":1}"#).map { "\($0.type) \($0.symbol)" } == "quote AAPL")
        #expect(MessagePrefix.scan(#"{"symbol":"AAPL","type":"quote"}"#) == nil)
        #expect(MessagePrefix.scan(#"{"type":"subscribed","symbols":[]}"#) == nil)
        #expect(MessagePrefix.scan(#"{"type":"quote","symbol":"A\"B"}"#) == nil)
        #expect(MessagePrefix.scan("") == nil)
    }
}

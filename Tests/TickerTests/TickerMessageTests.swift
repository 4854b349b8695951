import Testing
@testable import Ticker

/// Decoding the gateway's JSON (contract section 2) into messages.
@Suite struct TickerMessageTests {
    @Test func snapshotWithLastAndLevels() {
        let m = TickerMessage.parse(#"{"type":"snapshot","symbol":"AAPL","seq":41,"ts":34200000000000,"rt":1767364200000000000,"status":"trading","bids":[["189.2500",300],["189.2400",1]],"asks":[["189.2600",0]],"last":{"price":"189.2600","size":100},"volume":123400}"#)
        #expect(m == .snapshot(MarketStamp(symbol: "AAPL", seq: 41, ts: 34_200_000_000_000, rt: 1_767_364_200_000_000_000),
                               status: "trading",
                               bids: [BookLevel(price: 1_892_500, size: 300), BookLevel(price: 1_892_400, size: 1)],
                               asks: [BookLevel(price: 1_892_600, size: 0)],
                               last: BookLevel(price: 1_892_600, size: 100), volume: 123_400))
    }

    @Test func snapshotBeforeAnyTrade() {
        let m = TickerMessage.parse(#"{"type":"snapshot","symbol":"QQQ","seq":1,"ts":1,"rt":2,"status":"halted","bids":[],"asks":[],"last":null,"volume":0}"#)
        #expect(m == .snapshot(MarketStamp(symbol: "QQQ", seq: 1, ts: 1, rt: 2), status: "halted", bids: [], asks: [], last: nil, volume: 0))
    }

    @Test func quoteTradeStatusGapError() {
        #expect(TickerMessage.parse(#"{"type":"quote","symbol":"A","seq":2,"ts":3,"rt":4,"bids":[["1.0000",5]],"asks":[],"conflated":true}"#)
                == .quote(MarketStamp(symbol: "A", seq: 2, ts: 3, rt: 4), bids: [BookLevel(price: 10_000, size: 5)], asks: [], conflated: true))
        #expect(TickerMessage.parse(#"{"type":"trade","symbol":"A","seq":3,"ts":3,"rt":4,"price":"2.5000","size":7,"side":null}"#)
                == .trade(MarketStamp(symbol: "A", seq: 3, ts: 3, rt: 4), price: 25_000, size: 7, side: nil))
        #expect(TickerMessage.parse(#"{"type":"trade","symbol":"A","seq":3,"ts":3,"rt":4,"price":"2.5000","size":7,"side":"S"}"#)
                == .trade(MarketStamp(symbol: "A", seq: 3, ts: 3, rt: 4), price: 25_000, size: 7, side: "S"))
        #expect(TickerMessage.parse(#"{"type":"status","symbol":"A","seq":4,"ts":3,"rt":4,"status":"halted"}"#)
                == .status(MarketStamp(symbol: "A", seq: 4, ts: 3, rt: 4), status: "halted"))
        #expect(TickerMessage.parse(#"{"type":"gap","symbol":"A","from":5,"to":9}"#) == .gap(symbol: "A", from: 5, to: 9))
        #expect(TickerMessage.parse(#"{"type":"error","code":"unknown_symbol","message":"no such symbol","symbols":["NOPE"]}"#)
                == .error(code: "unknown_symbol", message: "no such symbol", symbols: ["NOPE"]))
        #expect(TickerMessage.parse(#"{"type":"subscribed","symbols":["A","B"]}"#) == .subscribed(["A", "B"]))
        #expect(TickerMessage.parse(#"{"type":"pong","id":7}"#) == .pong(id: 7))
        #expect(TickerMessage.parse(#"{"type":"trade_break","symbol":"A","seq":5,"ts":1,"rt":2,"match":9}"#) == .other(type: "trade_break"))
    }

    /// Sizes of 0 and 1 are numbers, not booleans; `true` is not a size.
    @Test func smallIntegersAreNotBooleans() {
        #expect(TickerMessage.parse(#"{"type":"trade","symbol":"A","seq":1,"ts":1,"rt":1,"price":"1.0000","size":1,"side":"B"}"#) != nil)
        #expect(TickerMessage.parse(#"{"type":"trade","symbol":"A","seq":1,"ts":1,"rt":1,"price":"1.0000","size":true,"side":"B"}"#) == nil)
    }

    /// Bad input is nil, never a trap: not JSON, not an object, no type, wrong field types, bad prices.
    @Test func badInput() {
        for text in ["", "nope", "[1,2]", "{}", #"{"type":5}"#,
                     #"{"type":"trade","symbol":"A","price":"1.00000","size":1}"#,
                     #"{"type":"trade","symbol":"A","price":"-1.0000","size":1}"#,
                     #"{"type":"trade","symbol":"A","price":1.5,"size":1}"#,
                     #"{"type":"trade","symbol":"A","price":"1.0000","size":1.5}"#,
                     #"{"type":"quote","symbol":"A","bids":[["1.0000"]],"asks":[]}"#,
                     #"{"type":"quote","symbol":"A","bids":"x","asks":[]}"#,
                     #"{"type":"snapshot","symbol":"A","bids":[],"asks":[],"last":5}"#,
                     #"{"type":"quote","bids":[],"asks":[]}"#] {
            #expect(TickerMessage.parse(text) == nil, "\(text)")
        }
    }
}

import Foundation
import Testing
@testable import Market

@Suite struct TickJSONTests {
    func sampleQuote() -> Tick {
        var t = Tick()
        t.symbol = Symbol("AAPL")!
        t.seq = 42
        t.timestamp = 34_200_000_000_123
        t.receiveTime = 1_764_000_000_000_000_000
        t.kind = .quote
        t.bidCount = 2
        t.askCount = 1
        t.bids[0] = PriceLevel(price: 1_892_500, size: 300)
        t.bids[1] = PriceLevel(price: 1_892_400, size: 200)
        t.asks[0] = PriceLevel(price: 1_892_600, size: 100)
        return t
    }

    @Test func quoteMatchesTheContractShape() throws {
        let text = TickJSON.string(sampleQuote())
        #expect(text == #"{"type":"quote","symbol":"AAPL","seq":42,"ts":34200000000123,"rt":1764000000000000000,"bids":[["189.2500",300],["189.2400",200]],"asks":[["189.2600",100]]}"#)
        _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
        #expect(TickJSON.string(sampleQuote(), depth: 1).contains(#""bids":[["189.2500",300]],"#))
    }

    @Test func tradeStatusBreakAndSnapshot() throws {
        var t = sampleQuote()
        t.kind = .trade
        t.tradePrice = 1_892_600
        t.tradeSize = 100
        t.side = UInt8(ascii: "B")
        #expect(TickJSON.string(t).hasSuffix(#""price":"189.2600","size":100,"side":"B"}"#))
        t.side = 0
        #expect(TickJSON.string(t).hasSuffix(#""side":null}"#))
        t.kind = .status
        t.status = .halted
        #expect(TickJSON.string(t).hasSuffix(#","status":"halted"}"#))
        t.kind = .tradeBreak
        t.matchNumber = 99
        #expect(TickJSON.string(t).hasPrefix(#"{"type":"trade_break","symbol":"AAPL","seq":42,"#))
        var snap = sampleQuote()
        snap.status = .trading
        snap.volume = 123_400
        snap.tradePrice = 1_892_600
        snap.tradeSize = 100
        let text = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TickJSON.maxLength) { buf in
            let n = TickJSON.encodeSnapshot(snap, hasTraded: true, into: buf.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
        #expect(text.hasSuffix(#""status":"trading","bids":[["189.2500",300],["189.2400",200]],"asks":[["189.2600",100]],"last":{"price":"189.2600","size":100},"volume":123400,"reference":null,"change":null,"change_pct":null,"open":null,"high":null,"low":null,"value":"0.0000","trades":0,"instrument":null}"#))
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(object?["type"] as? String == "snapshot")
    }

    @Test func widestMessageFitsTheBound() {
        var t = Tick()
        t.symbol = Symbol("ZZZZZZZZ")!
        t.seq = .max; t.timestamp = .max; t.receiveTime = .max; t.volume = .max
        t.tradePrice = .max; t.tradeSize = .max
        t.bidCount = 10; t.askCount = 10
        for i in 0..<10 {
            t.bids[i] = PriceLevel(price: .max, size: .max)
            t.asks[i] = PriceLevel(price: .max, size: .max)
        }
        let n = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TickJSON.maxLength) {
            TickJSON.encodeSnapshot(t, hasTraded: true, into: $0.baseAddress!)
        }
        #expect(n < TickJSON.maxLength)
    }
}

import Foundation
import Testing
@testable import Market

/// The `stats`, `candle`, `candles` and `trades` messages, byte for byte as docs/websocket-api.md shows them.
@Suite struct SeriesJSONTests {
    @Test func statsMatchesTheDocumentedShape() throws {
        let s = DayStatistics(open: 1_880_000, high: 1_901_000, low: 1_879_000, reference: 1_875_000, tradeCount: 1532, value: 233_217_845_000)
        let f = StatsJSON.Fields(symbol: Symbol("AAPL")!, seq: 1840, timestamp: 34_200_124_000_000, status: .trading,
                                 last: 1_892_600, volume: 123_400, statistics: s)
        let text = StatsJSON.string(f, prev: 1838)
        #expect(text == #"{"type":"stats","symbol":"AAPL","seq":1840,"prev":1838,"ts":34200124000000,"status":"trading","last":"189.2600","reference":"187.5000","change":"1.7600","change_pct":"0.94","sign":"up","open":"188.0000","high":"190.1000","low":"187.9000","volume":123400,"value":"23321784.5000","trades":1532}"#)
        _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test func statsBeforeAnyTradeHasNulls() {
        let f = StatsJSON.Fields(symbol: Symbol("005930")!, seq: 3, timestamp: 1, status: .auction, last: 0, volume: 0,
                                 statistics: DayStatistics(reference: 71_000), decimals: 0)
        #expect(StatsJSON.string(f, prev: nil) == #"{"type":"stats","symbol":"005930","seq":3,"ts":1,"status":"auction","last":null,"reference":"71000","change":null,"change_pct":null,"open":null,"high":null,"low":null,"volume":0,"value":"0","trades":0}"#)
    }

    @Test func candleAndCandles() throws {
        let bar = Candle(start: 34_260, open: 1_892_600, high: 1_892_600, low: 1_892_500, close: 1_892_500, volume: 300, count: 2)
        let text = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: CandleJSON.maxLength) { buf in
            let n = CandleJSON.encode(symbol: Symbol("AAPL")!, seq: 1840, prev: 1839, interval: .oneMinute, bar: bar,
                                      closed: false, decimals: 4, into: buf.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
        #expect(text == #"{"type":"candle","symbol":"AAPL","seq":1840,"prev":1839,"interval":"1m","t":34260000000000,"o":"189.2600","h":"189.2600","l":"189.2500","c":"189.2500","v":300,"n":2,"closed":false}"#)
        let all = CandleJSON.candles(symbol: Symbol("AAPL")!, seq: 1840, interval: .fifteenMinutes, bars: [bar, bar], decimals: 4)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(all)) as? [String: Any])
        #expect(object["interval"] as? String == "15m")
        #expect((object["candles"] as? [Any])?.count == 2)
        #expect(String(decoding: all, as: UTF8.self).hasPrefix(#"{"type":"candles","symbol":"AAPL","seq":1840,"interval":"15m","candles":[{"t":34260000000000,"o":"189.2600","#))
        #expect(CandleJSON.candles(symbol: Symbol("AAPL")!, seq: 1, interval: .oneSecond, bars: [], decimals: 4)
                == Array(#"{"type":"candles","symbol":"AAPL","seq":1,"interval":"1s","candles":[]}"#.utf8))
    }

    @Test func tradesNewestLast() throws {
        let trades = [TapeTrade(seq: 1790, timestamp: 34_200_100_000_000, price: 1_892_500, size: 100, side: 0x42),
                      TapeTrade(seq: 1795, timestamp: 34_200_200_000_000, price: 1_892_600, size: 5, side: 0)]
        let text = String(decoding: TradeTapeJSON.encode(symbol: Symbol("AAPL")!, seq: 1840, trades: trades, decimals: 4), as: UTF8.self)
        #expect(text == #"{"type":"trades","symbol":"AAPL","seq":1840,"trades":[{"seq":1790,"ts":34200100000000,"price":"189.2500","size":100,"side":"B"},{"seq":1795,"ts":34200200000000,"price":"189.2600","size":5,"side":null}]}"#)
        _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
    }
}

import Testing
@testable import Market

@Suite struct CandleSeriesTests {
    /// Nanoseconds of `second` since midnight plus `nanos`.
    func at(_ second: UInt64, _ nanos: UInt64 = 0) -> UInt64 { second * 1_000_000_000 + nanos }

    @Test func aCandleIs32Bytes() {
        #expect(MemoryLayout<Candle>.stride == 32)
    }

    @Test func barsAreBuiltByExchangeTimeWithOHLCVAndCount() {
        var s = CandleSeries()
        let nine30: UInt64 = 34_200
        s.record(price: 100, size: 10, timestamp: at(nine30, 5))
        s.record(price: 105, size: 20, timestamp: at(nine30, 900_000_000))
        s.record(price: 98, size: 5, timestamp: at(nine30 + 1, 1))
        s.record(price: 101, size: 1, timestamp: at(nine30 + 61))
        #expect(s.bars(.oneSecond) == [
            Candle(start: 34_200, open: 100, high: 105, low: 100, close: 105, volume: 30, count: 2),
            Candle(start: 34_201, open: 98, high: 98, low: 98, close: 98, volume: 5, count: 1),
            Candle(start: 34_261, open: 101, high: 101, low: 101, close: 101, volume: 1, count: 1),
        ])
        #expect(s.bars(.oneMinute) == [
            Candle(start: 34_200, open: 100, high: 105, low: 98, close: 98, volume: 35, count: 3),
            Candle(start: 34_260, open: 101, high: 101, low: 101, close: 101, volume: 1, count: 1),
        ])
        #expect(s.newestBar(.oneMinute) == s.bars(.oneMinute).last)
        #expect(s.bars(.oneMinute)[0].startNanoseconds == 34_200_000_000_000)
    }

    @Test func derivedIntervalsMergeTheMinutes() {
        var s = CandleSeries()
        // 09:30:00 .. 10:29: one trade a minute, price = minute index.
        for m in 0..<60 { s.record(price: UInt32(100 + m), size: 1, timestamp: at(34_200 + UInt64(m) * 60)) }
        let five = s.bars(.fiveMinutes)
        #expect(five.count == 12)
        #expect(five[0] == Candle(start: 34_200, open: 100, high: 104, low: 100, close: 104, volume: 5, count: 5))
        let quarter = s.bars(.fifteenMinutes)
        #expect(quarter.map(\.start) == [34_200, 35_100, 36_000, 36_900])
        let hours = s.bars(.oneHour)  // 09:00 bar holds 09:30–09:59, 10:00 bar 10:00–10:29
        #expect(hours.map(\.start) == [32_400, 36_000])
        #expect(hours[0].count == 30 && hours[1].count == 30)
        for interval in [CandleInterval.fiveMinutes, .fifteenMinutes, .oneHour] {
            #expect(s.newestBar(interval) == s.bars(interval).last, "\(interval.name)")
        }
    }

    @Test func oneSecondBarsKeepTheLastTenMinutesOnly() throws {
        var s = CandleSeries()
        for sec in 0..<2_000 { s.record(price: 100, size: 1, timestamp: at(36_000 + UInt64(sec))) }
        let bars = s.bars(.oneSecond)
        #expect(bars.count == 600)
        let first = try #require(bars.first)
        let last = try #require(bars.last)
        #expect(first.start == 37_400)
        #expect(last.start == 37_999)
        #expect(s.seconds.count <= CandleSeries.maxSecondBars)
        #expect(s.bars(.oneMinute).reduce(0) { $0 + $1.volume } == 2_000)
    }

    @Test func aLateTradeGoesToItsOwnPeriodSoOrderDoesNotMatter() {
        let trades: [(UInt32, UInt32, UInt64)] = [(100, 1, at(40_000)), (102, 2, at(40_070)), (99, 3, at(40_010)), (101, 4, at(40_001))]
        var inOrder = CandleSeries()
        for t in trades.sorted(by: { $0.2 < $1.2 }) { inOrder.record(price: t.0, size: t.1, timestamp: t.2) }
        var asCame = CandleSeries()
        for t in trades { asCame.record(price: t.0, size: t.1, timestamp: t.2) }
        for interval in CandleInterval.allCases where interval != .oneSecond {
            #expect(inOrder.bars(interval).map(\.volume) == asCame.bars(interval).map(\.volume))
        }
        #expect(asCame.bars(.oneSecond).map(\.start) == [40_000, 40_001, 40_010, 40_070])
    }

    @Test func intervalNamesRoundTrip() {
        for i in CandleInterval.allCases { #expect(CandleInterval(name: i.name) == i) }
        #expect(CandleInterval(name: "2m") == nil)
    }
}

extension CandleSeriesTests {
    @Test func aClosedBarIsFoundByItsStart() {
        var s = CandleSeries()
        s.record(price: 10, size: 1, timestamp: at(36_000))
        s.record(price: 12, size: 1, timestamp: at(36_030))
        s.record(price: 11, size: 1, timestamp: at(36_100))
        #expect(s.bar(.oneMinute, start: 36_000) == Candle(start: 36_000, open: 10, high: 12, low: 10, close: 12, volume: 2, count: 2))
        #expect(s.bar(.oneHour, start: 36_000)?.count == 3)
        #expect(s.bar(.oneSecond, start: 36_030)?.open == 12)
        #expect(s.bar(.oneSecond, start: 36_031) == nil)
    }
}

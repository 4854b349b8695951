import Foundation
import Testing
@testable import Market

/// The phase-2 data model (model.md): day statistics and reference data carried in ticks, prices
/// with the instrument's decimals.
@Suite struct MarketModelTests {
    /// The variant record: a trade's statistics sit in `asks`' storage, an instrument's reference data
    /// in `bids` + `asks`; both fit, and the tick stays within the ring slot.
    @Test func instrumentReferenceFitsTheLevelStorage() {
        #expect(MemoryLayout<InstrumentReference>.size == 156)
        #expect(MemoryLayout<InstrumentReference>.size <= 2 * MemoryLayout<InlineArray<10, PriceLevel>>.size)
        #expect(MemoryLayout<DayStatistics>.size <= MemoryLayout<InlineArray<10, PriceLevel>>.size)
        #expect(_isPOD(InstrumentReference.self) && _isPOD(DayStatistics.self))
    }

    @Test func aTradeKeepsItsStatisticsAndAQuoteNeverReadsThem() {
        var t = Tick()
        t.kind = .trade
        let s = DayStatistics(open: 100, high: 120, low: 90, reference: 95, tradeCount: 7, value: 1 << 40)
        t.statistics = s
        #expect(t.statistics == s)
        // The statistics overwrite only `asks`: a quote's bids are untouched.
        var q = Tick()
        q.kind = .quote
        q.bidCount = 1
        q.bids[0] = PriceLevel(price: 5, size: 6)
        q.statistics = s
        #expect(q.bids[0] == PriceLevel(price: 5, size: 6))
    }

    @Test func statisticsRecordOpenHighLowCountAndValue() {
        var s = DayStatistics(reference: 1000)
        s.record(price: 1010, size: 3)
        s.record(price: 990, size: 1)
        s.record(price: 1020, size: 2)
        #expect(s == DayStatistics(open: 1010, high: 1020, low: 990, reference: 1000, tradeCount: 3,
                                   value: 1010 * 3 + 990 + 1020 * 2))
    }

    @Test func referenceDataRoundTripsThroughATick() {
        let r = InstrumentReference(market: .krx, decimals: 0, referencePrice: 71_000, upperLimit: 92_300,
                                    lowerLimit: 49_700, isin: "KR7005930003", name: "삼성전자",
                                    englishName: "SamsungElec")
        var t = Tick()
        t.kind = .instrument
        t.instrument = r
        #expect(t.instrument == r)
        #expect(t.instrument.name == "삼성전자" && t.instrument.englishName == "SamsungElec")
        #expect(t.instrument.isin == "KR7005930003" && t.instrument.hasISIN)
        var other = t
        other.instrument = InstrumentReference(market: .krx, decimals: 0, referencePrice: 71_100)
        #expect(!t.hasSameContent(as: other))
    }

    @Test func namesAreCutAtACharacterBoundaryAndBadISINsDropped() {
        // 30 Hangul syllables of 3 bytes: 90 bytes, two more than the room.
        let long = String(repeating: "가", count: 30)
        let r = InstrumentReference(market: .krx, decimals: 0, isin: "SHORT", name: long,
                                    englishName: String(repeating: "E", count: 50))
        #expect(r.name == String(repeating: "가", count: 29))
        #expect(r.englishName.utf8.count == InstrumentReference.maxEnglishNameBytes)
        #expect(r.isin.isEmpty && !r.hasISIN)
        #expect(InstrumentReference(market: .nasdaq, decimals: 12).decimals == 8)
    }

    @Test func pricesAreWrittenWithTheInstrumentsDecimals() {
        #expect(Price.text(1_892_500) == "189.2500")
        #expect(Price.text(71_000, decimals: 0) == "71000")
        #expect(Price.text(5, decimals: 2) == "0.05")
        #expect(Price.text(0, decimals: 0) == "0")
        #expect(Price.text(123_456_789, decimals: 8) == "1.23456789")
        #expect(Price.text(UInt64.max, decimals: 8) == "184467440737.09551615")
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Price.maxTextLength) { buf in
            let n = Price.write(signed: -150, decimals: 2, into: buf.baseAddress!)
            #expect(String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self) == "-1.50")
        }
        #expect(Price.parse("71000", decimals: 0) == 71_000)
        #expect(Price.parse("71000.5", decimals: 0) == nil)
        #expect(Price.parse("1.5", decimals: 2) == 150)
        #expect(Price.parse("18446744073709551615", decimals: 0) == UInt64.max)
        #expect(Price.parse("18446744073709551616", decimals: 0) == nil)
    }

    @Test func anInstrumentMessageCarriesTheReferenceData() throws {
        var t = Tick()
        t.kind = .instrument
        t.symbol = Symbol("005930")!
        t.seq = 1
        t.instrument = InstrumentReference(market: .krx, decimals: 0, referencePrice: 71_000, upperLimit: 92_300,
                                           lowerLimit: 49_700, isin: "KR7005930003", name: "삼성\"전자",
                                           englishName: "SamsungElec")
        let text = TickJSON.string(t)
        #expect(text.hasSuffix(#""market":"krx","decimals":0,"reference":"71000","upper_limit":"92300","lower_limit":"49700","isin":"KR7005930003","name":"삼성\"전자","english_name":"SamsungElec"}"#))
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(object?["type"] as? String == "instrument" && object?["name"] as? String == "삼성\"전자")
        t.instrument = InstrumentReference(market: .nasdaq, decimals: 4)
        #expect(TickJSON.string(t).hasSuffix(#""market":"nasdaq","decimals":4,"reference":null,"upper_limit":null,"lower_limit":null,"isin":null,"name":"","english_name":""}"#))
    }

    /// The snapshot's day fields: change and change % against the reference, with the decimals of
    /// the instrument (whole won here).
    @Test func aSnapshotCarriesTheDaysStatistics() throws {
        var t = Tick()
        t.kind = .quote
        t.symbol = Symbol("005930")!
        t.seq = 9
        t.status = .volatilityInterruption
        t.flags = Tick.Flags.viDynamic
        t.tradePrice = 69_500
        t.tradeSize = 10
        t.volume = 30
        t.indicativePrice = 69_400
        t.indicativeVolume = 1200
        let s = DayStatistics(open: 70_000, high: 71_500, low: 69_500, reference: 71_000, tradeCount: 3,
                              value: 2_100_000)
        let r = InstrumentReference(market: .krx, decimals: 0, referencePrice: 71_000)
        let text = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TickJSON.maxLength) { buf in
            let n = TickJSON.encodeSnapshot(t, hasTraded: true, statistics: s, instrument: r, into: buf.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
        #expect(text.contains(#""status":"vi","vi":"dynamic","bids":[],"asks":[],"indicative":{"price":"69400","volume":1200},"last":{"price":"69500","size":10},"volume":30,"reference":"71000","change":"-1500","change_pct":"-2.11","sign":"down","open":"70000","high":"71500","low":"69500","value":"2100000","trades":3,"instrument":{"market":"krx""#))
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
    }

    /// The widest instrument message (names of escaped bytes at their limits) fits the bound.
    @Test func widestInstrumentMessageFitsTheBound() {
        var t = Tick()
        t.kind = .instrument
        t.symbol = Symbol("ZZZZZZZZ")!
        t.seq = .max; t.timestamp = .max; t.receiveTime = .max
        t.instrument = InstrumentReference(market: .krx, decimals: 8, referencePrice: .max, upperLimit: .max,
                                           lowerLimit: .max, isin: "KR7005930003",
                                           name: String(repeating: "\u{01}", count: 88),
                                           englishName: String(repeating: "\u{01}", count: 40))
        #expect(TickJSON.string(t).utf8.count <= TickJSON.maxLength)
    }
}

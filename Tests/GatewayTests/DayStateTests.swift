import Foundation
import Market
import Testing
@testable import Gateway

/// The gateway's cache keeps each symbol's reference data and day statistics: a snapshot carries
/// them (prices with the instrument's decimals), instrument ticks reach subscribers.
@Suite struct DayStateTests {
    @Test func aSnapshotCarriesReferenceDataAndTheDaysStatistics() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        let reference = InstrumentReference(market: .krx, decimals: 0, referencePrice: 71_000, upperLimit: 92_300,
                                            lowerLimit: 49_700, isin: "KR7005930003", name: "삼성전자")
        h.write(.instrument, "005930", locate: 1, instrument: reference)
        h.write(.quote, "005930", locate: 1, bids: [(70_900, 10)], asks: [(71_000, 5)])
        h.write(.trade, "005930", locate: 1, price: 72_000, size: 3,
                statistics: DayStatistics(open: 70_500, high: 72_000, low: 70_400, reference: 71_000, tradeCount: 4,
                                          value: 283_700))
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["005930"]}"#)
        #expect(c.next()?.type == "subscribed")
        let snap = try #require(c.next())
        #expect(snap.type == "snapshot" && snap.seq == 3)
        #expect(snap.levels.bids.first?.first as? String == "70900")
        #expect((snap["last"] as? [String: Any])?["price"] as? String == "72000")
        #expect(snap["reference"] as? String == "71000" && snap["change"] as? String == "1000")
        #expect(snap["change_pct"] as? String == "1.41")
        #expect(snap["open"] as? String == "70500" && snap["high"] as? String == "72000" && snap["low"] as? String == "70400")
        #expect(snap["value"] as? String == "283700" && snap["trades"] as? Int == 4 && snap["volume"] as? Int == 3)
        let instrument = try #require(snap["instrument"] as? [String: Any])
        #expect(instrument["market"] as? String == "krx" && instrument["decimals"] as? Int == 0)
        #expect(instrument["name"] as? String == "삼성전자" && instrument["isin"] as? String == "KR7005930003")
        #expect(instrument["upper_limit"] as? String == "92300")

        // A change of reference data reaches the subscriber as an `instrument` update with its seq.
        var changed = reference
        changed.referencePrice = 71_500
        h.write(.instrument, "005930", locate: 1, instrument: changed)
        let update = try #require(c.next())
        #expect(update.type == "instrument" && update.seq == 4 && update["reference"] as? String == "71500")
    }

    /// Nasdaq output is unchanged by the decimals: 4 until an instrument tick says otherwise.
    @Test func pricesKeepFourDecimalsWithoutAnInstrumentTick() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        h.write(.trade, "AAPL", locate: 1, price: 1_892_600, size: 100)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAPL"]}"#)
        #expect(c.next()?.type == "subscribed")
        let snap = try #require(c.next())
        #expect((snap["last"] as? [String: Any])?["price"] as? String == "189.2600")
        #expect(snap["reference"] is NSNull && snap["change"] is NSNull && snap["instrument"] is NSNull)
    }
}

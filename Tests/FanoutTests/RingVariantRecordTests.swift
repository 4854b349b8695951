import Fanout
import Market
import Testing

extension RingSuite {
    /// The ring copies a tick's bytes, so the variant record's payloads (a trade's day statistics, an
    /// instrument's reference data) arrive as written, and a quote after them has only its levels.
    @Suite struct RingVariantRecordTests {
        @Test func statisticsAndReferenceDataSurviveTheRing() throws {
            let ring = try BroadcastRing(RingConfiguration(capacity: 64, readers: [.gating], spinIterations: 10))
            var writer = ring.makeWriter()
            var reader = ring.makeReader(0)
            var trade = Tick()
            trade.kind = .trade
            trade.seq = 1
            let statistics = DayStatistics(open: 1, high: 2, low: 3, reference: 4, tradeCount: 5, value: .max)
            trade.statistics = statistics
            var instrument = Tick()
            instrument.kind = .instrument
            instrument.seq = 2
            let reference = InstrumentReference(market: .krx, decimals: 0, referencePrice: 71_000, isin: "KR7005930003",
                                                name: "삼성전자", englishName: "SamsungElec")
            instrument.instrument = reference
            var quote = Tick()
            quote.kind = .quote
            quote.seq = 3
            quote.askCount = 1
            quote.asks[0] = PriceLevel(price: 9, size: 10)
            quote.indicativePrice = 11
            quote.indicativeVolume = 12
            for t in [trade, instrument, quote] {
                let written = writer.write(t)
                #expect(written)
            }
            writer.flush()
            var got = Tick()
            var polled = reader.poll(into: &got)
            #expect(polled == .tick)
            #expect(got.kind == .trade && got.statistics == statistics)
            polled = reader.poll(into: &got)
            #expect(polled == .tick)
            #expect(got.kind == .instrument && got.instrument == reference)
            polled = reader.poll(into: &got)
            #expect(polled == .tick)
            #expect(got.kind == .quote && got.askCount == 1 && got.asks[0] == PriceLevel(price: 9, size: 10))
            #expect(got.indicativePrice == 11 && got.indicativeVolume == 12 && got.hasSameContent(as: quote))
        }
    }
}

import Testing
@testable import Market

@Suite struct StatsIntervalTests {
    @Test func rangeIs250To60000() {
        #expect(StatsInterval(milliseconds: 249) == nil)
        #expect(StatsInterval(milliseconds: 60_001) == nil)
        #expect(StatsInterval(milliseconds: 250)?.milliseconds == 250)
        #expect(StatsInterval.standard.milliseconds == 1_000)
    }

    @Test func boundariesAreMultiplesOfTheIntervalOnTheServerClock() {
        let i = StatsInterval(milliseconds: 250)!
        #expect(i.boundary(after: 0) == 250_000_000)
        #expect(i.boundary(after: 249_999_999) == 250_000_000)
        #expect(i.boundary(after: 250_000_000) == 500_000_000)
        // Two clients with the same interval are due at the same instant whenever they subscribed.
        #expect(StatsInterval.standard.boundary(after: 1_700_000_000_123_000_000)
                == StatsInterval.standard.boundary(after: 1_700_000_000_999_000_000))
    }
}

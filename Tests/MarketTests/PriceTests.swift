import Testing
@testable import Market

@Suite struct PriceTests {
    @Test func formatsFourDecimals() {
        #expect(Price.text(1_892_500) == "189.2500")
        #expect(Price.text(0) == "0.0000")
        #expect(Price.text(1) == "0.0001")
        #expect(Price.text(2_000_000_000) == "200000.0000")
        #expect(Price.text(UInt64.max) == "1844674407370955.1615")
    }

    @Test func parsesDecimals() {
        #expect(Price.parse("189.25") == 1_892_500)
        #expect(Price.parse("7") == 70_000)
        #expect(Price.parse("1.00001") == nil)
        #expect(Price.parse("x") == nil)
        #expect(Price.parse(".5") == nil)
    }

    @Test func symbolsRoundTripAndPad() {
        let s = Symbol("aapl")!
        #expect(s.description == "AAPL")
        #expect(s.length == 4)
        #expect(Symbol("TOOLONGXX") == nil)
        #expect(Symbol("") == nil)
        #expect(Symbol("A B") == nil)
        #expect(Symbol("AAPL")! < Symbol("MSFT")!)
        #expect(Symbol("AB")! < Symbol("ABC")!)
    }

    @Test func tickIsCompactAndTrivial() {
        // model.md: 236 bytes, within the ring slot's 248 bytes of tick.
        #expect(MemoryLayout<Tick>.size == 236)
        #expect(MemoryLayout<Tick>.size <= 248)
        // The ring copies ticks in 4-byte words; quotes copy the levels as aligned 16-byte blocks.
        #expect(MemoryLayout<Tick>.size % 4 == 0)
        #expect(MemoryLayout<Tick>.offset(of: \Tick.bids) == 0)
        #expect(MemoryLayout<Tick>.offset(of: \Tick.asks) == 80)
        #expect(_isPOD(Tick.self))
    }
}

import Testing
@testable import Market

@Suite struct TradeTapeTests {
    func trade(_ seq: UInt64) -> TapeTrade { TapeTrade(seq: seq, timestamp: seq * 10, price: UInt32(seq), size: 1, side: 0x42) }

    @Test func holdsTheLast50NewestLast() {
        var tape = TradeTape()
        #expect(tape.trades.isEmpty)
        for s in 1...7 { tape.append(trade(UInt64(s))) }
        #expect(tape.trades.map(\.seq) == Array(1...7))
        for s in 8...173 { tape.append(trade(UInt64(s))) }
        #expect(tape.count == 50)
        #expect(tape.trades.map(\.seq) == Array(124...173))
        #expect(tape.storage.capacity < 2 * TradeTape.capacity)
    }
}

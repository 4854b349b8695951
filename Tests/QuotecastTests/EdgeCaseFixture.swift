import ITCH
import Market

/// The hand-made edge cases of `Fixtures/edge-cases.itch`, written with the project's own encoders:
/// replace chains, partial executions down to zero, deletes and executions of unknown orders, a
/// locked then crossed book, a halt and resume, a non-printable execution, a cross, a broken trade,
/// and a truncated final message. (An unknown message type or a frame whose length disagrees with
/// its type is garbage in a day-file, which ends the walk: `InputRefusalTests` covers those.)
/// `FixtureTests` checks the committed file still equals what this builds (drift) and that `book`
/// over it still prints the golden outputs.
enum EdgeCaseFixture {
    static func build() -> [UInt8] {
        var file: [UInt8] = []
        var clock: UInt64 = 34_200_000_000_000
        func frame(_ length: Int, _ encode: (UnsafeMutableRawPointer) -> Int) {
            var bytes = [UInt8](repeating: 0, count: length)
            let n = bytes.withUnsafeMutableBytes { encode($0.baseAddress!) }
            precondition(n == length)
            file += [UInt8(length >> 8), UInt8(length & 0xFF)] + bytes
        }
        func h(_ locate: UInt16) -> ITCHHeader {
            clock += 1_000_000
            return ITCHHeader(stockLocate: locate, trackingNumber: 0, timestamp: clock)
        }
        let alfa = Symbol("ALFA")!
        let bravo = Symbol("BRAVO")!
        frame(SystemEvent.Layout.length) { SystemEvent.encode(h(0), eventCode: UInt8(ascii: "O"), into: $0) }
        for (locate, symbol) in [(1 as UInt16, alfa), (2, bravo)] {
            frame(StockDirectory.Layout.length) {
                StockDirectory.encode(h(locate), stock: symbol, marketCategory: 0x51, financialStatusIndicator: 0x4E,
                                      roundLotSize: 100, roundLotsOnly: 0x4E, issueClassification: 0x43,
                                      issueSubType: 0x5A20, authenticity: 0x50, shortSaleThresholdIndicator: 0x4E,
                                      ipoFlag: 0x4E, luldReferencePriceTier: 0x31, etpFlag: 0x4E, etpLeverageFactor: 0,
                                      inverseIndicator: 0x4E, into: $0)
            }
            frame(StockTradingAction.Layout.length) {
                StockTradingAction.encode(h(locate), stock: symbol, tradingState: UInt8(ascii: "T"), reserved: 0x20,
                                          reason: alpha4(""), into: $0)
            }
        }
        func add(_ locate: UInt16, _ symbol: Symbol, _ ref: UInt64, _ side: Character, _ shares: UInt32, _ price: UInt32) {
            frame(AddOrder.Layout.length) {
                AddOrder.encode(h(locate), orderReference: ref, side: side.asciiValue!, shares: shares, stock: symbol,
                                price: price, into: $0)
            }
        }
        // ALFA: a small book, then a replace chain 1 → 10 → 11 → 12.
        add(1, alfa, 1, "B", 100, 1_000_000)
        add(1, alfa, 2, "B", 200, 999_900)
        add(1, alfa, 3, "S", 300, 1_000_100)
        add(1, alfa, 4, "S", 400, 1_000_200)
        for (old, new, shares, price) in [(1 as UInt64, 10 as UInt64, 150 as UInt32, 1_000_000 as UInt32),
                                          (10, 11, 150, 1_000_050), (11, 12, 50, 999_900)] {
            frame(OrderReplace.Layout.length) {
                OrderReplace.encode(h(1), originalOrderReference: old, newOrderReference: new, shares: shares, price: price,
                                    into: $0)
            }
        }
        // Partial executions of order 3 down to zero, then one more (unknown by then).
        for (shares, match) in [(100 as UInt32, 1 as UInt64), (150, 2), (50, 3), (10, 4)] {
            frame(OrderExecuted.Layout.length) {
                OrderExecuted.encode(h(0), orderReference: 3, executedShares: shares, matchNumber: match, into: $0)
            }
        }
        // A non-printable execution with price, a partial cancel, deletes of a known and an unknown order.
        frame(OrderExecutedWithPrice.Layout.length) {
            OrderExecutedWithPrice.encode(h(0), orderReference: 4, executedShares: 100, matchNumber: 5,
                                          printable: UInt8(ascii: "N"), executionPrice: 1_000_150, into: $0)
        }
        frame(OrderCancel.Layout.length) { OrderCancel.encode(h(0), orderReference: 2, cancelledShares: 50, into: $0) }
        frame(OrderDelete.Layout.length) { OrderDelete.encode(h(0), orderReference: 2, into: $0) }
        frame(OrderDelete.Layout.length) { OrderDelete.encode(h(0), orderReference: 999, into: $0) }
        // BRAVO: locked, then crossed (a feed joined mid-session can show this), then a halt and resume.
        add(2, bravo, 20, "B", 100, 500_000)
        add(2, bravo, 21, "S", 100, 500_000)
        add(2, bravo, 22, "S", 100, 499_900)
        frame(StockTradingAction.Layout.length) {
            StockTradingAction.encode(h(2), stock: bravo, tradingState: UInt8(ascii: "H"), reserved: 0x20,
                                      reason: alpha4("T1"), into: $0)
        }
        frame(StockTradingAction.Layout.length) {
            StockTradingAction.encode(h(2), stock: bravo, tradingState: UInt8(ascii: "T"), reserved: 0x20,
                                      reason: alpha4(""), into: $0)
        }
        // A trade message, a cross, a broken trade.
        frame(NonCrossTrade.Layout.length) {
            NonCrossTrade.encode(h(2), orderReference: 0, side: UInt8(ascii: "B"), shares: 25, stock: bravo, price: 500_000,
                                 matchNumber: 6, into: $0)
        }
        frame(CrossTrade.Layout.length) {
            CrossTrade.encode(h(2), shares: 1000, stock: bravo, crossPrice: 500_000, matchNumber: 7,
                              crossType: UInt8(ascii: "C"), into: $0)
        }
        frame(BrokenTrade.Layout.length) { BrokenTrade.encode(h(2), matchNumber: 6, into: $0) }
        frame(SystemEvent.Layout.length) { SystemEvent.encode(h(0), eventCode: UInt8(ascii: "C"), into: $0) }
        // A final message cut short: its length says 36, 10 bytes follow.
        file += [0, 36, UInt8(ascii: "A"), 0, 1, 0, 0, 0, 0, 0, 0, 0]
        return file
    }
}

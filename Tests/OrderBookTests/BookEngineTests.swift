import Testing
import Market
import ITCH
@testable import OrderBook

@Suite struct BookEngineTests {
    /// A quote reads nearly every field of its book: the layout keeps a book to four cache lines.
    @Test func instrumentBookFillsExactlyFourCacheLines() {
        #expect(MemoryLayout<PriceLadder>.size == 101)
        #expect(MemoryLayout<InstrumentBook>.size == 256)
        #expect(MemoryLayout<InstrumentBook>.stride == 256)
        let engine = BookEngine()
        #expect(Int(bitPattern: engine.books) % 64 == 0)
    }

    @Test func addsAggregateIntoLevelsBestFirst() {
        let d = BookDriver()
        let announced = d.directory(7, "AAPL")
        #expect(announced.count == 1 && announced[0].kind == .instrument && announced[0].seq == 1)
        #expect(announced[0].instrument == InstrumentReference(market: .nasdaq, decimals: 4))
        d.add(7, 1, buy: true, 100, 1_000_000, symbol: "AAPL")
        d.add(7, 2, buy: true, 200, 1_000_100, symbol: "AAPL")
        d.add(7, 3, buy: true, 50, 1_000_000, symbol: "AAPL", mpid: true)
        d.add(7, 4, buy: false, 300, 1_000_300, symbol: "AAPL")
        let t = d.add(7, 5, buy: false, 10, 1_000_200, symbol: "AAPL")
        #expect(d.bids(7) == [[1_000_100, 200, 1], [1_000_000, 150, 2]])
        #expect(d.asks(7) == [[1_000_200, 10, 1], [1_000_300, 300, 1]])
        #expect(t.count == 1)
        #expect(t[0].kind == .quote && t[0].symbol == Symbol("AAPL")!)
        #expect(t[0].bidPairs == [[1_000_100, 200], [1_000_000, 150]])
        #expect(t[0].askPairs == [[1_000_200, 10], [1_000_300, 300]])
        #expect(t[0].changedLevel == 0)
        #expect(d.ticks.map(\.seq) == [1, 2, 3, 4, 5, 6])  // the instrument tick, then five quotes
        #expect(d.ticks[3].changedLevel == 1)  // 50 more at the second bid level
        #expect(d.engine.checkInvariants() == nil)
    }

    @Test func changesBelowTheTopTenProduceNoQuote() {
        let d = BookDriver()
        for i in 0..<10 { d.add(1, UInt64(i + 1), buy: true, 100, UInt32(1_000_000 - i * 100)) }
        #expect(d.ticks.count == 10)
        let deep = d.add(1, 11, buy: true, 100, 990_000)  // 11th level
        #expect(deep.isEmpty)
        #expect(d.engine.statistics.quietBookChanges == 1)
        let top = d.add(1, 12, buy: true, 100, 1_000_050)  // new best pushes the 10th out
        #expect(top.count == 1 && top[0].bidCount == 10 && top[0].changedLevel == 0)
        #expect(top[0].bids[0].price == 1_000_050 && top[0].bids[9].price == 999_200)
        #expect(d.delete(11).isEmpty)
        #expect(d.delete(12).first?.bids[9].price == 999_100)
    }

    @Test func executionsTradeAtTheRestingPriceAndReduceTheBook() {
        let d = BookDriver()
        d.add(3, 10, buy: false, 500, 2_000_000)
        let partial = d.execute(10, 200, match: 77)
        #expect(partial.count == 2)
        #expect(partial[0].kind == .trade && partial[0].tradePrice == 2_000_000 && partial[0].tradeSize == 200)
        #expect(partial[0].side == UInt8(ascii: "B"))  // a buyer hit the resting sell order
        #expect(partial[0].matchNumber == 77 && partial[0].volume == 200)
        #expect(partial[1].kind == .quote && partial[1].askPairs == [[2_000_000, 300]])
        #expect(partial[1].seq == partial[0].seq + 1)
        let full = d.execute(10, 300)
        #expect(full.count == 2 && full[1].askCount == 0 && full[0].volume == 500)
        #expect(d.engine.restingOrders == 0)
        #expect(d.execute(10, 1).isEmpty)  // gone: unknown now
        #expect(d.engine.statistics.unknownReference == 1)
        #expect(d.engine.summary(locate: 3)?.last == PriceLevel(price: 2_000_000, size: 300))
    }

    @Test func executionWithPriceUsesItsPriceAndNonPrintableDoesNotCount() {
        let d = BookDriver()
        d.add(3, 10, buy: true, 500, 2_000_000)
        let printed = d.executeWithPrice(10, 100, price: 1_999_900, printable: true)
        #expect(printed.count == 2 && printed[0].tradePrice == 1_999_900 && printed[0].side == UInt8(ascii: "S"))
        let hidden = d.executeWithPrice(10, 100, price: 1_999_800, printable: false)
        #expect(hidden.count == 1 && hidden[0].kind == .quote && hidden[0].volume == 100)
        #expect(hidden[0].bidPairs == [[2_000_000, 300]])
        #expect(d.engine.statistics.nonPrintable == 1)
        #expect(d.engine.summary(locate: 3)?.volume == 100)
    }

    @Test func overExecutionIsClampedAndCounted() {
        let d = BookDriver()
        d.add(3, 10, buy: true, 100, 2_000_000)
        let t = d.execute(10, 150)
        #expect(t[0].tradeSize == 100)
        #expect(d.engine.statistics.overExecution == 1)
        #expect(d.engine.restingOrders == 0 && d.bids(3).isEmpty)
    }

    @Test func cancelsAndDeletes() {
        let d = BookDriver()
        d.add(5, 1, buy: true, 300, 100_000)
        d.add(5, 2, buy: true, 100, 100_000)
        #expect(d.cancel(1, 100).first?.bidPairs == [[100_000, 300]])
        #expect(d.bids(5) == [[100_000, 300, 2]])
        #expect(d.cancel(1, 200).first?.bidPairs == [[100_000, 100]])  // cancel to zero removes the order
        #expect(d.bids(5) == [[100_000, 100, 1]])
        #expect(d.delete(2).first?.bidCount == 0)
        #expect(d.engine.restingOrders == 0 && d.engine.checkInvariants() == nil)
    }

    @Test func replaceWithTheSamePriceAndSizeChangesOnlyTheReference() {
        let d = BookDriver()
        d.add(9, 1, buy: true, 100, 500_000, symbol: "X")
        #expect(d.replace(1, new: 2, 100, 500_000).isEmpty)
        #expect(d.engine.statistics.quietBookChanges == 1)
        #expect(d.delete(1).isEmpty)
        #expect(d.delete(2).first?.bidCount == 0)
        #expect(d.engine.checkInvariants() == nil)
    }

    @Test func zeroShareChangesAreNotQuotes() {
        let d = BookDriver()
        d.add(9, 1, buy: true, 100, 500_000, symbol: "X")
        #expect(d.add(9, 2, buy: true, 0, 500_000, symbol: "X").isEmpty)  // refused: nothing to rest
        #expect(d.cancel(1, 0).isEmpty)
        #expect(d.bids(9) == [[500_000, 100, 1]])
        #expect(d.replace(1, new: 3, 0, 500_000).first?.bidCount == 0)  // replaced by nothing: it leaves
        #expect(d.engine.statistics.zeroShares == 2 && d.engine.restingOrders == 0)
        #expect(d.engine.checkInvariants() == nil)
    }

    @Test func replaceMovesTheOrderKeepingItsSide() {
        let d = BookDriver()
        d.add(9, 1, buy: false, 100, 500_000)
        d.add(9, 2, buy: false, 100, 500_100)
        let t = d.replace(1, new: 3, 250, 500_200, locate: 9)
        #expect(t.count == 1)
        #expect(t[0].askPairs == [[500_100, 100], [500_200, 250]])
        #expect(t[0].changedLevel == 0)
        #expect(d.delete(1).isEmpty)  // the original reference is gone
        #expect(d.replace(3, new: 4, 10, 500_200).first?.askPairs == [[500_100, 100], [500_200, 10]])
        #expect(d.replace(4, new: 5, 10, 500_300).first?.changedLevel == 1)  // replace chain
        #expect(d.asks(9) == [[500_100, 100, 1], [500_300, 10, 1]])
        #expect(d.bids(9).isEmpty)
        #expect(d.engine.statistics.unknownReference == 1)
        #expect(d.engine.checkInvariants() == nil)
    }

    /// A reference price from `--reference-prices` comes with the directory's instrument tick and
    /// every trade; the opening cross then leaves it alone.
    @Test func referencePricesFromTheFileWinOverTheOpeningCross() {
        let d = BookDriver(configuration: BookConfiguration(referencePrices: [Symbol("MSFT")!: 2_900_000]))
        let announced = d.directory(4, "MSFT")
        #expect(announced.count == 1 && announced[0].instrument.referencePrice == 2_900_000)
        let cross = d.apply { CrossTrade.encode(ITCHHeader(stockLocate: 4, timestamp: 6), shares: 1000,
                                                 stock: Symbol("MSFT")!, crossPrice: 3_000_100, matchNumber: 12,
                                                 crossType: 0x4F, into: $0) }
        #expect(cross.count == 1 && cross[0].kind == .trade)
        #expect(cross.first?.statistics.reference == 2_900_000 && cross.first?.statistics.open == 3_000_100)
        #expect(d.engine.instrumentReference(locate: 4)?.referencePrice == 2_900_000)
        // The same directory again (a replayed day) announces nothing new.
        #expect(d.directory(4, "MSFT").isEmpty)
        #expect(d.engine.statistics.instruments == 1)
    }

    @Test func tradeMessagesAndCrossesAndBreaks() {
        let d = BookDriver()
        d.directory(4, "MSFT")
        let p = d.apply { NonCrossTrade.encode(ITCHHeader(stockLocate: 4, timestamp: 5), orderReference: 0,
                                                side: 0x42, shares: 40, stock: Symbol("MSFT")!, price: 3_000_000,
                                                matchNumber: 11, into: $0) }
        #expect(p.count == 1 && p[0].kind == .trade && p[0].side == 0 && p[0].volume == 40)
        let q = d.apply { CrossTrade.encode(ITCHHeader(stockLocate: 4, timestamp: 6), shares: 1000,
                                             stock: Symbol("MSFT")!, crossPrice: 3_000_100, matchNumber: 12,
                                             crossType: 0x4F, into: $0) }
        // The opening cross sets the reference price (no file gave one): an instrument tick first,
        // then the cross's trade carrying it.
        #expect(q.count == 2 && q[0].kind == .instrument && q[0].instrument.referencePrice == 3_000_100)
        #expect(q.count == 2 && q[1].flags & Tick.Flags.cross != 0 && q[1].volume == 1040)
        #expect(q.count == 2 && q[1].statistics == DayStatistics(open: 3_000_000, high: 3_000_100, low: 3_000_000,
                                                                 reference: 3_000_100, tradeCount: 2,
                                                                 value: 40 * 3_000_000 + 1000 * 3_000_100))
        #expect(p[0].statistics == DayStatistics(open: 3_000_000, high: 3_000_000, low: 3_000_000, reference: 0,
                                                 tradeCount: 1, value: 40 * 3_000_000))
        let empty = d.apply { CrossTrade.encode(ITCHHeader(stockLocate: 4, timestamp: 7), shares: 0,
                                                 stock: Symbol("MSFT")!, crossPrice: 0, matchNumber: 13,
                                                 crossType: 0x43, into: $0) }
        #expect(empty.isEmpty)
        let b = d.apply { BrokenTrade.encode(ITCHHeader(stockLocate: 4, timestamp: 8), matchNumber: 11, into: $0) }
        #expect(b.count == 1 && b[0].kind == .tradeBreak && b[0].matchNumber == 11 && b[0].symbol == Symbol("MSFT")!)
        #expect(d.ticks.map(\.seq) == [1, 2, 3, 4, 5])
        // A break leaves the statistics as they were (ITCH `B` does not say the broken size).
        #expect(d.engine.dayStatistics(locate: 4).tradeCount == 2)
        let stray = d.apply { BrokenTrade.encode(ITCHHeader(stockLocate: 77, timestamp: 9), matchNumber: 1, into: $0) }
        #expect(stray.isEmpty && d.engine.statistics.unknownLocate == 1)
    }

    @Test func statusTicksOnlyOnChange() {
        let d = BookDriver()
        #expect(d.status(2, "T").first?.status == .trading)
        #expect(d.status(2, "T").isEmpty)
        #expect(d.status(2, "H").first?.status == .halted)
        #expect(d.status(2, "P").first?.status == .paused)
        let halt = d.apply { OperationalHalt.encode(ITCHHeader(stockLocate: 2, timestamp: 9), stock: Symbol("TEST")!,
                                                     marketCode: UInt8(ascii: "Q"), operationalHaltAction: UInt8(ascii: "H"),
                                                     into: $0) }
        #expect(halt.first?.status == .halted)
        let otherMarket = d.apply { OperationalHalt.encode(ITCHHeader(stockLocate: 2, timestamp: 9), stock: Symbol("TEST")!,
                                                            marketCode: UInt8(ascii: "B"), operationalHaltAction: UInt8(ascii: "T"),
                                                            into: $0) }
        #expect(otherMarket.isEmpty)
        #expect(d.engine.statistics.statusChanges == 4)
    }

    @Test func midSessionReferencesAreCountedAndIgnored() {
        let d = BookDriver()
        #expect(d.execute(999, 10).isEmpty)
        #expect(d.cancel(998, 10).isEmpty)
        #expect(d.delete(997).isEmpty)
        #expect(d.replace(996, new: 1000, 10, 100).isEmpty)
        #expect(d.execute(1000, 5).isEmpty)  // the replacement of an unknown order is unknown too
        #expect(d.execute(0, 5).isEmpty)  // reference 0 is never an order (found by fuzzing)
        #expect(d.delete(0).isEmpty)
        #expect(d.engine.statistics.unknownReference == 7)
        #expect(d.engine.checkInvariants() == nil)
        #expect(d.engine.restingOrders == 0)
    }

    @Test func duplicateZeroAndOutOfRangeReferencesAreRefused() {
        let d = BookDriver()
        d.add(1, 5, buy: true, 100, 100)
        #expect(d.add(1, 5, buy: false, 100, 200).isEmpty)
        #expect(d.add(1, 0, buy: true, 100, 200).isEmpty)
        #expect(d.add(1, 1 << 47, buy: true, 100, 200).isEmpty)
        #expect(d.add(1, (1 << 47) - 1, buy: true, 1, 50).count == 1)  // the largest that packs
        #expect(d.delete((1 << 47) - 1).count == 1)
        #expect(d.engine.statistics.duplicateReference == 1 && d.engine.statistics.zeroReference == 1)
        #expect(d.engine.statistics.referenceOutOfRange == 1)
        #expect(d.bids(1) == [[100, 100, 1]] && d.asks(1).isEmpty)
    }

    @Test func crossedAndLockedBooksAreKeptAsTheFeedSaysAndOrderTableLimitHolds() {
        let d = BookDriver()
        d.add(1, 1, buy: true, 100, 1000)
        d.add(1, 2, buy: false, 100, 1000)  // locked
        let t = d.add(1, 3, buy: false, 100, 900)  // crossed
        #expect(t.first?.bidPairs == [[1000, 100]] && t.first?.askPairs == [[900, 100], [1000, 100]])
        let small = BookEngine(configuration: BookConfiguration(maxOrders: 4, initialOrderCapacity: 8))
        var bytes = [UInt8](repeating: 0, count: 36)
        let out = UnsafeMutablePointer<Tick>.allocate(capacity: 2)
        defer { out.deallocate() }
        for ref in 1...10 as ClosedRange<UInt64> {
            bytes.withUnsafeMutableBytes {
                _ = AddOrder.encode(ITCHHeader(stockLocate: 1, timestamp: 1), orderReference: ref, side: 0x42, shares: 1,
                                    stock: Symbol("X")!, price: UInt32(ref), into: $0.baseAddress!)
            }
            _ = bytes.withUnsafeBytes { small.apply($0.baseAddress!, length: 36, receiveTime: 0, into: out) }
        }
        #expect(small.restingOrders == 4)
        #expect(small.statistics.orderTableFull == 6)
    }

    @Test func malformedFramesAreCountedAndSkipped() {
        let d = BookDriver()
        d.add(1, 1, buy: true, 100, 1000)
        var truncated = d.engine.statistics
        #expect(d.apply(raw: [UInt8(ascii: "A"), 0, 1, 0]).isEmpty)
        #expect(d.apply(raw: [UInt8(ascii: "z"), 1, 2, 3]).isEmpty)
        #expect(d.apply(raw: []).isEmpty)
        #expect(d.apply(raw: [UInt8](repeating: 0x44, count: 200)).isEmpty)
        truncated = d.engine.statistics
        #expect(truncated.badLength == 2 && truncated.unknownType == 1 && truncated.empty == 1)
        #expect(d.bids(1) == [[1000, 100, 1]])
    }
}

import ITCH
import Market
@testable import Simulator
import Testing

/// Days generated once and shared by the tests that only read them.
enum Days {
    static let standard = generateDayFile(configuration: SimulatorConfiguration(), messages: 200_000)
    static let halting = generateDayFile(configuration: haltingConfiguration(), messages: 150_000)
}

@Suite struct OrderFlowSimulatorTests {
    @Test func sameConfigurationGivesIdenticalBytes() {
        let configuration = SimulatorConfiguration(seed: 42, symbols: .generated(count: 30), bursty: true,
                                                   haltProbability: 0.000_1, haltDuration: 1_000_000...9_000_000)
        let a = generateDayFile(configuration: configuration, messages: 50_000)
        let b = generateDayFile(configuration: configuration, messages: 50_000)
        #expect(a == b)
    }

    @Test func differentSeedGivesDifferentFlow() {
        let a = generateDayFile(configuration: SimulatorConfiguration(seed: 1), messages: 5_000)
        let b = generateDayFile(configuration: SimulatorConfiguration(seed: 2), messages: 5_000)
        #expect(a != b)
        // Even with the same named instruments, the flow differs.
        let names = SymbolSelection.named(["AAPL", "MSFT"])
        let c = generateDayFile(configuration: SimulatorConfiguration(seed: 1, symbols: names), messages: 2_000)
        let d = generateDayFile(configuration: SimulatorConfiguration(seed: 2, symbols: names), messages: 2_000)
        #expect(c != d)
    }

    @Test func copiesAreIndependent() {
        var a = OrderFlowSimulator(SimulatorConfiguration(symbols: .generated(count: 5)))
        var scratch = [UInt8](repeating: 0, count: OrderFlowSimulator.maxMessageLength)
        scratch.withUnsafeMutableBytes { out in for _ in 0..<1_000 { _ = a.next(into: out.baseAddress!) } }
        var b = a
        var fromA: [[UInt8]] = []
        var fromB: [[UInt8]] = []
        a.generate(messages: 500) { fromA.append(Array($0)) }
        b.generate(messages: 500) { fromB.append(Array($0)) }
        #expect(fromA == fromB)
        #expect(a.messagesGenerated == 1_500)
    }

    @Test func preambleComesFirstInSpecOrder() throws {
        let n = 5
        let configuration = SimulatorConfiguration(symbols: .generated(count: n))
        var simulator = OrderFlowSimulator(configuration)
        #expect(simulator.preambleMessageCount == 3 + 2 * n)
        var events: [String] = []
        var locates: [UInt16] = []
        var symbols: [Symbol] = []
        try withUnsafeTemporaryAllocation(byteCount: OrderFlowSimulator.maxMessageLength, alignment: 8) { buffer in
            for _ in 0..<simulator.preambleMessageCount {
                let length = simulator.next(into: buffer.baseAddress!)
                guard case .message(let message) = ITCHDecoder.decode(buffer.baseAddress!, length: length) else {
                    throw DayFileError(description: "undecodable preamble")
                }
                switch message {
                case .systemEvent(let m): events.append("S" + String(UnicodeScalar(m.eventCode)))
                case .stockDirectory(let m):
                    events.append("R"); locates.append(m.stockLocate); symbols.append(m.stock)
                    #expect(m.roundLotSize == 100)
                case .stockTradingAction(let m):
                    events.append("H" + String(UnicodeScalar(m.tradingState)))
                    #expect(m.stock == symbols[Int(m.stockLocate) - 1])
                default: events.append("?")
                }
            }
        }
        #expect(events == ["SO", "SS"] + Array(repeating: "R", count: n) + Array(repeating: "HT", count: n) + ["SQ"])
        #expect(locates == (1...UInt16(n)).map { $0 })
        #expect(symbols == simulator.instruments.map(\.symbol))
        #expect(simulator.instruments.map(\.locate) == locates)
    }

    @Test func dayEndsWithClosingEventsAndHasTheExactCount() throws {
        let configuration = SimulatorConfiguration(symbols: .generated(count: 3))
        let day = generateDayFile(configuration: configuration, messages: 1_000)
        let types = messageTypes(of: day)
        #expect(types.count == 1_000)
        var codes: [UInt8] = []
        try forEachMessage(in: day) { index, message in
            if index >= 997, case .systemEvent(let m) = message { codes.append(m.eventCode) }
        }
        #expect(codes == Array("MEC".utf8))
        // The smallest legal day is the preamble and the closing events.
        let minimum = configuration.minimumDayMessageCount
        #expect(messageTypes(of: generateDayFile(configuration: configuration, messages: minimum)).count == minimum)
    }

    @Test func everyMessageDecodesWithItsSpecifiedLength() throws {
        // `forEachMessage` fails on any unknown type, length that disagrees with the type, or
        // truncated frame.
        var count = 0
        var kinds = Set<UInt8>()
        try forEachMessage(in: Days.standard) { _, _ in count += 1 }
        #expect(count == 200_000)
        var offset = 0
        var longest = 0
        while offset < Days.standard.count {
            let length = Int(Days.standard[offset]) << 8 | Int(Days.standard[offset + 1])
            longest = max(longest, length)
            kinds.insert(Days.standard[offset + 2])
            offset += 2 + length
        }
        #expect(longest <= OrderFlowSimulator.maxMessageLength)
        #expect(kinds == Set("SRHAFDUXECPQIY".utf8))
    }

    @Test func timestampsNeverDecrease() throws {
        for day in [Days.standard, Days.halting,
                    generateDayFile(configuration: SimulatorConfiguration(bursty: true), messages: 50_000)] {
            var last: UInt64 = 0
            var decreases = 0
            var first: UInt64?
            try forEachMessage(in: day) { _, message in
                let t = timestamp(of: message)
                if first == nil { first = t }
                if t < last { decreases += 1 }
                last = t
            }
            #expect(decreases == 0)
            #expect(first == SimulatorConfiguration.marketOpen)
            #expect(last > SimulatorConfiguration.marketOpen)
        }
    }

    @Test func burstyTimestampsClusterWithTheSameAverageRate() throws {
        func gaps(_ bursty: Bool) throws -> (mean: Double, tiny: Double) {
            let day = generateDayFile(configuration: SimulatorConfiguration(bursty: bursty), messages: 100_000)
            var last: UInt64 = 0
            var tiny = 0
            var total = 0
            var start: UInt64 = 0
            try forEachMessage(in: day) { index, message in
                let t = timestamp(of: message)
                if index == 0 { start = t }
                if index > 0 && t - last < 20_000 { tiny += 1 }
                last = t
                total += 1
            }
            return (Double(last - start) / Double(total), Double(tiny) / Double(total))
        }
        let plain = try gaps(false)
        let bursty = try gaps(true)
        #expect(abs(plain.mean - 100_000) < 5_000)       // 10 000 messages per second
        #expect(abs(bursty.mean - 100_000) < 25_000)
        #expect(bursty.tiny > plain.tiny * 2)
    }

    @Test func ordersAreConsistentWithAnIndependentBook() throws {
        var book = ShadowBook()
        try forEachMessage(in: Days.standard) { _, message in book.apply(message) }
        #expect(book.problems.isEmpty, "\(book.problems)")
        // The books are deep but bounded: 10–30 levels a side, a few orders a level.
        let perInstrument = Double(book.orders.count) / 100
        #expect(perInstrument > 40 && perInstrument < 260, "\(perInstrument) live orders per instrument")
        var halting = ShadowBook()
        try forEachMessage(in: Days.halting) { _, message in halting.apply(message) }
        #expect(halting.problems.isEmpty, "\(halting.problems)")
    }

    @Test func simulatorBookKeepingMatchesTheStream() throws {
        let configuration = SimulatorConfiguration(symbols: .generated(count: 10))
        var simulator = OrderFlowSimulator(configuration)
        var book = ShadowBook()
        try withUnsafeTemporaryAllocation(byteCount: OrderFlowSimulator.maxMessageLength, alignment: 8) { buffer in
            for _ in 0..<30_000 {
                let length = simulator.next(into: buffer.baseAddress!)
                guard case .message(let message) = ITCHDecoder.decode(buffer.baseAddress!, length: length) else {
                    throw DayFileError(description: "undecodable")
                }
                book.apply(message)
            }
        }
        for instrument in simulator.instruments {
            let shadow = book.orders.values.filter { $0.locate == instrument.locate }.count
            #expect(simulator.liveOrderCount(locate: instrument.locate) == shadow)
        }
    }

    @Test func messageMixIsCloseToNasdaq() throws {
        var counts = [Int](repeating: 0, count: 256)
        let types = messageTypes(of: Days.standard)
        for type in types { counts[Int(type)] += 1 }
        func share(_ type: Character) -> Double {
            Double(counts[Int(type.asciiValue!)]) * 100 / Double(types.count)
        }
        let summary = "AFDUXECPQIYH".map { "\($0) \(share($0))" }.joined(separator: ", ")
        print("mix over 200k messages: \(summary)")
        #expect((40...52).contains(share("A") + share("F")), "\(summary)")
        #expect((1...5).contains(share("F")), "\(summary)")
        #expect((30...45).contains(share("D")), "\(summary)")
        #expect((6...10).contains(share("U")), "\(summary)")
        #expect((2...4.5).contains(share("X")), "\(summary)")
        #expect((2.5...6).contains(share("E")), "\(summary)")
        #expect((0.2...1).contains(share("C")), "\(summary)")
        #expect((0.5...1.5).contains(share("P")), "\(summary)")
        #expect(share("I") > 0 && share("I") < 0.5, "\(summary)")
        #expect(share("Q") < 0.2, "\(summary)")
        #expect(share("Y") < 0.1, "\(summary)")
        // Some executions with price are non-printable.
        var printable = 0
        var nonPrintable = 0
        try forEachMessage(in: Days.standard) { _, message in
            if case .orderExecutedWithPrice(let m) = message {
                if m.printable == 0x59 { printable += 1 } else { nonPrintable += 1 }
            }
        }
        #expect(printable > 0 && nonPrintable > 0)
    }

    @Test func pricesAreVariedAndSpreadsRealistic() throws {
        let simulator = OrderFlowSimulator(SimulatorConfiguration())
        let prices = simulator.instruments.map(\.startPrice)
        #expect(prices.allSatisfy { (50_000...5_000_000).contains($0) && $0 % 100 == 0 })
        #expect(prices.min()! < 200_000 && prices.max()! > 1_500_000)
        // Measured at the end of the standard day: every instrument with both sides has a
        // positive spread of a few ticks at most for most names.
        var book = ShadowBook()
        try forEachMessage(in: Days.standard) { _, message in book.apply(message) }
        var spreads: [UInt32] = []
        for locate in UInt16(1)...100 {
            if let bid = book.bestBid(locate), let ask = book.bestAsk(locate) { spreads.append((ask - bid) / 100) }
        }
        #expect(spreads.count > 90)
        #expect(spreads.allSatisfy { $0 >= 1 })
        let median = spreads.sorted()[spreads.count / 2]
        #expect(median <= 5, "\(spreads)")
    }

    @Test func haltsHappenResumeAndStopExecutions() throws {
        var halted = Set<UInt16>()
        var halts = 0
        var resumes = 0
        var haltCrosses = 0
        var tradesWhileHalted = 0
        var preamble = true
        try forEachMessage(in: Days.halting) { _, message in
            switch message {
            case .systemEvent(let m) where m.eventCode == 0x51: preamble = false
            case .stockTradingAction(let m) where !preamble:
                if m.tradingState == 0x48 {
                    #expect(!halted.contains(m.stockLocate))
                    halted.insert(m.stockLocate); halts += 1
                } else if m.tradingState == 0x54 {
                    #expect(halted.contains(m.stockLocate))
                    halted.remove(m.stockLocate); resumes += 1
                }
            case .orderExecuted(let m): if halted.contains(m.stockLocate) { tradesWhileHalted += 1 }
            case .orderExecutedWithPrice(let m): if halted.contains(m.stockLocate) { tradesWhileHalted += 1 }
            case .nonCrossTrade(let m): if halted.contains(m.stockLocate) { tradesWhileHalted += 1 }
            case .crossTrade(let m):
                if halted.contains(m.stockLocate) { tradesWhileHalted += 1 }
                if m.crossType == 0x48 { haltCrosses += 1 }
            default: break
            }
        }
        #expect(halts >= 5, "\(halts) halts")
        #expect(resumes >= halts - halted.count && resumes > 0)
        #expect(haltCrosses > 0)
        #expect(tradesWhileHalted == 0)
    }

    @Test func haltsAreOffWhenTheirProbabilityIsZero() {
        let day = generateDayFile(configuration: SimulatorConfiguration(haltProbability: 0), messages: 50_000)
        let h = messageTypes(of: day).filter { $0 == 0x48 }.count
        #expect(h == 100)  // only the preamble's "trading" actions
    }

    @Test func nextAfterEndOfDayWritesNothing() {
        var simulator = OrderFlowSimulator(SimulatorConfiguration(symbols: .generated(count: 2)))
        withUnsafeTemporaryAllocation(byteCount: OrderFlowSimulator.maxMessageLength, alignment: 8) { buffer in
            let out = buffer.baseAddress!
            for _ in 0..<100 { #expect(simulator.next(into: out) > 0) }
            var closing = 0
            while simulator.nextEndOfDay(into: out) > 0 { closing += 1 }
            #expect(closing == OrderFlowSimulator.endOfDayMessageCount)
            #expect(simulator.isClosed)
            #expect(simulator.next(into: out) == 0)
            #expect(simulator.messagesGenerated == 103)
        }
    }
}

/// The timestamp of any message.
func timestamp(of message: ITCHMessage) -> UInt64 {
    switch message {
    case .systemEvent(let m): m.timestamp
    case .stockDirectory(let m): m.timestamp
    case .stockTradingAction(let m): m.timestamp
    case .regSHORestriction(let m): m.timestamp
    case .addOrder(let m): m.timestamp
    case .addOrderMPID(let m): m.timestamp
    case .orderExecuted(let m): m.timestamp
    case .orderExecutedWithPrice(let m): m.timestamp
    case .orderCancel(let m): m.timestamp
    case .orderDelete(let m): m.timestamp
    case .orderReplace(let m): m.timestamp
    case .nonCrossTrade(let m): m.timestamp
    case .crossTrade(let m): m.timestamp
    case .netOrderImbalance(let m): m.timestamp
    default: 0
    }
}

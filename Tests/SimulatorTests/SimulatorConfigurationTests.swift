import Market
import Simulator
import Testing

@Suite struct SimulatorConfigurationTests {
    @Test func defaultsAreTheDocumentedOnes() {
        let c = SimulatorConfiguration()
        #expect(c.seed == 1)
        #expect(c.symbols == .generated(count: 100))
        #expect(c.startTime == 34_200_000_000_000)
        #expect(c.messageRate == 10_000)
        #expect(!c.bursty)
        #expect(c.haltProbability > 0 && c.haltProbability < 0.000_01)
        #expect(throws: Never.self) { try c.validate() }
        #expect(c.minimumDayMessageCount == 3 + 200 + 3)
    }

    @Test func generatedTickersArePlausibleAndUnique() {
        let simulator = OrderFlowSimulator(SimulatorConfiguration(symbols: .generated(count: 2_000)))
        let symbols = simulator.instruments.map(\.symbol)
        #expect(Set(symbols).count == 2_000)
        for symbol in symbols {
            let text = symbol.description
            #expect((1...5).contains(text.count))
            #expect(text.utf8.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }, "\(text)")
        }
        let fourLetters = symbols.filter { $0.length == 4 }.count
        #expect(fourLetters > 800)
        // Derived from the seed.
        let again = OrderFlowSimulator(SimulatorConfiguration(symbols: .generated(count: 2_000)))
        #expect(again.instruments == simulator.instruments)
    }

    @Test func namedSymbolsAreUsedInOrder() {
        let simulator = OrderFlowSimulator(SimulatorConfiguration(symbols: .named(["AAPL", "msft", "BRK.B"])))
        #expect(simulator.instruments.map(\.symbol.description) == ["AAPL", "MSFT", "BRK.B"])
        #expect(simulator.instruments.map(\.locate) == [1, 2, 3])
    }

    @Test func invalidConfigurationsNameTheirField() {
        func error(_ c: SimulatorConfiguration) -> SimulatorConfigurationError? {
            do { try c.validate(); return nil } catch { return error }
        }
        #expect(error(SimulatorConfiguration(symbols: .generated(count: 0))) == .symbolCount(0))
        #expect(error(SimulatorConfiguration(symbols: .generated(count: 70_000))) == .symbolCount(70_000))
        #expect(error(SimulatorConfiguration(symbols: .named(["AAPL", "AAPL"]))) == .duplicateSymbol("AAPL"))
        #expect(error(SimulatorConfiguration(symbols: .named(["TOOLONGNAME"]))) == .invalidSymbol("TOOLONGNAME"))
        #expect(error(SimulatorConfiguration(messageRate: 0)) == .messageRate(0))
        #expect(error(SimulatorConfiguration(haltProbability: 2)) == .haltProbability(2))
        #expect(error(SimulatorConfiguration(startTime: 90_000_000_000_000)) == .startTime(90_000_000_000_000))
        var mix = MessageMix()
        mix.delete = -1
        #expect(error(SimulatorConfiguration(mix: mix)) == .mix)
        #expect(SimulatorConfigurationError.messageRate(0).description.hasPrefix("message rate"))
    }
}

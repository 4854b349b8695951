import ITCH
import Market
import OrderBook
import Simulator
import Testing

/// `ApplyPipeline` fetches ahead (order slots, books, ladders) while it applies; none of that may
/// change a result. Each test applies the same day-file twice, once message by message with
/// `BookEngine.apply` and once through the pipeline fetching at every stage, and compares every tick.
@Suite struct PipelinedApplyTests {
    /// A day-file of the first `count` messages of a 300-instrument flow; with `corrupt`, one frame in
    /// about 40 is followed by a damaged copy of itself (its bytes scrambled after the type, at its
    /// type's length) so that the stages ahead also meet frames `apply` refuses. (A frame cut short
    /// is no longer such a frame: the day-file reader ends the walk there as garbage.)
    static func dayFile(messages count: Int, corrupt: Bool) -> [UInt8] {
        var simulator = OrderFlowSimulator(SimulatorConfiguration(seed: 21, symbols: .generated(count: 300)))
        var random = SplitMix64(seed: 5)
        var file: [UInt8] = []
        func frame(_ bytes: some Collection<UInt8>) {
            file.append(UInt8(bytes.count >> 8))
            file.append(UInt8(bytes.count & 0xFF))
            file.append(contentsOf: bytes)
        }
        simulator.generate(messages: count) { message in
            frame(message)
            guard corrupt, random.next() % 40 == 0 else { return }
            var damaged = Array(message)
            for i in 1..<damaged.count { damaged[i] = UInt8(truncatingIfNeeded: random.next()) }
            frame(damaged)
        }
        return file
    }

    /// The ticks of one `apply` per message and of the pipeline (deep fetching from the first
    /// instrument on); both engines have a 1 024-order window, so many orders live in the hash table.
    static func ticksBothWays(_ file: [UInt8]) -> (single: [Tick], all: [Tick], deep: Bool) {
        let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
        defer { out.deallocate() }
        return file.withUnsafeBytes { raw in
            let single = BookEngine(configuration: BookConfiguration(orderWindowBits: 10))
            var singleTicks: [Tick] = []
            for message in DayFileReader(bytes: raw) {
                let n = single.apply(message.base, length: message.length, receiveTime: 7, into: out)
                singleTicks += (0..<n).map { out[$0] }
            }
            let all = BookEngine(configuration: BookConfiguration(orderWindowBits: 10, deepPrefetchInstruments: 0))
            var allTicks: [Tick] = []
            var pipeline = ApplyPipeline(engine: all, messages: DayFileReader(bytes: raw).makeIterator())
            var applied: [FramedMessage] = []
            while let (message, n) = pipeline.applyNext(receiveTime: 7, into: out) {
                allTicks += (0..<n).map { out[$0] }
                applied.append(message)
            }
            // Every message once, in order (compared as a count and a first difference, not as arrays).
            let expected = DayFileReader(bytes: raw).map(\.base)
            let firstOutOfOrder = zip(applied, expected).enumerated().first { $0.element.0.base != $0.element.1 }?.offset
            #expect(applied.count == expected.count && firstOutOfOrder == nil,
                    "\(applied.count) of \(expected.count) applied, first out of order: \(String(describing: firstOutOfOrder))")
            #expect(pipeline.applyNext(receiveTime: 7, into: out) == nil)
            return (singleTicks, allTicks, all.prefetchesDeep)
        }
    }

    static func firstDifference(_ a: [Tick], _ b: [Tick]) -> Int? {
        zip(a.indices, zip(a, b)).first { !$0.1.0.hasSameContent(as: $0.1.1) }?.0
            ?? (a.count == b.count ? nil : min(a.count, b.count))
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 80_000])
    func pipelineGivesTheTicksOfOneApplyPerMessage(messages: Int) {
        let file = Self.dayFile(messages: messages, corrupt: false)
        let (single, all, deep) = Self.ticksBothWays(file)
        #expect(deep)
        if messages == 80_000 { #expect(single.count > 40_000) }
        #expect(Self.firstDifference(single, all) == nil, "\(single.count) against \(all.count) ticks")
    }

    @Test func pipelineGivesTheSameTicksWhenFramesAreDamaged() {
        let file = Self.dayFile(messages: 80_000, corrupt: true)
        let (single, all, _) = Self.ticksBothWays(file)
        #expect(single.count > 40_000)
        #expect(Self.firstDifference(single, all) == nil, "\(single.count) against \(all.count) ticks")
    }

    /// Deep fetching starts only once the engine knows `deepPrefetchInstruments` instruments.
    @Test func deepFetchingStartsAtTheConfiguredInstrumentCount() {
        let file = Self.dayFile(messages: 5_000, corrupt: false)
        let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
        defer { out.deallocate() }
        for (threshold, expected) in [(299, true), (300, true), (301, false), (1024, false)] {
            let engine = BookEngine(configuration: BookConfiguration(deepPrefetchInstruments: threshold))
            #expect(!engine.prefetchesDeep)
            file.withUnsafeBytes { raw in
                for m in DayFileReader(bytes: raw) {
                    _ = engine.apply(m.base, length: m.length, receiveTime: 0, into: out)
                }
            }
            #expect(engine.prefetchesDeep == expected, "threshold \(threshold)")
        }
    }
}

import Foundation
import ITCH
import Market
import OrderBook
import Simulator
import System

/// The feed-handler benchmarks: decode only, and decode + books + tick production, single thread,
/// over a simulated day-file of `itchMessageCount` messages (100 instruments, seed 1); and the books
/// again over as many messages spread across 8 000 instruments (seed 7), about as many as a Nasdaq day
/// lists, where the books, ladders and orders no longer fit in the caches.
let itchSuite: [Benchmark] = [
    Benchmark(name: "itch.decode") { [itchDecodeBenchmark()] },
    Benchmark(name: "itch.book") { [itchBookBenchmark(name: "itch.book", file: benchmarkDayFile)] },
    Benchmark(name: "itch.book.wide") { [itchBookBenchmark(name: "itch.book.wide", file: wideDayFile)] },
]

/// 5 M messages in a release build (the floor), 200 k in debug.
let itchMessageCount = isOptimizedBuild ? 5_000_000 : 200_000
let itchRuns = isOptimizedBuild ? 5 : 1

/// The simulated day-file the ITCH benchmarks read, generated once per process.
let benchmarkDayFile = simulatedDayFile(SimulatorConfiguration(seed: 1))

/// `itch.book.wide`'s day-file: 8 000 instruments.
let wideDayFile = simulatedDayFile(SimulatorConfiguration(seed: 7, symbols: .generated(count: 8_000)))

/// `itchMessageCount` messages of `configuration`'s flow in the day-file format.
func simulatedDayFile(_ configuration: SimulatorConfiguration) -> [UInt8] {
    var simulator = OrderFlowSimulator(configuration)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(itchMessageCount * 34)
    simulator.generate(messages: itchMessageCount) { message in
        bytes.append(UInt8(message.count >> 8))
        bytes.append(UInt8(message.count & 0xFF))
        bytes.append(contentsOf: message)
    }
    return bytes
}

func itchDecodeBenchmark() -> BenchmarkResult {
    let file = benchmarkDayFile
    let rate = medianOf(runs: itchRuns) {
        file.withUnsafeBytes { raw in
            var checksum: UInt64 = 0
            var count = 0
            let start = Clock.monotonic()
            for message in DayFileReader(bytes: raw) {
                if case .message(let m) = message.decode() {
                    // Touch a field of every message so the decode cannot be optimized away.
                    switch m {
                    case .addOrder(let a): checksum &+= a.orderReference &+ UInt64(a.price)
                    case .orderDelete(let d): checksum &+= d.orderReference
                    case .orderReplace(let u): checksum &+= u.newOrderReference
                    case .orderExecuted(let e): checksum &+= UInt64(e.executedShares)
                    default: checksum &+= message.base.load(as: UInt8.self) == 0 ? 1 : 0
                    }
                }
                count += 1
            }
            let elapsed = Clock.monotonic() - start
            precondition(checksum != 42 && count == itchMessageCount)
            return Double(count) / (Double(elapsed) / 1e9)
        }
    }
    return BenchmarkResult(name: "itch.decode", value: rate, unit: "msgs/s", runs: itchRuns)
}

func itchBookBenchmark(name: String, file: [UInt8]) -> BenchmarkResult {
    let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
    defer { out.deallocate() }
    let rate = medianOf(runs: itchRuns) {
        file.withUnsafeBytes { raw in
            let engine = BookEngine()
            var ticks = 0
            var count = 0
            var seqSum: UInt64 = 0
            let start = Clock.monotonic()
            var pipeline = ApplyPipeline(engine: engine, messages: DayFileReader(bytes: raw).makeIterator())
            while let (_, n) = pipeline.applyNext(receiveTime: 0, into: out) {
                if n > 0 { seqSum &+= out[n - 1].seq }
                ticks &+= n
                count &+= 1
            }
            let elapsed = Clock.monotonic() - start
            precondition(ticks > 0 && count == itchMessageCount && seqSum != 0 && engine.statistics.badLength == 0)
            return Double(count) / (Double(elapsed) / 1e9)
        }
    }
    return BenchmarkResult(name: name, value: rate, unit: "msgs/s", runs: itchRuns)
}

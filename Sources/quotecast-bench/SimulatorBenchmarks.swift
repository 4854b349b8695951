import Foundation
import Simulator
import System

/// The simulator's benchmark: how fast it writes order flow, which bounds how fast the other
/// benchmarks (and `serve` on simulated input) can be fed.
let simulatorSuite: [Benchmark] = [
    Benchmark(name: "simulator.generate") { [simulatorGenerationBenchmark()] },
]

/// Messages per second written by `OrderFlowSimulator.next(into:)` into one reused buffer (100
/// instruments, seed 1, preamble included), median of 5 runs of 10 M messages (200 k in debug).
func simulatorGenerationBenchmark() -> BenchmarkResult {
    let messages = isOptimizedBuild ? 10_000_000 : 200_000
    let runs = isOptimizedBuild ? 5 : 1
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: OrderFlowSimulator.maxMessageLength, alignment: 8)
    defer { buffer.deallocate() }
    let rate = medianOf(runs: runs) {
        var simulator = OrderFlowSimulator(SimulatorConfiguration(seed: 1))
        var bytes = 0
        let start = Clock.monotonic()
        for _ in 0..<messages { bytes &+= simulator.next(into: buffer) }
        let elapsed = Clock.monotonic() - start
        precondition(bytes > messages)  // keeps the loop's work observable
        return Double(messages) / (Double(elapsed) / 1e9)
    }
    return BenchmarkResult(name: "simulator.generate", value: rate, unit: "msgs/s", runs: runs)
}

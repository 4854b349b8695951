// Benchmarks of issue 19's series: the memory candles and trade tapes take for 8 000 instruments
// (`series.memory`). The stats delivery cost is `gateway.stats` (GatewayStatsBenchmarks.swift).
import Foundation
import Market

/// The series suite: `series.memory` (reports `series.memory.candles_worst`, `.tape_worst`, `.rss_worst`).
let seriesSuite: [Benchmark] = [
    Benchmark(name: "series.memory") { seriesMemory(instruments: isOptimizedBuild ? 8_000 : 200) },
]

/// Resident set size of this process, bytes.
private func residentBytes() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
}

/// The worst case the bound allows: every instrument trades in every minute of a 24-hour day (1 440
/// 1 m bars) and in every second of the last 10 minutes (600 live 1 s bars, plus expired ones waiting
/// for their batched drop), and has 50 trades on its tape. Measured twice: the bytes the series'
/// arrays hold (`allocatedBytes`, capacities included) and this process's RSS growth.
private func seriesMemory(instruments: Int) -> [BenchmarkResult] {
    let before = residentBytes()
    var candles = [CandleSeries](repeating: CandleSeries(), count: instruments)
    var tapes = [TradeTape](repeating: TradeTape(), count: instruments)
    let dayStart: UInt64 = 0
    for i in 0..<instruments {
        let price = UInt32(100_000 + i)
        for minute in 0..<UInt64(1_440 - 11) {
            candles[i].record(price: price, size: 100, timestamp: dayStart + minute * 60_000_000_000)
        }
        // The last 11 minutes: a trade every second (the window slides past its first minute).
        let lastSeconds: UInt64 = 660
        for second in 0..<lastSeconds {
            candles[i].record(price: price &+ UInt32(second % 7), size: 100,
                              timestamp: (86_400 - lastSeconds + second) * 1_000_000_000)
        }
        for t in 0..<UInt64(TradeTape.capacity + 3) {
            tapes[i].append(TapeTrade(seq: t, timestamp: t, price: price, size: 100, side: 0x42))
        }
        precondition(candles[i].withinBounds)
    }
    let after = residentBytes()
    let candleBytes = candles.reduce(0) { $0 + $1.allocatedBytes }
    let tapeBytes = tapes.count * TradeTape.capacity * MemoryLayout<TapeTrade>.stride
    let scale = 8_000 / Double(instruments)
    let mib = 1024.0 * 1024.0
    withExtendedLifetime((candles, tapes)) {}
    return [
        BenchmarkResult(name: "series.memory.candles_worst", value: Double(candleBytes) * scale / mib, unit: "MiB/8000", runs: 1),
        BenchmarkResult(name: "series.memory.candles_per_instrument", value: Double(candleBytes) / Double(instruments) / 1024, unit: "KiB", runs: 1),
        BenchmarkResult(name: "series.memory.tape_worst", value: Double(tapeBytes) * scale / mib, unit: "MiB/8000", runs: 1),
        BenchmarkResult(name: "series.memory.rss_worst", value: Double(after - before) * scale / mib, unit: "MiB/8000", runs: 1),
    ]
}

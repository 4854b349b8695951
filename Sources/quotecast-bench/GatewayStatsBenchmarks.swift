// The cost of the `stats` channel (issue 19): one client subscribed to 1 000 symbols' stats at 1 s
// intervals, every symbol trading 20 times a second, so every symbol's stats change in every interval
// and each boundary sends 1 000 messages. The figure is the gateway loop thread's CPU time inside the
// boundary sweeps (CLOCK_THREAD_CPUTIME_ID around each sweep: `quotecast_gateway_stats_cpu_seconds_total`)
// per second of wall time, as a percentage of one core.
import Foundation
import Gateway
import Market
import Synchronization
import System

/// `gateway.stats` (reports `gateway.stats.cpu_percent` and `gateway.stats.msgs`).
let gatewayStatsSuite: [Benchmark] = [
    Benchmark(name: "gateway.stats") { gatewayStats(symbols: isOptimizedBuild ? 1_000 : 100, seconds: isOptimizedBuild ? 4 : 2) },
]

private let statsRuns = 3

/// A trade of symbol `i` (locate i + 1) carrying day statistics that change with `step`.
private func benchTrade(_ i: Int, step: Int) -> Tick {
    var t = Tick()
    t.symbol = benchSymbol(i)
    t.locate = UInt16(i + 1)
    t.kind = .trade
    t.status = .trading
    t.timestamp = 34_200_000_000_000 + UInt64(step) * 50_000_000
    t.tradePrice = UInt32(1_000_000 + i * 100 + step % 50)
    t.tradeSize = 100
    t.volume = UInt64(step + 1) * 100
    t.side = 0x42
    t.statistics = DayStatistics(open: 1_000_000, high: t.tradePrice + 50, low: 999_000, reference: 990_000,
                                 tradeCount: UInt32(step + 1), value: UInt64(step + 1) * 100_000_000)
    return t
}

private func gatewayStats(symbols: Int, seconds: Int) -> [BenchmarkResult] {
    let names = ["gateway.stats.cpu_percent", "gateway.stats.msgs"]
    let client = FanOutClient(symbols: Array(0..<symbols), requestFields: #","channels":["stats"],"stats_interval_ms":1000"#)
    guard let rig = FanOutRig(name: "gateway.stats", clients: [client], symbols: (0..<symbols).map(benchSymbol)) else {
        return names.map { BenchmarkResult(name: $0, value: .nan, unit: "", runs: 0) }
    }
    defer { rig.stop() }
    var step = 0
    var rates: [Double] = []
    let percent = medianOf(runs: statsRuns) {
        let cpu0 = rig.gateway.statistics.statsNanoseconds.load(ordering: .relaxed)
        let frames0 = rig.framesRead
        let start = Clock.monotonic()
        // Every 50 ms a trade of every symbol, for `seconds` seconds.
        for slot in 0..<(seconds * 20) {
            for i in 0..<symbols { rig.publish(benchTrade(i, step: step)) }
            step += 1
            let next = start + UInt64(slot + 1) * 50_000_000
            let now = Clock.monotonic()
            if next > now { usleep(useconds_t((next - now) / 1_000)) }
        }
        let wall = Double(Clock.monotonic() - start)
        let cpu = Double(rig.gateway.statistics.statsNanoseconds.load(ordering: .relaxed) - cpu0)
        rates.append(Double(rig.framesRead - frames0) / (wall / 1e9))
        return cpu / wall * 100
    }
    return [BenchmarkResult(name: "gateway.stats.cpu_percent", value: percent, unit: "% of a core", runs: statsRuns),
            BenchmarkResult(name: "gateway.stats.msgs", value: median(rates), unit: "msgs/s", runs: rates.count)]
}

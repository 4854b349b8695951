import Foundation
import Market

/// One measured figure: the median of `runs` runs.
struct BenchmarkResult: Sendable {
    /// Dotted name, e.g. `ring.1to1` or `ring.1to1.c`.
    var name: String
    /// The median value.
    var value: Double
    /// Unit of `value`, e.g. `ticks/s`, `ns`, `x`.
    var unit: String
    /// How many runs the median was taken over.
    var runs: Int

    /// The contract's JSON line: `{"name":...,"value":...,"unit":...,"runs":...}`.
    var jsonLine: String {
        let number = value.isFinite ? String(value) : "null"
        return "{\"name\":\(jsonString(name)),\"value\":\(number),\"unit\":\(jsonString(unit)),\"runs\":\(runs)}"
    }
}

/// A named benchmark; one run may report several results (e.g. Swift, C and their ratio).
struct Benchmark: Sendable {
    /// Selection name: `quotecast-bench ring` runs every benchmark whose name starts with `ring`.
    var name: String
    /// Runs the benchmark (all its repetitions) and returns its results.
    var run: @Sendable () -> [BenchmarkResult]
}

/// The median of `values` (mean of the middle two for an even count); `nan` when empty.
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/// Runs `body` `runs` times and returns the median of what it returned.
func medianOf(runs: Int, _ body: () -> Double) -> Double {
    median((0..<runs).map { _ in body() })
}

/// The `p`-quantile (0…1) of already sorted values, nearest rank.
func quantile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// Whether this binary was built with optimizations (benchmarks shrink their work in debug builds).
var isOptimizedBuild: Bool {
    #if DEBUG
    return false
    #else
    return true
    #endif
}

/// Prints results as JSON lines (`--json`) or as an aligned human table.
func printResults(_ results: [BenchmarkResult], json: Bool) {
    if json {
        for result in results { print(result.jsonLine) }
        return
    }
    let width = max(24, results.map(\.name.count).max() ?? 0)
    for result in results {
        let padded = result.name.padding(toLength: width, withPad: " ", startingAt: 0)
        print("\(padded)  \(formatValue(result.value)) \(result.unit)  (median of \(result.runs))")
    }
}

private func formatValue(_ value: Double) -> String {
    if abs(value) >= 1_000_000 { return String(format: "%10.2fM", value / 1_000_000) }
    return String(format: "%11.3f", value)
}

private func jsonString(_ text: String) -> String { "\"" + jsonEscaped(text) + "\"" }

/// Writes one line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

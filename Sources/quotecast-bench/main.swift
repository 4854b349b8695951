// quotecast-bench [NAME...] [--json]
// Runs the benchmarks whose name equals or starts with one of NAME (all when none), prints the median
// of each as a table, or as JSON lines with --json (CONTRACT.md section 5).
import Foundation

/// Every benchmark, by module suite. Append a module's suite here.
let allBenchmarks: [Benchmark] =
    ringSuite
    + itchSuite
    + krxSuite
    + simulatorSuite
    + webSocketSuite
    + deflateSuite
    + gatewaySuite
    + gatewayDeflateSuite
    + multicastSuite
    + hopSuite
    + budgetSuite
    + endToEndSuite
    + authSuite
    + seriesSuite
    + gatewayStatsSuite
    + []

var json = false
var selectors: [String] = []
for argument in CommandLine.arguments.dropFirst() {
    switch argument {
    case "--json": json = true
    case "-h", "--help":
        print("usage: quotecast-bench [NAME...] [--json]\nbenchmarks:")
        for benchmark in allBenchmarks { print("  \(benchmark.name)") }
        exit(0)
    default:
        if argument.hasPrefix("-") {
            FileHandle.standardError.write(Data("quotecast-bench: unknown option \(argument)\n".utf8))
            exit(2)
        }
        selectors.append(argument)
    }
}

let selected = allBenchmarks.filter { benchmark in
    selectors.isEmpty || selectors.contains { benchmark.name == $0 || benchmark.name.hasPrefix($0) }
}
if selected.isEmpty {
    FileHandle.standardError.write(Data("quotecast-bench: no benchmark matches \(selectors)\n".utf8))
    exit(2)
}
if !isOptimizedBuild {
    FileHandle.standardError.write(Data("quotecast-bench: debug build, figures are not meaningful (use -c release)\n".utf8))
}
for benchmark in selected {
    printResults(benchmark.run(), json: json)
}

import Foundation
import ITCH
import Market
import Simulator

let simulateCommand = Command(
    name: "simulate",
    summary: "the exchange: a deterministic ITCH 5.0 stream (this build: --output day-files only)",
    usage: """
        usage: quotecast simulate --output FILE --messages N [--symbols N|A,B,...] [--seed N] [--rate R] [--bursty]

        Generates the built-in exchange simulator's order flow: system events, a stock directory, then
        adds, cancels, executions, replaces and deletes around a random walk, with occasional halts.
        Deterministic: the same --seed, --symbols and --messages give the same bytes.

          --output FILE     write the messages as an ITCH day-file (2-byte big-endian length prefixes)
          --messages N      how many messages in all (the start-of-day preamble and the closing system
                            events included), at least 2 x symbols + 6
          --symbols N|LIST  how many instruments (default 100), or their names, comma-separated
          --seed N          random seed (default 1)
          --rate R          messages per second, spaces the ITCH timestamps (default 10000)
          --bursty          cluster timestamps like a market open

        Publishing on multicast (--line-a, --line-b, --retransmit, fault injection) is not in this
        build yet (issue 4).

        """,
    run: runSimulate)

/// Parses the simulator's flags shared by `simulate` and `serve`.
func simulatorConfiguration(_ args: Arguments) throws(UsageError) -> SimulatorConfiguration {
    var configuration = SimulatorConfiguration()
    configuration.seed = UInt64(try args.int("seed", default: 1, in: 0...Int.max))
    if let text = args.string("symbols") {
        if let n = Int(text) {
            guard (1...65_000).contains(n) else { throw UsageError("--symbols: expected 1...65000 instruments, got \(n)") }
            configuration.symbols = .generated(count: n)
        } else {
            var names: [String] = []
            for part in text.split(separator: ",") {
                guard let s = Symbol(part) else { throw UsageError("--symbols: '\(part)' is not a symbol") }
                guard !names.contains(s.description) else { throw UsageError("--symbols: '\(part)' appears twice") }
                names.append(s.description)
            }
            guard !names.isEmpty else { throw UsageError("--symbols: empty list") }
            configuration.symbols = .named(names)
        }
    }
    configuration.messageRate = Double(try args.int("rate", default: 10_000, in: 1...100_000_000))
    configuration.bursty = args.flag("bursty")
    do {
        try configuration.validate()
    } catch {
        throw UsageError("\(error)")
    }
    return configuration
}

func runSimulate(_ argv: [String]) throws -> Int32 {
    let args = try Arguments(argv, valueFlags: ["output", "messages", "symbols", "seed", "rate"],
                             switchFlags: ["bursty"])
    guard args.positionals.isEmpty else { throw UsageError("unexpected argument '\(args.positionals[0])'") }
    let configuration = try simulatorConfiguration(args)
    guard let path = args.string("output") else {
        throw UsageError("--output FILE is required in this build (multicast publishing comes with issue 4)")
    }
    guard args.string("messages") != nil else { throw UsageError("--messages N is required with --output") }
    let minimum = configuration.minimumDayMessageCount
    let messages = try args.int("messages", default: 0, in: minimum...Int.max)
    let writer: DayFileWriter
    do {
        writer = try DayFileWriter(path: path)
    } catch {
        printError("quotecast simulate: cannot write \(path): \(error)")
        return 1
    }
    var simulator = OrderFlowSimulator(configuration)
    let flow = messages - OrderFlowSimulator.endOfDayMessageCount
    try simulator.generate(messages: flow) { try writer.append($0) }
    try withUnsafeTemporaryAllocation(byteCount: OrderFlowSimulator.maxMessageLength, alignment: 8) { buffer in
        for _ in 0..<OrderFlowSimulator.endOfDayMessageCount {
            let n = simulator.nextEndOfDay(into: buffer.baseAddress!)
            try writer.append(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: n))
        }
    }
    try writer.close()
    printError("simulate: wrote \(writer.messageCount) messages to \(path)")
    return 0
}

// Benchmarks of permessage-deflate through the gateway (issue 22, phase 2), over the simulator's flow
// (its day through the books: real price and size dynamics, quotes that change the top 10, trades):
// - gateway.fanout.deflate: fan-out to 1 000 clients with `--deflate shared` against `--deflate off`,
//   two servers side by side, their runs interleaved (the machine drifts; only pairs compare).
// - gateway.fanout.full: the same with `--deflate full` and clients that keep context (a compression
//   per client per message): its throughput and memory per connection.
// - gateway.deflate: bytes on the wire per delivered depth-10 and depth-1 quote, off / shared / full.
import Foundation
import Gateway
import Glibc
import Market
import Synchronization
import WebSocket

/// The gateway deflate suite (docs/benchmarks.md).
let gatewayDeflateSuite: [Benchmark] = [
    Benchmark(name: "gateway.fanout.deflate") {
        fanOutDeflate(clients: isOptimizedBuild ? 1000 : 50, ticks: isOptimizedBuild ? 20_000 : 1_000)
    },
    Benchmark(name: "gateway.fanout.full") { fanOutFull(clients: isOptimizedBuild ? 1000 : 50, ticks: isOptimizedBuild ? 1_000 : 100) },
    Benchmark(name: "gateway.deflate") { bytesPerQuote(messages: isOptimizedBuild ? 400_000 : 40_000) },
]

/// What browsers and phone libraries offer: a `shared` server answers it with the shared frames, a
/// `full` server with a deflater of the client's own.
private let contextOffer = "permessage-deflate; client_max_window_bits"
/// An offer that asks for each message compressed on its own: the shared frames, whatever the mode.
private let noContextOffer = "permessage-deflate; server_no_context_takeover"
/// Interleaved off/shared pairs.
private let fanOutPairs = 5

/// The simulator's flow as the gateway sees it: its ticks that reach a depth-10 subscriber (quotes that
/// change the top 10, trades, status), and its symbols by locate (locate i + 1 is `symbols[i]`).
private func simulatorFlow(messages: Int) -> (ticks: [Tick], symbols: [Symbol]) {
    let all = simulatedTicks(messages: messages)
    var byLocate: [UInt16: Symbol] = [:]
    for t in all where byLocate[t.locate] == nil { byLocate[t.locate] = t.symbol }
    let symbols = (1...max(1, byLocate.count)).map { byLocate[UInt16($0)] ?? Symbol(raw: 0) }
    let ticks = all.filter { ($0.kind != .quote || Int($0.changedLevel) < Tick.depth) && Int($0.locate) <= symbols.count }
    return (ticks, symbols)
}

/// The zlib level under test: `QC_DEFLATE_LEVEL` (1...9), else the server's default.
private func deflateLevel() -> Int {
    if let text = ProcessInfo.processInfo.environment["QC_DEFLATE_LEVEL"], let n = Int(text), (1...9).contains(n) { return n }
    return DeflateConfiguration().level
}

private func deflateConfiguration(_ mode: DeflateMode) -> DeflateConfiguration {
    var c = DeflateConfiguration()
    c.mode = mode
    c.level = deflateLevel()
    return c
}

/// Whether every client of `rig` got the compression `mode` promised it (else says which did not).
private func negotiated(_ rig: FanOutRig, _ expected: (uncompressed: Int, shared: Int, ownContext: Int)) -> Bool {
    let s = rig.server.statistics
    let got = (s.clientsUncompressed.load(ordering: .relaxed), s.clientsSharedDeflate.load(ordering: .relaxed),
               s.clientsOwnContextDeflate.load(ordering: .relaxed))
    if got != expected { printError("negotiation: clients uncompressed/shared/own context \(got), expected \(expected)") }
    return got == expected
}

/// `gateway.fanout.deflate`: 1 000 clients offering permessage-deflate as browsers do, on a server
/// with `--deflate off` and one with `--deflate shared`; `fanOutPairs` pairs of runs of `ticks`
/// ticks, the two in alternating order, each pair on the same stretch of the flow.
private func fanOutDeflate(clients: Int, ticks: Int) -> [BenchmarkResult] {
    let prefix = "gateway.fanout.deflate"
    let flow = simulatorFlow(messages: isOptimizedBuild ? 400_000 : 40_000)
    let layout = FanOutClient.spread(clients, over: flow.symbols.count, offer: contextOffer)
    guard let plain = FanOutRig(name: prefix + " (off)", clients: layout, symbols: flow.symbols, deflate: deflateConfiguration(.off)),
          negotiated(plain, (plain.clients.count, 0, 0)) else { return [BenchmarkResult(name: prefix, value: .nan, unit: "", runs: 0)] }
    defer { plain.stop() }
    guard let shared = FanOutRig(name: prefix + " (shared)", clients: layout, symbols: flow.symbols, deflate: deflateConfiguration(.shared)),
          negotiated(shared, (0, shared.clients.count, 0)) else { return [BenchmarkResult(name: prefix, value: .nan, unit: "", runs: 0)] }
    defer { shared.stop() }
    var offRuns: [FanOutRun] = []
    var sharedRuns: [FanOutRun] = []
    var ratios: [Double] = []
    var cpuRatios: [Double] = []
    let stats = shared.server.statistics
    let compressionsBefore = stats.deflateMessages.load(ordering: .relaxed)
    let compressionNanosecondsBefore = stats.deflateNanoseconds.load(ordering: .relaxed)
    for pair in 0..<fanOutPairs {
        let offset = pair * ticks
        let tick = { (k: Int) in flow.ticks[(offset + k) % flow.ticks.count] }
        var off: FanOutRun?
        var on: FanOutRun?
        if pair % 2 == 0 {
            off = plain.run(ticks: ticks, tick)
            on = shared.run(ticks: ticks, tick)
        } else {
            on = shared.run(ticks: ticks, tick)
            off = plain.run(ticks: ticks, tick)
        }
        guard let off, let on else { continue }
        offRuns.append(off)
        sharedRuns.append(on)
        ratios.append(on.messagesPerSecond / off.messagesPerSecond)
        cpuRatios.append(on.serverNanosecondsPerMessage / off.serverNanosecondsPerMessage)
    }
    plain.warnIfConflated()
    shared.warnIfConflated()
    let compressions = stats.deflateMessages.load(ordering: .relaxed) - compressionsBefore
    let compressionNanoseconds = stats.deflateNanoseconds.load(ordering: .relaxed) - compressionNanosecondsBefore
    let n = offRuns.count
    func result(_ name: String, _ value: Double, _ unit: String, runs: Int = n) -> BenchmarkResult {
        BenchmarkResult(name: prefix + "." + name, value: value, unit: unit, runs: runs)
    }
    return [
        result("off.msgs", median(offRuns.map(\.messagesPerSecond)), "msgs/s"),
        result("shared.msgs", median(sharedRuns.map(\.messagesPerSecond)), "msgs/s"),
        result("ratio", median(ratios), "x"),
        result("off.server_cpu_ns", median(offRuns.map(\.serverNanosecondsPerMessage)), "cpu-ns/msg"),
        result("shared.server_cpu_ns", median(sharedRuns.map(\.serverNanosecondsPerMessage)), "cpu-ns/msg"),
        result("cpu_ratio", median(cpuRatios), "x"),
        result("shared.compress_ns", Double(compressionNanoseconds) / Double(max(1, compressions)), "cpu-ns/compression", runs: 1),
        // How much each compression is shared: ticks are compressed once per encoded frame (per
        // effective depth and distinct `prev`), and each frame reaches the clients that asked for it.
        result("shared.compressions_per_tick", Double(compressions) / Double(max(1, sharedRuns.reduce(0) { $0 + $1.ticks })),
               "compressions/tick", runs: 1),
        result("shared.deliveries_per_compression", Double(sharedRuns.reduce(0) { $0 + $1.messages }) / Double(max(1, compressions)),
               "msgs/compression", runs: 1),
        result("off.wire_bytes", median(offRuns.map(\.bytesPerMessage)), "bytes/msg"),
        result("shared.wire_bytes", median(sharedRuns.map(\.bytesPerMessage)), "bytes/msg"),
        result("off.memory_per_client", plain.memoryPerClient(), "bytes", runs: 1),
        result("shared.memory_per_client", shared.memoryPerClient(), "bytes", runs: 1),
        result("shared.zlib_bytes", Double(stats.compressionMemory.bytes), "bytes", runs: 1),
    ]
}

/// `gateway.fanout.full`: 1 000 clients that keep context (`--deflate full`, the browsers' offer):
/// every message is compressed once per client; throughput, server CPU and memory per connection.
private func fanOutFull(clients: Int, ticks: Int) -> [BenchmarkResult] {
    let prefix = "gateway.fanout.full"
    let flow = simulatorFlow(messages: isOptimizedBuild ? 100_000 : 40_000)
    let layout = FanOutClient.spread(clients, over: flow.symbols.count, offer: contextOffer)
    guard let rig = FanOutRig(name: prefix, clients: layout, symbols: flow.symbols, deflate: deflateConfiguration(.full)),
          negotiated(rig, (0, 0, rig.clients.count)) else { return [BenchmarkResult(name: prefix, value: .nan, unit: "", runs: 0)] }
    defer { rig.stop() }
    var runs: [FanOutRun] = []
    for r in 0..<3 {
        if let run = rig.run(ticks: ticks, { flow.ticks[(r * ticks + $0) % flow.ticks.count] }) { runs.append(run) }
    }
    rig.warnIfConflated()
    let zlib = Double(rig.server.statistics.compressionMemory.bytes) / Double(rig.clients.count)
    return [
        BenchmarkResult(name: prefix + ".msgs", value: median(runs.map(\.messagesPerSecond)), unit: "msgs/s", runs: runs.count),
        BenchmarkResult(name: prefix + ".server_cpu_ns", value: median(runs.map(\.serverNanosecondsPerMessage)), unit: "cpu-ns/msg", runs: runs.count),
        BenchmarkResult(name: prefix + ".wire_bytes", value: median(runs.map(\.bytesPerMessage)), unit: "bytes/msg", runs: runs.count),
        BenchmarkResult(name: prefix + ".memory_per_client", value: rig.memoryPerClient(), unit: "bytes", runs: 1),
        BenchmarkResult(name: prefix + ".zlib_per_client", value: zlib, unit: "bytes", runs: 1),
    ]
}

/// Per client of `gateway.deflate`: its inflater, and the quotes it read (count, bytes on the wire
/// with frame headers, bytes of JSON). Filled by the drain thread, read once the flow is delivered.
private final class QuoteTally: @unchecked Sendable {
    // @unchecked: `state` is behind a mutex; the inflaters are used by the drain thread only.
    struct Counts {
        var quotes = 0
        var wireBytes = 0
        var jsonBytes = 0
    }
    private let inflaters: [MessageInflater?]
    let state: Mutex<(counts: [Counts], failures: Int)>
    private static let quotePrefix = Array(#"{"type":"quote""#.utf8)

    init(inflaters: [MessageInflater?]) {
        self.inflaters = inflaters
        state = Mutex((Array(repeating: Counts(), count: inflaters.count), 0))
    }

    /// A frame from the drain thread: inflated when RSV1 says so, counted when it is a quote.
    func frame(_ i: Int, first: UInt8, headerBytes: Int, payload: [UInt8]) {
        var message = payload
        if first & 0x40 != 0 {
            guard let inflated = try? inflaters[i]?.inflate(payload, text: true).get() else {
                state.withLock { $0.failures += 1 }
                return
            }
            message = inflated
        }
        guard message.starts(with: QuoteTally.quotePrefix) else { return }
        state.withLock {
            $0.counts[i].quotes += 1
            $0.counts[i].wireBytes += headerBytes + payload.count
            $0.counts[i].jsonBytes += message.count
        }
    }

    /// Forgets what was counted (the snapshots before the flow).
    func reset() { state.withLock { $0.counts = Array(repeating: Counts(), count: $0.counts.count) } }
}

/// `gateway.deflate`: two clients of each kind (plain, shared frames, a context of their own) at depth
/// 10 and at depth 1, all on the flow's 20 busiest symbols (a phone following 20 active symbols), on
/// one `--deflate full` server; the whole flow once, in chunks (so no client falls behind). Bytes per
/// delivered quote on the wire (frame header included) and of JSON.
private func bytesPerQuote(messages: Int) -> [BenchmarkResult] {
    let prefix = "gateway.deflate"
    let flow = simulatorFlow(messages: messages)
    var activity = [Int](repeating: 0, count: flow.symbols.count)
    for t in flow.ticks { activity[Int(t.locate) - 1] += 1 }
    let busiest = Array(activity.indices.sorted { activity[$0] > activity[$1] }.prefix(20))
    let kinds: [(label: String, offer: String?)] = [("off", nil), ("shared", noContextOffer), ("full", contextOffer)]
    var layout: [FanOutClient] = []
    var inflaters: [MessageInflater?] = []
    var group: [(label: String, depth: Int)] = []
    for depth in [10, 1] {
        for kind in kinds {
            for _ in 0..<2 {
                layout.append(FanOutClient(offer: kind.offer, depth: depth, symbols: busiest))
                inflaters.append(kind.offer == nil ? nil : MessageInflater(contextTakeover: kind.label == "full"))
                group.append((kind.label, depth))
            }
        }
    }
    let tally = QuoteTally(inflaters: inflaters)
    guard let rig = FanOutRig(name: prefix, clients: layout, symbols: flow.symbols, deflate: deflateConfiguration(.full),
                              frame: { tally.frame($0, first: $1, headerBytes: $2, payload: $3) }),
          negotiated(rig, (4, 4, 4)) else { return [BenchmarkResult(name: prefix, value: .nan, unit: "", runs: 0)] }
    defer { rig.stop() }
    tally.reset()
    let chunk = 5_000
    for start in stride(from: 0, to: flow.ticks.count, by: chunk) {
        guard rig.run(ticks: min(chunk, flow.ticks.count - start), { flow.ticks[start + $0] }) != nil else {
            return [BenchmarkResult(name: prefix, value: .nan, unit: "", runs: 0)]
        }
    }
    rig.warnIfConflated()
    let (counts, failures) = tally.state.withLock { ($0.counts, $0.failures) }
    if failures > 0 { printError("\(prefix): \(failures) compressed messages did not inflate") }
    var results: [BenchmarkResult] = []
    for depth in [10, 1] {
        let name = "\(prefix).quote\(depth)"
        let mine = group.indices.filter { group[$0].depth == depth }
        let quotes = Set(mine.map { counts[$0].quotes })
        if quotes.count != 1 { printError("\(name): clients received different numbers of quotes: \(quotes.sorted())") }
        let json = mine.reduce(0) { $0 + counts[$1].jsonBytes }
        results.append(BenchmarkResult(name: name + ".json_bytes", value: Double(json) / Double(max(1, mine.reduce(0) { $0 + counts[$1].quotes })),
                                       unit: "bytes/quote", runs: 1))
        results.append(BenchmarkResult(name: name + ".quotes", value: Double(quotes.max() ?? 0), unit: "quotes/client", runs: 1))
        for kind in kinds {
            let clients = mine.filter { group[$0].label == kind.label }
            let wire = clients.reduce(0) { $0 + counts[$1].wireBytes }
            let delivered = clients.reduce(0) { $0 + counts[$1].quotes }
            results.append(BenchmarkResult(name: "\(name).\(kind.label).bytes", value: Double(wire) / Double(max(1, delivered)),
                                           unit: "bytes/quote", runs: 1))
        }
    }
    return results
}

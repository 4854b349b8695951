// End-to-end benchmarks (issue 9): `quotecast load` against `quotecast serve`, each in its own
// process, on loopback; and the harness's own reading speed (its scanner alone, and --self-test).
// Server, harness and the machine's other work share 2 vCPUs here: the figures are the whole
// system's on this machine, not the gateway's alone.
import CShim
import Foundation
import Glibc
import LoadTest
import Market
import Sockets
import System

/// The end-to-end suite: `e2e.<clients>.*` and `load.*`.
let endToEndSuite: [Benchmark] = [
    Benchmark(name: "load.scan") { loadScan() },
    Benchmark(name: "load.selftest") { loadSelfTest() },
    Benchmark(name: "e2e.1000") { endToEnd(clients: isOptimizedBuild ? 1000 : 100) },
    Benchmark(name: "e2e.10000") { endToEnd(clients: isOptimizedBuild ? 10_000 : 300) },
    Benchmark(name: "idle.serve") { idleServe() },
    Benchmark(name: "curve.adaptive") { cpuCurve(wait: "adaptive") },
    Benchmark(name: "curve.spinning") { cpuCurve(wait: "spinning") },
    Benchmark(name: "curve.node") { cpuCurve(wait: "adaptive", node: true) },
]

/// Whether `taskset` can pin the server and the load driver to a core each.
private let canPin = FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") && sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2

/// Issue 23's curve: 1 000 clients (100 in a debug build) on 10 of 100 symbols at depth 5, the
/// server pinned to CPU 0 and `quotecast load` to CPU 1, at five simulator rates chosen to offer
/// ~100 k to ~1 M deliveries/s. Per point: delivered msgs/s, the server's CPU-s per million
/// deliveries (its own process_cpu_seconds_total, as `quotecast load` reports it), p99 (now − rt)
/// and `writev` calls per delivered message. Median of the runs at each point. `node`: a `gateway`
/// node behind a `feed` node (on the load's core) instead of `serve`; its figures are the gateway's.
private func cpuCurve(wait: String, node: Bool = false) -> [BenchmarkResult] {
    let clients = isOptimizedBuild ? 1_000 : 100
    raiseOpenFileLimit(to: 2 * clients + 1024)
    var results: [BenchmarkResult] = []
    for rate in isOptimizedBuild ? [1_200, 3_000, 6_000, 9_000, 13_000] : [500, 2_000] {
        let runs = (0..<e2eRuns).compactMap { _ in
            e2eRun(clients: clients, rate: rate, depth: 5, serveExtra: ["--wait", wait], pinned: canPin, node: node)
        }
        let prefix = "curve.\(node ? "node" : wait).\(rate)"
        results += [
            BenchmarkResult(name: prefix + ".msgs", value: median(runs.map(\.msgsPerSecond)), unit: "msgs/s", runs: runs.count),
            BenchmarkResult(name: prefix + ".server_cpu_s_per_million", value: median(runs.compactMap(\.serverCPUPerMillion)),
                            unit: "CPU-s", runs: runs.count),
            BenchmarkResult(name: prefix + ".p99", value: median(runs.compactMap(\.p99)), unit: "ms", runs: runs.count),
            BenchmarkResult(name: prefix + ".writes_per_msg", value: median(runs.compactMap(\.writesPerDelivery)),
                            unit: "writev/msg", runs: runs.count),
        ]
    }
    return results
}

/// `quotecast serve` with no client connected (issue 23): % of one core over 10 s, from
/// /proc/PID/stat, at `--rate 10000` and `--rate 100` under each `--wait`; the server pinned to CPU 0
/// with `taskset` when it is installed. Median of three runs of a fresh server each.
private func idleServe() -> [BenchmarkResult] {
    let seconds: UInt32 = isOptimizedBuild ? 10 : 3
    let taskset = FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset")
    var results: [BenchmarkResult] = []
    for rate in [10_000, 100] {
        for wait in ["adaptive", "blocking", "spinning"] {
            var percents: [Double] = []
            for _ in 0..<3 {
                let server = Process()
                let serve = ["serve", "--listen", "127.0.0.1:0", "--rate", String(rate), "--wait", wait, "--status-interval", "5"]
                setCommand(of: server, serve, pinnedTo: taskset ? 0 : nil)
                server.standardError = FileHandle.nullDevice
                server.standardOutput = FileHandle.nullDevice
                do { try server.run() } catch { printError("idle.serve: cannot start serve: \(error)"); return results }
                // Past start-up (books filling, the adaptive spin learning), then the measured window.
                usleep(3_000_000)
                let before = processCPUSeconds(server.processIdentifier), start = Clock.monotonic()
                usleep(seconds * 1_000_000)
                let after = processCPUSeconds(server.processIdentifier), elapsed = Double(Clock.monotonic() - start) / 1e9
                server.interrupt()
                server.waitUntilExit()
                if let before, let after { percents.append(100 * (after - before) / elapsed) }
            }
            results.append(BenchmarkResult(name: "idle.serve.\(rate).\(wait)", value: median(percents), unit: "% core",
                                           runs: percents.count))
        }
    }
    return results
}

private let e2eRuns = isOptimizedBuild ? 3 : 1
/// The simulator's ITCH rate for an end-to-end run with `clients` clients on 10 of 100 symbols each:
/// 1 000 messages/s make ~9 updates/s per symbol, so 10 000 clients ask for ~900 k deliveries/s;
/// 1 000 clients get 12 000 messages/s, asking for ~1.1 M deliveries/s (the issue's bar is 1 M/s
/// there). What the gateway delivers of it, and how late, is the measurement.
private func e2eRate(clients: Int) -> Int { clients <= 1_000 ? 12_000 : 1_000 }

/// The scanner alone over realistic messages in memory, on one core: messages validated and picked
/// apart per second, over the mix (quotes at depth 10, 1 and 5, a trade) and per kind.
private func loadScan() -> [BenchmarkResult] {
    var tick = Tick()
    tick.symbol = Symbol("AAPL")!
    tick.seq = 1_234_567
    tick.timestamp = 34_200_123_456_789
    tick.receiveTime = 1_764_079_200_123_456_789
    tick.bidCount = 10
    tick.askCount = 10
    for i in 0..<10 {
        tick.bids[i] = PriceLevel(price: UInt32(1_892_500 - i * 100), size: UInt32(100 * (i + 1)))
        tick.asks[i] = PriceLevel(price: UInt32(1_892_600 + i * 100), size: UInt32(100 * (i + 1)))
    }
    var messages: [[UInt8]] = []
    var buffer = [UInt8](repeating: 0, count: TickJSON.maxLength)
    for (kind, depth) in [(TickKind.quote, 10), (.quote, 1), (.quote, 5), (.trade, 10)] {
        tick.kind = kind
        let n = buffer.withUnsafeMutableBufferPointer { TickJSON.encode(tick, depth: depth, into: $0.baseAddress!) }
        messages.append(Array(buffer[0..<n]))
    }
    let rounds = isOptimizedBuild ? 2_000_000 : 20_000
    /// Messages per second over `rounds` scans cycling through `set` (indices into `messages`).
    func rate(_ set: [Int]) -> Double {
        medianOf(runs: 5) {
            var m = ServerMessage()
            var seqSum: UInt64 = 0
            let start = Clock.monotonic()
            for r in 0..<rounds {
                messages[set[r % set.count]].withUnsafeBytes { raw in
                    m.reset()
                    if MessageScanner.scan(raw, into: &m) { seqSum &+= m.seq }
                }
            }
            let seconds = Double(Clock.monotonic() - start) / 1e9
            precondition(seqSum == UInt64(rounds) * 1_234_567, "scanner lost a field")
            return Double(rounds) / seconds
        }
    }
    let bytes = messages.map(\.count)
    return [BenchmarkResult(name: "load.scan", value: rate([0, 1, 2, 3]), unit: "msgs/s", runs: 5),
            BenchmarkResult(name: "load.scan.quote10", value: rate([0]), unit: "msgs/s (\(bytes[0]) B)", runs: 5),
            BenchmarkResult(name: "load.scan.quote1", value: rate([1]), unit: "msgs/s (\(bytes[1]) B)", runs: 5),
            BenchmarkResult(name: "load.scan.trade", value: rate([3]), unit: "msgs/s (\(bytes[3]) B)", runs: 5)]
}

/// The built `quotecast` next to this benchmark binary.
private var quotecastBinary: String {
    URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("quotecast").path
}

/// Runs `quotecast args` to the end (bounded by `timeout`), returning its exit status and stdout.
private func runQuotecast(_ args: [String], timeout: Double, pinnedTo cpu: Int? = nil) -> (status: Int32, stdout: String) {
    let process = Process()
    setCommand(of: process, args, pinnedTo: cpu)
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { printError("cannot run \(quotecastBinary): \(error)"); return (-1, "") }
    let deadline = Date().addingTimeInterval(timeout)
    let collected = Box(Data())
    let readDone = DispatchSemaphore(value: 0)
    Thread {
        collected.value = out.fileHandleForReading.readDataToEndOfFile()
        readDone.signal()
    }.start()
    while process.isRunning && Date() < deadline { usleep(50_000) }
    if process.isRunning { process.interrupt(); usleep(2_000_000); if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    process.waitUntilExit()
    readDone.wait()
    return (process.terminationStatus, String(decoding: collected.value, as: UTF8.self))
}

/// The harness against its in-process sender (depth 1, 4 clients, one driver thread): messages
/// read per second of the driver thread's CPU, and per wall second.
private func loadSelfTest() -> [BenchmarkResult] {
    var perCPU: [Double] = []
    var wall: [Double] = []
    for _ in 0..<e2eRuns {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("qc-selftest-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: json) }
        _ = runQuotecast(["load", "--self-test", "--duration", isOptimizedBuild ? "5" : "1", "--quiet", "--json", json], timeout: 60)
        guard let report = readJSON(json) else { continue }
        let harness = report["harness"] as? [String: Any]
        let threadCPU = (harness?["thread_cpu_s"] as? [Double])?.reduce(0, +) ?? 0
        let delivered = report["delivered"] as? [String: Any]
        if threadCPU > 0, let total = delivered?["total_messages"] as? Double { perCPU.append(total / threadCPU) }
        if let rate = delivered?["msgs_per_s"] as? Double { wall.append(rate) }
    }
    return [BenchmarkResult(name: "load.selftest.per_cpu", value: median(perCPU), unit: "msgs/cpu-s", runs: perCPU.count),
            BenchmarkResult(name: "load.selftest.wall", value: median(wall), unit: "msgs/s", runs: wall.count)]
}

/// Makes `process` run `quotecast args`, under `taskset -c cpu` when `cpu` is given.
private func setCommand(of process: Process, _ args: [String], pinnedTo cpu: Int?) {
    if let cpu {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        process.arguments = ["-c", String(cpu), quotecastBinary] + args
    } else {
        process.executableURL = URL(fileURLWithPath: quotecastBinary)
        process.arguments = args
    }
}

private func readJSON(_ path: String) -> [String: Any]? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
}

/// CPU seconds (user + system) process `pid` has used, from /proc/PID/stat (nil if it is gone).
private func processCPUSeconds(_ pid: Int32) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Resident memory of process `pid`, KiB (0 if it is gone).
private func residentKiB(_ pid: Int32) -> Double {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

/// What one end-to-end run measured.
private struct EndToEndRun {
    var msgsPerSecond = 0.0
    var p50: Double?, p99: Double?, p999: Double?
    /// The server's CPU over the load run per million messages delivered (from /proc/PID/stat).
    var serverCPUPerMillion: Double?
    /// The server's resident memory growth per connected client, KiB.
    var kibPerClient: Double?
    /// The server's `writev` calls per delivered message (`quotecast load`'s `server_writes`).
    var writesPerDelivery: Double?
}

/// `quotecast serve` (simulator at `rate`) in its own process — or, with `node`, a `quotecast feed`
/// (simulator at `rate`, multicast on loopback) and a `quotecast gateway` behind it — and `quotecast
/// load` with `clients` clients, each subscribed to 10 of its 100 symbols at `depth`, for a few
/// seconds, on fresh processes. With `pinned`, the server (the gateway node) runs on CPU 0, the load
/// (and the feed node) on CPU 1. The figures are the server's (the gateway node's). Nil when it did
/// not run.
private func e2eRun(clients: Int, rate: Int, depth: Int = 10, serveExtra: [String] = [], pinned: Bool = false,
                    node: Bool = false) -> EndToEndRun? {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("qc-e2e-serve-\(getpid()).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    var feed: Process?
    defer {
        if let feed {
            if feed.isRunning { feed.terminate() }
            feed.waitUntilExit()
        }
    }
    let clientFlags = ["--listen", "127.0.0.1:0", "--max-clients", String(clients + 100)] + serveExtra
    let server = Process()
    if node {
        // A group and service port of this process's own, so two benchmark runs do not meet.
        let group = "239.255.\(Int(getpid()) % 200 + 20).\(Int.random(in: 1...200)):\(Int.random(in: 20_000...40_000))"
        let service = "127.0.0.1:\(Int.random(in: 40_001...60_000))"
        let f = Process()
        setCommand(of: f, ["feed", "--publish", group, "--channels", "4", "--service", service, "--rate", String(rate),
                           "--linger", "0"], pinnedTo: pinned ? 1 : nil)
        f.standardError = FileHandle.nullDevice
        f.standardOutput = FileHandle.nullDevice
        do { try f.run() } catch { printError("e2e: cannot start feed: \(error)"); return nil }
        feed = f
        setCommand(of: server, ["gateway", "--upstream", group, "--channels", "4", "--service", service] + clientFlags,
                   pinnedTo: pinned ? 0 : nil)
    } else {
        setCommand(of: server, ["serve", "--rate", String(rate), "--status-interval", "600"] + clientFlags, pinnedTo: pinned ? 0 : nil)
    }
    server.standardError = try? FileHandle(forWritingTo: log)
    server.standardOutput = FileHandle.nullDevice
    do { try server.run() } catch { printError("e2e: cannot start the server: \(error)"); return nil }
    defer {
        if server.isRunning { server.terminate() }
        server.waitUntilExit()
    }
    var port = ""
    let deadline = Date().addingTimeInterval(20)
    while port.isEmpty && Date() < deadline {
        usleep(50_000)
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        if let line = text.split(separator: "\n").first(where: { $0.contains("event=serve_started") || $0.contains("event=gateway_started") }),
           let listen = line.split(separator: " ").first(where: { $0.hasPrefix("listen=") }) {
            port = String(listen.split(separator: ":").last ?? "")
        }
    }
    if node {
        // A gateway node refuses clients (503 not_ready) until it has synchronized with the feed node.
        while Date() < deadline, !(httpStatus(port: port, path: "/healthz") == 200) { usleep(100_000) }
    }
    guard !port.isEmpty else { printError("e2e: the server did not start"); return nil }
    usleep(500_000)
    let baseKiB = residentKiB(server.processIdentifier)
    let json = FileManager.default.temporaryDirectory.appendingPathComponent("qc-e2e-\(getpid()).json").path
    defer { try? FileManager.default.removeItem(atPath: json) }
    // Sample the server's memory while the clients are connected.
    let peak = Box(baseKiB)
    let stop = Box(false)
    let pid = server.processIdentifier
    let sampling = DispatchSemaphore(value: 0)
    Thread {
        while !stop.value { peak.value = max(peak.value, residentKiB(pid)); usleep(200_000) }
        sampling.signal()
    }.start()
    let cpuBefore = processCPUSeconds(pid)
    let result = runQuotecast(["load", "--url", "ws://127.0.0.1:\(port)/v1/stream", "--clients", String(clients),
                               "--symbols-per-client", "10", "--depth", String(depth), "--duration", isOptimizedBuild ? "5" : "2",
                               "--connect-rate", "2000", "--connect-timeout", "30", "--quiet", "--json", json],
                              timeout: 180, pinnedTo: pinned ? 1 : nil)
    let cpuAfter = processCPUSeconds(pid)
    stop.value = true
    sampling.wait()
    guard let report = readJSON(json) else { printError("e2e: load wrote no report (status \(result.status))"); return nil }
    if result.status != 0 { printError("e2e.\(clients): load exited \(result.status) (see its report)") }
    let delivered = report["delivered"] as? [String: Any]
    let latency = report["latency_ms"] as? [String: Any]
    var run = EndToEndRun()
    run.msgsPerSecond = delivered?["msgs_per_s"] as? Double ?? 0
    run.p50 = latency?["p50"] as? Double
    run.p99 = latency?["p99"] as? Double
    run.p999 = latency?["p99.9"] as? Double
    // The server's CPU over the whole load run (connects included) per million messages it
    // delivered in that run; `quotecast load` reports the same from the server's
    // process_cpu_seconds_total (server_cpu in its report).
    if let total = delivered?["total_messages"] as? Double, total > 0, let before = cpuBefore, let after = cpuAfter {
        run.serverCPUPerMillion = (after - before) / (total / 1e6)
    }
    run.writesPerDelivery = (report["server_writes"] as? [String: Any])?["write_calls_per_delivery"] as? Double
    let connected = (report["connects"] as? [String: Any])?["ok"] as? Double ?? Double(clients)
    if connected > 0 { run.kibPerClient = (peak.value - baseKiB) / connected }
    return run
}

/// `e2e.<clients>`: `e2eRun` at `e2eRate(clients:)`, depth 10, `e2eRuns` times. Reports delivered
/// msgs/s, latency p50/p99/p99.9 (ms, from `rt`), the server's CPU per million deliveries and its
/// resident memory growth per client.
private func endToEnd(clients: Int) -> [BenchmarkResult] {
    // Children inherit the descriptor limit: raise it here for both server and harness.
    raiseOpenFileLimit(to: 2 * clients + 1024)
    let runs = (0..<e2eRuns).compactMap { _ in e2eRun(clients: clients, rate: e2eRate(clients: clients)) }
    let prefix = "e2e.\(clients)"
    return [BenchmarkResult(name: "\(prefix).msgs", value: median(runs.map(\.msgsPerSecond)), unit: "msgs/s", runs: runs.count),
            BenchmarkResult(name: "\(prefix).p50", value: median(runs.compactMap(\.p50)), unit: "ms", runs: runs.count),
            BenchmarkResult(name: "\(prefix).p99", value: median(runs.compactMap(\.p99)), unit: "ms", runs: runs.count),
            BenchmarkResult(name: "\(prefix).p99.9", value: median(runs.compactMap(\.p999)), unit: "ms", runs: runs.count),
            BenchmarkResult(name: "\(prefix).server_cpu_s_per_million", value: median(runs.compactMap(\.serverCPUPerMillion)),
                            unit: "CPU-s", runs: runs.count),
            BenchmarkResult(name: "\(prefix).server_kib_per_client", value: median(runs.compactMap(\.kibPerClient)), unit: "KiB",
                            runs: runs.count)]
}

/// A value shared between the benchmark thread and one helper thread, behind a lock.
private final class Box<T>: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private var stored: T
    private let lock = NSLock()
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}

/// The HTTP status of `GET path` on 127.0.0.1:`port` (nil when nothing answers within 2 s).
private func httpStatus(port: String, path: String) -> Int? {
    guard let p = UInt16(port), let address = SocketAddress(host: "127.0.0.1", port: p),
          let c = try? TCPConnection.connect(to: address, blocking: true) else { return nil }
    defer { c.close() }
    guard (try? c.writeAll(Array("GET \(path) HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".utf8))) != nil else { return nil }
    var ready = pollfd(fd: c.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
    guard poll(&ready, 1, 2000) > 0 else { return nil }
    var head = [UInt8](repeating: 0, count: 64)
    let n = head.withUnsafeMutableBytes { recv(c.descriptor.rawValue, $0.baseAddress, 64, 0) }
    guard n >= 12 else { return nil }
    return Int(String(decoding: head[9..<12], as: UTF8.self))  // "HTTP/1.1 200"
}

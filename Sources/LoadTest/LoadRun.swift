import Foundation
import Market
import Sockets
import StreamClient
import System

/// One load run: resolves the symbols, builds every client's watchlist, starts the driver
/// threads, drives the profile (connect ramp, window, churn, storm, ramp steps), prints the live
/// line and returns the report. Runs on the caller's thread (the coordinator).
public final class LoadRun {
    /// The configuration the run was given.
    public let configuration: LoadConfiguration
    private let url: StreamURL
    private let log: @Sendable (String) -> Void

    /// A run of `configuration`; `log` gets the live lines and notices (stderr in the CLI).
    /// Throws a `LoadConfigurationError` for a bad `--url`.
    public init(_ configuration: LoadConfiguration, log: @escaping @Sendable (String) -> Void) throws(LoadConfigurationError) {
        self.configuration = configuration
        self.log = log
        do {
            url = try StreamURL(configuration.url)
        } catch {
            throw LoadConfigurationError("--url", error.description)
        }
    }

    /// Runs to the end; `interrupted` is polled (SIGINT/SIGTERM in the CLI) to stop early, which
    /// still produces a report. Throws `LoadRunError` when the run cannot start at all.
    public func run(interrupted: () -> Bool = { false }) throws(LoadRunError) -> LoadReport {
        let c = configuration
        let host = url.socketAddress.host
        let port = url.port

        // Symbols: given, or the gateway's list.
        let symbols: [String]
        if let given = c.symbols {
            symbols = given
        } else {
            // A gateway that just started may list no symbols until the feed has announced them:
            // ask again for up to --connect-timeout (at least 5 s) while the list is empty or 503.
            let deadline = Clock.monotonic() + UInt64(max(c.connectTimeout, 5) * 1e9)
            var names: [String] = []
            while true {
                let answer: (status: Int, body: [UInt8])
                do {
                    answer = try HTTPFetch.get(host: host, port: port, hostHeader: url.hostHeader, path: "/v1/symbols",
                                               headers: authorization(client: 0))
                } catch {
                    throw LoadRunError("cannot fetch the symbol list: \(error) (is the gateway at \(url) up? or give --symbol-list)")
                }
                let listed = answer.status == 200 ? HTTPFetch.symbols(fromJSON: answer.body) : nil
                if let listed, !listed.isEmpty { names = listed; break }
                let retry = (answer.status == 200 && HTTPFetch.isEmptyList(answer.body)) || answer.status == 503
                guard retry, Clock.monotonic() < deadline else {
                    throw LoadRunError("GET /v1/symbols answered \(answer.status) without a symbol list; give --symbol-list A,B,…")
                }
                usleep(200_000)
            }
            symbols = names
        }
        let usable = symbols.filter { SymbolKey.make($0) != nil }
        guard !usable.isEmpty else { throw LoadRunError("no usable symbols (1 to 8 bytes each)") }

        let limit = raiseOpenFileLimit(to: c.clients + 256)
        guard limit >= c.clients + 32 else {
            throw LoadRunError("descriptor limit \(limit) is too low for \(c.clients) clients; raise it (ulimit -n \(c.clients + 256))")
        }

        let metricsBefore = c.fetchMetrics ? fetchMetrics(host: host, port: port) : nil

        // Watchlists and slow clients, reproducible from --seed.
        let sampler = SymbolSampler(count: usable.count, distribution: c.distribution)
        var random = SplitMix64(seed: c.seed)
        let slowCount = Int((Double(c.clients) * c.slowFraction).rounded())
        var slowSet = Set<Int>()
        var order = Array(0..<c.clients)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        slowSet.formUnion(order.prefix(slowCount))
        var perThread = Array(repeating: [ClientSlot](), count: c.threads)
        var popularity = [Int](repeating: 0, count: usable.count)
        for index in 0..<c.clients {
            let picks = sampler.distinct(c.symbolsPerClient, &random)
            for p in picks { popularity[p] += 1 }
            perThread[index % c.threads].append(ClientSlot(index: index, slow: slowSet.contains(index),
                                                           symbols: picks.map { usable[$0] }, depth: c.depth,
                                                           upgradeHeaders: authorization(client: index)))
        }

        let control = LoadControl(threads: c.threads)
        var workers: [LoadWorker] = []
        do {
            for t in 0..<c.threads {
                workers.append(try LoadWorker(id: t, configuration: c, url: url, host: host, port: port,
                                              control: control, slots: perThread[t]))
            }
        } catch {
            throw LoadRunError("cannot create the event loops: \(error)")
        }
        let cpuStart = Clock.processCPU()
        let started = Clock.monotonic()
        let done = DispatchSemaphore(value: 0)
        for worker in workers {
            let thread = Thread {
                worker.run()
                done.signal()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }

        // The profile.
        var target = c.profile == .ramp ? min(c.rampStart, c.clients) : c.clients
        control.target.store(target, ordering: .relaxed)
        var windowStart: UInt64?
        var lastLine = started
        var lastMessages: UInt64 = 0
        var lastBytes: UInt64 = 0
        var stormFired = false
        var stormResult: (generation: Int, nanoseconds: UInt64)?
        var steps: [RampStep] = []
        var stepStart: UInt64 = 0
        var stepHistogram = LatencyHistogram()
        var stepMessages: UInt64 = 0
        var capacity: Int?
        var stopReason = "duration"
        let connectDeadline = started + UInt64((Double(target) / c.connectRate + c.connectTimeout + 5) * 1e9)
        while true {
            usleep(50_000)
            let now = Clock.monotonic()
            let (total, fresh) = control.board.withLock { board -> (WorkerProgress, LatencyHistogram) in
                let h = board.interval
                board.interval.reset()
                return (board.total, h)
            }
            stepHistogram.merge(fresh)
            secondHistogram.merge(fresh)
            if interrupted() { stopReason = "interrupted"; break }

            if windowStart == nil {
                let settled = total.subscribed + total.connectsFailed >= target || now >= connectDeadline
                if settled {
                    windowStart = now
                    control.measuring.store(true, ordering: .relaxed)
                    stepStart = now
                    stepHistogram.reset()
                    stepMessages = total.messages
                    log("level=info event=load_window_open clients=\(total.subscribed) connect_failed=\(total.connectsFailed) after_s=\(format(Double(now - started) / 1e9))")
                }
            }
            if now - lastLine >= 1_000_000_000 {
                let seconds = Double(now - lastLine) / 1e9
                if c.progress {
                    let p99 = secondHistogram.quantile(0.99).map { format(Double($0) / 1e6) } ?? "-"
                    log("level=info event=load_progress t_s=\(Int(Double(now - started) / 1e9)) clients=\(total.subscribed) connecting=\(total.connecting) "
                        + "msgs_per_s=\(Int(Double(total.messages - lastMessages) / seconds)) "
                        + "mbytes_per_s=\(format(Double(total.bytes - lastBytes) / seconds / 1e6)) p99_ms=\(p99) "
                        + "conflated=\(total.conflated) gaps=\(total.gapNotices) disconnects=\(total.disconnects) "
                        + "connect_failed=\(total.connectsFailed) errors=\(total.errors)")
                }
                secondHistogram.reset()
                lastLine = now
                lastMessages = total.messages
                lastBytes = total.bytes
            }
            guard let window = windowStart else { continue }
            let elapsed = Double(now - window) / 1e9

            if let at = c.stormAt, !stormFired, elapsed >= at {
                stormFired = true
                control.stormGeneration.store(1, ordering: .relaxed)
                log("level=info event=load_storm clients=\(total.subscribed)")
            }
            if stormFired, stormResult == nil {
                let finished = control.board.withLock { b in b.workers.allSatisfy { $0.stormDone?.generation == 1 } }
                if finished {
                    let ns = control.board.withLock { b in b.workers.compactMap { $0.stormDone?.nanoseconds }.max() ?? 0 }
                    stormResult = (1, ns)
                    log("level=info event=load_storm_recovered seconds=\(format(Double(ns) / 1e9))")
                }
            }

            if c.profile == .ramp {
                guard Double(now - stepStart) / 1e9 >= c.rampInterval else { continue }
                let step = RampStep(clients: total.subscribed, target: target, histogram: stepHistogram,
                                    messagesPerSecond: Double(total.messages - stepMessages) / (Double(now - stepStart) / 1e9),
                                    errors: total.errors, connectFailed: total.connectsFailed)
                let kept = c.rampBounds.allSatisfy { !RampStep.perStep.contains($0.metric) || $0.holds(step.figure($0.metric)) }
                steps.append(step)
                log("level=info event=load_ramp_step clients=\(step.clients) p99_ms=\(step.histogram.quantile(0.99).map { format(Double($0) / 1e6) } ?? "-") "
                    + "msgs_per_s=\(Int(step.messagesPerSecond)) bounds=\(kept ? "kept" : "broken")")
                if !kept { stopReason = "bound_broken"; break }
                capacity = step.clients
                if target >= c.clients { stopReason = "max_clients"; break }
                target = min(target + c.rampStep, c.clients)
                control.target.store(target, ordering: .relaxed)
                // The next step is measured once its clients are in.
                let deadline = Clock.monotonic() + UInt64((Double(c.rampStep) / c.connectRate + c.connectTimeout) * 1e9)
                while Clock.monotonic() < deadline && !interrupted() {
                    let t = control.board.withLock { $0.total }
                    if t.subscribed + t.connectsFailed >= target { break }
                    usleep(20_000)
                }
                stepStart = Clock.monotonic()
                stepHistogram.reset()
                control.board.withLock { b in b.interval.reset() }
                stepMessages = control.board.withLock { $0.total.messages }
            } else if elapsed >= c.duration {
                break
            }
        }
        let windowEnd = Clock.monotonic()
        control.stop.store(true, ordering: .relaxed)
        for _ in workers { done.wait() }
        let wall = Double(Clock.monotonic() - started) / 1e9
        let cpu = Double(Clock.processCPU() - cpuStart) / 1e9
        let metricsAfter = c.fetchMetrics ? fetchMetrics(host: host, port: port) : nil

        var merged = WorkerResult()
        for w in workers {
            let r = w.result
            merged.counts.merge(r.counts)
            merged.latency.merge(r.latency)
            merged.fastLatency.merge(r.fastLatency)
            merged.slowLatency.merge(r.slowLatency)
            merged.handshake.merge(r.handshake)
            merged.connectsOK += r.connectsOK
            merged.connectsFailed += r.connectsFailed
            merged.connectFailures.merge(r.connectFailures, uniquingKeysWith: +)
            merged.disconnects.merge(r.disconnects, uniquingKeysWith: +)
            merged.frameErrors += r.frameErrors
            merged.negativeLatencies += r.negativeLatencies
            merged.windowMessages += r.windowMessages
            merged.windowBytes += r.windowBytes
            merged.perClient += r.perClient
            merged.examples += r.examples
            merged.churned += r.churned
            merged.stormDrops += r.stormDrops
        }
        let windowSeconds = windowStart.map { Double(windowEnd - $0) / 1e9 } ?? 0
        return LoadReport(configuration: c, url: url.description, symbols: usable.count, popularity: popularity,
                          result: merged, windowSeconds: windowSeconds, wallSeconds: wall, cpuSeconds: cpu,
                          threadCPUSeconds: workers.map { Double($0.result.cpuNanoseconds) / 1e9 },
                          metricsBefore: metricsBefore, metricsAfter: metricsAfter, steps: steps, capacity: capacity,
                          stormSeconds: stormResult.map { Double($0.nanoseconds) / 1e9 }, stormFired: stormFired,
                          stopReason: stopReason)
    }

    private var secondHistogram = LatencyHistogram()

    /// The `Authorization` header client `client` sends, when the run has tokens.
    private func authorization(client: Int) -> [(String, String)] {
        configuration.token.map { [("Authorization", "Bearer " + $0(client))] } ?? []
    }

    private func fetchMetrics(host: String, port: UInt16) -> [String: Double]? {
        guard let answer = try? HTTPFetch.get(host: host, port: port, hostHeader: url.hostHeader, path: "/metrics",
                                              headers: authorization(client: 0)),
              answer.status == 200 else {
            log("level=warn event=load_metrics_unavailable url=\(url.sibling(path: "/metrics"))")
            return nil
        }
        return HTTPFetch.prometheusSamples(String(decoding: answer.body, as: UTF8.self))
    }
}

/// A load run that could not start (no gateway, no symbols, too few descriptors): exit status 1.
public struct LoadRunError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// One step of the ramp profile.
public struct RampStep: Sendable {
    /// Clients subscribed during the step, and the step's target.
    public var clients: Int
    public var target: Int
    /// Latency of the updates received during the step.
    public var histogram: LatencyHistogram
    /// Messages per second during the step.
    public var messagesPerSecond: Double
    /// Cumulative errors and failed connects when the step ended.
    public var errors: UInt64
    public var connectFailed: Int

    /// The figures a ramp step is judged on (other `--fail-if` figures apply to the whole run only).
    static let perStep: Set<String> = ["p50", "p90", "p99", "p99.9", "max", "mean", "msgs_per_s", "errors", "connect_failed"]

    /// The figure a `--fail-if` bound names, as measured over this step (nil when not measured).
    func figure(_ metric: String) -> Double? {
        switch metric {
        case "p50": histogram.quantile(0.5).map { Double($0) }
        case "p90": histogram.quantile(0.9).map { Double($0) }
        case "p99": histogram.quantile(0.99).map { Double($0) }
        case "p99.9": histogram.quantile(0.999).map { Double($0) }
        case "max": histogram.count == 0 ? nil : Double(histogram.max)
        case "mean": histogram.mean
        case "msgs_per_s": messagesPerSecond
        case "errors": Double(errors)
        case "connect_failed": Double(connectFailed)
        default: nil
        }
    }
}

/// `12.345` style, three decimals.
func format(_ value: Double) -> String { String(format: "%.3f", value) }

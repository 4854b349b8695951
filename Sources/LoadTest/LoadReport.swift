import Foundation

/// The outcome of a load run: every figure of the final table and of `--json FILE`
/// (docs/load-testing.md describes each field), the `--fail-if` verdicts and the exit status.
public struct LoadReport: Sendable {
    let configuration: LoadConfiguration
    let url: String
    let symbols: Int
    let popularity: [Int]
    let result: WorkerResult
    /// Seconds of the measurement window (rates are over it), and of the whole run.
    public let windowSeconds: Double
    public let wallSeconds: Double
    /// CPU seconds the harness process used (all threads), and each driver thread.
    public let cpuSeconds: Double
    public let threadCPUSeconds: [Double]
    let metricsBefore: [String: Double]?
    let metricsAfter: [String: Double]?
    let steps: [RampStep]
    /// Ramp: the most clients whose step kept every bound.
    public let capacity: Int?
    /// Storm: seconds until every client was back and subscribed.
    public let stormSeconds: Double?
    let stormFired: Bool
    /// Why the run ended: `duration`, `interrupted`, `bound_broken`, `max_clients`.
    public let stopReason: String

    // MARK: figures

    /// Messages delivered per second in the window (all clients).
    public var messagesPerSecond: Double { windowSeconds > 0 ? Double(result.windowMessages) / windowSeconds : 0 }
    /// Payload bytes delivered per second in the window.
    public var bytesPerSecond: Double { windowSeconds > 0 ? Double(result.windowBytes) / windowSeconds : 0 }
    /// Messages received over the whole run (window or not).
    public var totalMessages: UInt64 { result.counts.messages }
    /// Updates whose latency was measured (in the window).
    public var latencyCount: UInt64 { result.latency.count }
    /// A latency quantile in ns (nil when no update was measured).
    public func latency(_ q: Double) -> UInt64? { result.latency.quantile(q) }
    /// Protocol and sequence errors (the exit status is 1 when non-zero).
    public var errors: UInt64 { result.counts.sequenceErrors + result.counts.messageErrors + result.frameErrors }
    /// Forward seq jumps nothing explained.
    public var unexplainedGaps: UInt64 { result.counts.unexplainedGaps }
    /// Updates whose `prev` was not the last seq the client received for the symbol (errors).
    public var prevBreaks: UInt64 { result.counts.chainBreaks }
    /// Messages marked conflated.
    public var conflations: UInt64 { result.counts.conflatedMessages }
    /// Connects and handshakes that failed / succeeded.
    public var connectsFailed: Int { result.connectsFailed }
    public var connectsOK: Int { result.connectsOK }
    /// Connections the server closed or dropped, by close code.
    public var disconnects: [UInt16: Int] { result.disconnects }
    /// The harness's CPU use as a percentage of one core over the run.
    public var cpuPercent: Double { wallSeconds > 0 ? 100 * cpuSeconds / wallSeconds : 0 }

    /// The server's own CPU cost of the run: seconds of `process_cpu_seconds_total` between the
    /// /metrics fetched before the clients connect and after they stop, and those seconds per million
    /// messages delivered over the same span (nil when /metrics was not fetched or lacks the metric).
    /// The same figure wherever it is taken, since the server counts it itself.
    public var serverCPU: (seconds: Double, perMillionDeliveries: Double)? {
        LoadReport.serverCPU(before: metricsBefore, after: metricsAfter, deliveries: totalMessages)
    }

    /// `serverCPU` from two /metrics samples and the messages delivered between them.
    public static func serverCPU(before: [String: Double]?, after: [String: Double]?,
                                 deliveries: UInt64) -> (seconds: Double, perMillionDeliveries: Double)? {
        let name = "process_cpu_seconds_total"
        guard let b = before?[name], let a = after?[name], a >= b, deliveries > 0 else { return nil }
        return (a - b, (a - b) / (Double(deliveries) / 1e6))
    }

    /// Spread of per-client message counts over the window for one group of clients (those open
    /// for the whole window): count, min, median, max, mean, coefficient of variation.
    public struct Spread: Sendable {
        public var clients = 0
        public var min: UInt64 = 0, median: UInt64 = 0, max: UInt64 = 0
        public var mean = 0.0, cv = 0.0
        /// Clients of the group that received at least one conflated message.
        public var conflatedClients = 0
    }

    /// The spread of fast (`slow == false`) or slow clients.
    public func spread(slow: Bool) -> Spread {
        let group = result.perClient.filter { $0.slow == slow }
        var s = Spread()
        s.conflatedClients = group.filter { $0.conflations > 0 }.count
        let counts = group.filter(\.steady).map(\.messages).sorted()
        guard !counts.isEmpty else { return s }
        s.clients = counts.count
        s.min = counts.first!
        s.max = counts.last!
        s.median = counts[(counts.count - 1) / 2]
        s.mean = Double(counts.reduce(0, +)) / Double(counts.count)
        let variance = counts.reduce(0.0) { $0 + pow(Double($1) - s.mean, 2) } / Double(counts.count)
        s.cv = s.mean > 0 ? variance.squareRoot() / s.mean : 0
        return s
    }

    /// The figure a `--fail-if` bound names (durations in ns); nil when it was not measured.
    public func figure(_ metric: String) -> Double? {
        switch metric {
        case "p50": latency(0.5).map { Double($0) }
        case "p90": latency(0.9).map { Double($0) }
        case "p99": latency(0.99).map { Double($0) }
        case "p99.9": latency(0.999).map { Double($0) }
        case "max": latencyCount == 0 ? nil : Double(result.latency.max)
        case "mean": result.latency.mean
        case "handshake_p99": result.handshake.quantile(0.99).map { Double($0) }
        case "msgs_per_s": messagesPerSecond
        case "bytes_per_s": bytesPerSecond
        case "connect_failed": Double(connectsFailed)
        case "disconnects": Double(disconnects.values.reduce(0, +))
        case "conflations": Double(conflations)
        case "gaps": Double(result.counts.gapNotices)
        case "unexplained_gaps": Double(unexplainedGaps)
        case "prev_breaks": Double(result.counts.chainBreaks)
        case "errors": Double(errors)
        case "fairness_cv": spread(slow: false).clients > 0 ? spread(slow: false).cv : nil
        case "cpu_percent": cpuPercent
        default: nil
        }
    }

    /// Each `--fail-if` bound with the measured figure and whether it held (the ramp profile uses
    /// its bounds per step instead, so they do not fail its run).
    public var verdicts: [(condition: FailCondition, value: Double?, held: Bool)] {
        configuration.failIf.map { ($0, figure($0.metric), $0.holds(figure($0.metric))) }
    }

    /// 0: clean; 1: an unexplained gap or a protocol error; 3: a `--fail-if` bound was broken.
    public var exitStatus: Int32 {
        if errors > 0 { return 1 }
        if configuration.profile != .ramp && verdicts.contains(where: { !$0.held }) { return 3 }
        return 0
    }

    // MARK: JSON

    /// The report as one JSON object (keys sorted, durations in milliseconds).
    public func json() -> String {
        let data = (try? JSONSerialization.data(withJSONObject: dictionary(), options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private func ms(_ ns: UInt64?) -> Any { ns.map { Double($0) / 1e6 } ?? NSNull() }
    private func ms(_ ns: Double?) -> Any { ns.map { $0 / 1e6 } ?? NSNull() }

    private func latencyObject(_ h: LatencyHistogram) -> [String: Any] {
        ["count": h.count, "p50": ms(h.quantile(0.5)), "p90": ms(h.quantile(0.9)), "p99": ms(h.quantile(0.99)),
         "p99.9": ms(h.quantile(0.999)), "max": h.count == 0 ? NSNull() : ms(h.max), "mean": ms(h.mean)]
    }

    private func spreadObject(_ s: Spread) -> [String: Any] {
        ["clients": s.clients, "min": s.min, "median": s.median, "max": s.max, "mean": s.mean, "cv": s.cv,
         "clients_conflated": s.conflatedClients]
    }

    /// The report as a JSON-ready dictionary.
    public func dictionary() -> [String: Any] {
        let c = configuration
        let counts = result.counts
        var byType: [String: Any] = [:]
        for type in MessageType.allCases where counts.byType[Int(type.rawValue)] > 0 {
            byType[type.name] = counts.byType[Int(type.rawValue)]
        }
        var latency = latencyObject(result.latency)
        latency["negative"] = result.negativeLatencies
        var report: [String: Any] = [
            "format": "quotecast-load/1",
            "url": url,
            "profile": c.profile.rawValue,
            "clients": c.clients,
            "symbols_per_client": c.symbolsPerClient,
            "depth": c.depth,
            "threads": c.threads,
            "seed": c.seed,
            "distribution": { switch c.distribution { case .uniform: "uniform"; case .zipf(let s): "zipf:\(s)" } }(),
            "symbols": symbols,
            "duration_s": c.duration,
            "tokens": c.tokenSource,
            "window_s": windowSeconds,
            "wall_s": wallSeconds,
            "stop_reason": stopReason,
            "connects": ["ok": connectsOK, "failed": connectsFailed, "failures": result.connectFailures],
            "handshake_ms": latencyObject(result.handshake),
            "delivered": ["messages": result.windowMessages, "bytes": result.windowBytes,
                          "msgs_per_s": messagesPerSecond, "bytes_per_s": bytesPerSecond,
                          "total_messages": counts.messages, "total_bytes": counts.bytes,
                          "updates": counts.updates, "snapshots": counts.snapshots, "by_type": byType],
            "latency_ms": latency,
            "latency_fast_ms": latencyObject(result.fastLatency),
            "latency_slow_ms": latencyObject(result.slowLatency),
            "fairness": ["fast": spreadObject(spread(slow: false)), "slow": spreadObject(spread(slow: true))],
            "conflation": ["messages": counts.conflatedMessages, "skipped_seqs": counts.conflatedSkipped],
            "gaps": ["notices": counts.gapNotices, "skipped_seqs": counts.gapSkipped,
                     "depth_skipped_seqs": counts.depthSkipped, "unexplained": counts.unexplainedGaps,
                     "unexplained_skipped_seqs": counts.unexplainedSkipped, "prev_breaks": counts.chainBreaks],
            "errors": ["total": errors, "invalid_json": counts.invalidJSON, "bad_fields": counts.badFields,
                       "binary_frames": counts.binaryMessages, "frame_errors": result.frameErrors,
                       "backwards": counts.backwards, "updates_before_snapshot": counts.updatesBeforeSnapshot,
                       "snapshots_backwards": counts.snapshotsBackwards, "unexplained_gaps": counts.unexplainedGaps,
                       "prev_breaks": counts.chainBreaks,
                       "server_error_messages": counts.serverErrors, "examples": result.examples],
            "disconnects": ["total": disconnects.values.reduce(0, +),
                            "by_code": Dictionary(uniqueKeysWithValues: disconnects.map { (String($0.key), $0.value) })],
            "harness": ["cpu_s": cpuSeconds, "cpu_percent": cpuPercent, "thread_cpu_s": threadCPUSeconds,
                        "msgs_per_cpu_s": cpuSeconds > 0 ? Double(counts.messages) / cpuSeconds : 0],
            "fail_if": verdicts.map { ["bound": $0.condition.text, "value": $0.value.map { v -> Any in v } ?? NSNull(), "held": $0.held] },
            "exit_status": exitStatus,
        ]
        if c.profile == .churn || result.churned > 0 { report["churn"] = ["replaced": result.churned, "per_s": c.churnPerSecond] }
        if stormFired { report["storm"] = ["dropped": result.stormDrops, "recovery_s": stormSeconds.map { v -> Any in v } ?? NSNull()] }
        if c.profile == .ramp {
            report["ramp"] = ["capacity": capacity.map { v -> Any in v } ?? NSNull(),
                              "bounds": c.rampBounds.map(\.text),
                              "steps": steps.map { s -> [String: Any] in
                                  ["clients": s.clients, "target": s.target, "msgs_per_s": s.messagesPerSecond,
                                   "latency_ms": latencyObject(s.histogram)]
                              }]
        }
        var server: [String: Any] = ["before": metricsBefore ?? NSNull(), "after": metricsAfter ?? NSNull()]
        if let before = metricsBefore, let after = metricsAfter {
            var delta: [String: Double] = [:]
            for (k, v) in after { if let b = before[k], v != b { delta[k] = v - b } }
            server["delta"] = delta
        }
        report["server_metrics"] = server
        report["server_cpu"] = serverCPU.map { ["cpu_s": $0.seconds, "cpu_s_per_million_deliveries": $0.perMillionDeliveries,
                                                "deliveries": totalMessages] as [String: Any] } ?? NSNull()
        return report
    }

    // MARK: table

    /// The final table printed on stdout.
    public func table() -> String {
        let c = configuration
        func d(_ ns: UInt64?) -> String { ns.map { String(format: "%.3f ms", Double($0) / 1e6) } ?? "-" }
        func n(_ v: Double) -> String {
            v >= 1e6 ? String(format: "%.2f M", v / 1e6) : v >= 1e3 ? String(format: "%.1f k", v / 1e3) : String(format: "%.0f", v)
        }
        let fast = spread(slow: false), slow = spread(slow: true)
        var lines: [String] = []
        func row(_ k: String, _ v: String) { lines.append(k.padding(toLength: 26, withPad: " ", startingAt: 0) + v) }
        lines.append("quotecast load: \(c.profile.rawValue), \(c.clients) clients × \(c.symbolsPerClient) symbols (of \(symbols)), depth \(c.depth), \(url)")
        if c.tokenSource != "none" { row("access tokens", c.tokenSource) }
        row("window", String(format: "%.1f s (run %.1f s, %@)", windowSeconds, wallSeconds, stopReason))
        row("connects", "\(connectsOK) ok, \(connectsFailed) failed" + (result.connectFailures.isEmpty ? "" : " " + result.connectFailures.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")))
        row("handshake", "p50 \(d(result.handshake.quantile(0.5)))  p99 \(d(result.handshake.quantile(0.99)))  max \(d(result.handshake.count > 0 ? result.handshake.max : nil))")
        row("delivered", "\(n(messagesPerSecond)) msgs/s, \(n(bytesPerSecond))B/s (\(result.windowMessages) messages in the window)")
        row("latency (now - rt)", "p50 \(d(latency(0.5)))  p90 \(d(latency(0.9)))  p99 \(d(latency(0.99)))  p99.9 \(d(latency(0.999)))  max \(d(latencyCount > 0 ? result.latency.max : nil))  (\(latencyCount) updates)")
        if result.slowLatency.count > 0 {
            row("  fast clients", "p50 \(d(result.fastLatency.quantile(0.5)))  p99 \(d(result.fastLatency.quantile(0.99)))  max \(d(result.fastLatency.count > 0 ? result.fastLatency.max : nil))")
            row("  slow clients", "p50 \(d(result.slowLatency.quantile(0.5)))  p99 \(d(result.slowLatency.quantile(0.99)))  max \(d(result.slowLatency.max))")
        }
        if fast.clients > 0 {
            row("per fast client", "min \(fast.min)  median \(fast.median)  max \(fast.max) msgs  cv \(String(format: "%.3f", fast.cv))  (\(fast.clients) clients, \(fast.conflatedClients) conflated)")
        }
        if slow.clients > 0 || c.slowFraction > 0 {
            row("per slow client", "min \(slow.min)  median \(slow.median)  max \(slow.max) msgs  (\(slow.clients) clients, \(slow.conflatedClients) conflated)")
        }
        row("conflations", "\(conflations) messages, \(result.counts.conflatedSkipped) seqs skipped")
        row("gaps", "\(result.counts.gapNotices) notices (\(result.counts.gapSkipped) seqs), \(result.counts.depthSkipped) seqs below depth, \(unexplainedGaps) unexplained, \(result.counts.chainBreaks) prev breaks")
        row("errors", "\(errors)" + (errors > 0 ? " (invalid JSON \(result.counts.invalidJSON), bad fields \(result.counts.badFields), frames \(result.frameErrors), prev breaks \(result.counts.chainBreaks), backwards \(result.counts.backwards), before snapshot \(result.counts.updatesBeforeSnapshot))" : ""))
        row("disconnects", disconnects.isEmpty ? "0" : disconnects.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))
        if result.churned > 0 { row("churn", "\(result.churned) clients replaced") }
        if stormFired { row("reconnect storm", "\(result.stormDrops) dropped, all back in " + (stormSeconds.map { String(format: "%.2f s", $0) } ?? "(not within the run)")) }
        if c.profile == .ramp {
            for s in steps {
                row("  step \(s.clients)", "p99 \(d(s.histogram.quantile(0.99)))  \(n(s.messagesPerSecond)) msgs/s")
            }
            row("capacity", capacity.map { "\($0) clients (bounds \(c.rampBounds.map(\.text).joined(separator: ", ")))" } ?? "none: the first step broke a bound")
        }
        row("harness CPU", String(format: "%.2f s (%.0f %% of one core), %@ msgs per CPU second", cpuSeconds, cpuPercent,
                                  n(cpuSeconds > 0 ? Double(result.counts.messages) / cpuSeconds : 0)))
        if let cpu = serverCPU {
            row("server CPU", String(format: "%.2f s, %.3f CPU-s per million deliveries (its process_cpu_seconds_total)",
                                     cpu.seconds, cpu.perMillionDeliveries))
        }
        if let before = metricsBefore, let after = metricsAfter {
            let interesting = after.keys.filter { k in (after[k] ?? 0) != (before[k] ?? 0) }.sorted().prefix(12)
            row("server /metrics", interesting.isEmpty ? "no change" : "what changed (before -> after):")
            for k in interesting { lines.append("  \(k): \(before[k].map { n($0) } ?? "-") -> \(n(after[k] ?? 0))") }
        } else {
            row("server /metrics", configuration.fetchMetrics ? "unavailable" : "not fetched")
        }
        for v in verdicts {
            let shown = v.value.map { FailCondition.metrics.first { $0.name == v.condition.metric }?.isTime == true ? String(format: "%.3f ms", $0 / 1e6) : n($0) } ?? "unmeasured"
            row("fail-if \(v.condition.text)", "\(v.held ? "held" : "BROKEN") (\(shown))")
        }
        for e in result.examples { row("  example", e) }
        row("result", exitStatus == 0 ? "PASS" : exitStatus == 1 ? "FAIL: protocol or sequence errors" : "FAIL: a --fail-if bound was broken")
        return lines.joined(separator: "\n") + "\n"
    }
}

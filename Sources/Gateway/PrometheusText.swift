import Synchronization
import Fanout
import Market
import WebSocket

/// Renders metric samples in the Prometheus text exposition format (version 0.0.4): one `# HELP` and
/// `# TYPE` line per metric name (at its first sample; a histogram's under its family name), then one
/// `name{labels} value` line per sample; label values escaped (`\\`, `\"`, `\n`). Samples of one
/// name (or histogram family) are grouped even when their providers interleave them.
public enum PrometheusText {
    /// The `Content-Type` of a rendered page.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Renders `samples`.
    public static func render(_ samples: [MetricSample]) -> String {
        var order: [String] = []
        var byName: [String: [MetricSample]] = [:]
        for s in samples {
            let family = s.family
            if byName[family] == nil { order.append(family) }
            byName[family, default: []].append(s)
        }
        var out = ""
        for family in order {
            let group = byName[family]!
            out += "# HELP \(family) \(escapeHelp(group[0].help))\n# TYPE \(family) \(group[0].kind.rawValue)\n"
            for s in group {
                out += s.name
                if !s.labels.isEmpty {
                    out += "{" + s.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
                }
                out += " " + format(s.value) + "\n"
            }
        }
        return out
    }

    /// A sample value: integers without a fraction, `NaN`, `+Inf`, `-Inf`.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }

    static func escapeLabel(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}

extension RingMetrics {
    /// The ring's samples for `/metrics`: published ticks, writer waits, and per reader its lag, laps
    /// and lost ticks (label `reader` = index, `kind` = gating|non_gating, `name` from `names`).
    public func samples(readerNames: [String] = []) -> [MetricSample] {
        var out = [
            MetricSample("quotecast_ring_capacity", .gauge, help: "Ring slots", value: Double(capacity)),
            MetricSample("quotecast_ring_published_total", .counter, help: "Ticks published into the ring", value: Double(published)),
            MetricSample("quotecast_ring_writer_full_waits_total", .counter, help: "Times the writer waited on a full ring", value: Double(writerFullWaits)),
            MetricSample("quotecast_ring_writer_refusals_total", .counter, help: "Ticks the ring refused", value: Double(writerFails)),
            MetricSample("quotecast_ring_missed_wakeups_total", .counter, help: "Parks (reader or writer) that timed out with a wakeup owed and got none in one more safety period; expected 0", value: Double(missedWakeups)),
        ]
        for r in readers {
            let labels = [("reader", r.index < readerNames.count ? readerNames[r.index] : String(r.index)),
                          ("kind", r.kind == .gating ? "gating" : "non_gating")]
            out.append(MetricSample("quotecast_ring_lag", .gauge, help: "Ticks published and not yet read, per consumer", labels: labels, value: Double(r.lag)))
            out.append(MetricSample("quotecast_ring_laps_total", .counter, help: "Times a consumer was lapped", labels: labels, value: Double(r.laps)))
            out.append(MetricSample("quotecast_ring_lost_ticks_total", .counter, help: "Ticks a consumer lost to laps", labels: labels, value: Double(r.lostTicks)))
        }
        return out
    }
}

extension WebSocketServerStatistics {
    /// The HTTP/WebSocket server's samples for `/metrics` (all connections, not only stream clients),
    /// permessage-deflate's included.
    public func samples() -> [MetricSample] {
        func v(_ a: borrowing Atomic<Int>) -> Double { Double(a.load(ordering: .relaxed)) }
        return [
            MetricSample("quotecast_http_connections_accepted_total", .counter, help: "TCP connections accepted", value: v(accepted)),
            MetricSample("quotecast_http_connections_refused_total", .counter, help: "Connections refused over the connection limit", value: v(refusedOverLimit)),
            MetricSample("quotecast_http_connections_rate_limited_total", .counter, help: "Connections answered 429, by why: the address over --connection-rate, or the address table full",
                         labels: [("reason", "over_rate")], value: v(refusedOverRate)),
            MetricSample("quotecast_http_connections_rate_limited_total", .counter, help: "Connections answered 429, by why: the address over --connection-rate, or the address table full",
                         labels: [("reason", "table_full")], value: v(refusedRateTableFull)),
            MetricSample("quotecast_http_rate_limited_addresses", .gauge, help: "Source addresses the new-connection limiter tracks",
                         value: v(trackedAddresses)),
            MetricSample("quotecast_http_requests_total", .counter, help: "HTTP requests routed", value: v(requests)),
            MetricSample("quotecast_http_bad_requests_total", .counter, help: "HTTP requests rejected as malformed or over limits", value: v(badRequests)),
            MetricSample("quotecast_websocket_upgrades_total", .counter, help: "WebSocket handshakes completed", value: v(upgrades)),
            MetricSample("quotecast_websocket_messages_in_total", .counter, help: "WebSocket messages received", value: v(messagesIn)),
            MetricSample("quotecast_websocket_frames_out_total", .counter, help: "Frames and HTTP responses queued", value: v(framesOut)),
            MetricSample("quotecast_websocket_write_calls_total", .counter,
                         help: "writev system calls that wrote clients' output (frames_out / this = frames per system call)",
                         value: v(writeCalls)),
            MetricSample("quotecast_bytes_in_total", .counter, help: "Bytes read from clients", value: v(bytesIn)),
            MetricSample("quotecast_bytes_out_total", .counter, help: "Bytes written to clients", value: v(bytesOut)),
            MetricSample("quotecast_websocket_protocol_errors_total", .counter, help: "Connections failed for breaking RFC 6455", value: v(protocolErrors)),
            MetricSample("quotecast_websocket_ping_timeouts_total", .counter, help: "Clients closed for not answering a ping", value: v(pingTimeouts)),
            MetricSample("quotecast_websocket_close_discarded_bytes_total", .counter,
                         help: "Output dropped unsent when a client was closed for reading too slowly, so its close frame went next",
                         value: v(closeDiscardedBytes)),
            MetricSample("quotecast_websocket_close_frames_unsent_total", .counter,
                         help: "Connections dropped before their close frame could be written (the client read nothing for the close-send timeout, 30 s)",
                         value: v(closeFramesUnsent)),
        ] + compressionSamples()
    }
}

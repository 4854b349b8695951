import Foundation
import Gateway
import Market
import Testing

/// The `/metrics` renderer, checked with a small parser of the Prometheus text format.
@Suite struct PrometheusTextTests {
    @Test func rendersHelpTypeOnceAndEscapesLabels() throws {
        let samples = [
            MetricSample("quotecast_a_total", .counter, help: "A things", labels: [("reason", "sl\"ow\\")], value: 3),
            MetricSample("quotecast_b", .gauge, help: "B now", value: 1.5),
            MetricSample("quotecast_a_total", .counter, help: "A things", labels: [("reason", "x")], value: 4),
        ]
        let text = PrometheusText.render(samples)
        let parsed = try PrometheusParser.parse(text)
        #expect(parsed.types == ["quotecast_a_total": "counter", "quotecast_b": "gauge"])
        #expect(parsed.value("quotecast_a_total", ["reason": "sl\"ow\\"]) == 3)
        #expect(parsed.value("quotecast_a_total", ["reason": "x"]) == 4)
        #expect(parsed.value("quotecast_b") == 1.5)
        #expect(text.components(separatedBy: "# TYPE quotecast_a_total").count == 2)
    }
}

/// `/metrics` of a running gateway, parsed strictly.
@Suite struct MetricsEndpointTests {
    @Test func theGatewayRingAndServerSamplesRenderAsValidPrometheusText() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        h.write(.status, "AAPL", locate: 1)
        try h.waitForGateway()
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["AAPL"]}"#)
        _ = c.next(); _ = c.next()
        try c.send("nope")
        _ = c.next()
        let samples = h.gateway.statistics.samples() + h.server.statistics.samples()
            + h.ring.metrics().samples(readerNames: ["gateway"])
        let parsed = try PrometheusParser.parse(PrometheusText.render(samples))
        #expect(parsed.value("quotecast_gateway_clients") == 1)
        #expect(parsed.value("quotecast_gateway_subscriptions") == 1)
        #expect(parsed.value("quotecast_gateway_messages_out_total", ["type": "snapshot"]) == 1)
        #expect(parsed.value("quotecast_gateway_errors_total", ["code": "bad_json"]) == 1)
        #expect(parsed.value("quotecast_ring_lag", ["reader": "gateway", "kind": "non_gating"]) == 0)
        #expect(parsed.types["quotecast_gateway_disconnects_total"] == "counter")
        #expect(parsed.types["quotecast_gateway_clients_conflating"] == "gauge")
        #expect((parsed.value("quotecast_bytes_out_total") ?? 0) > 0)
    }
}

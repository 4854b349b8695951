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

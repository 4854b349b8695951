@testable import LoadTest
import Testing

/// The side endpoints' bodies: the symbol list in the shapes a gateway may give it, and the
/// Prometheus text of /metrics.
@Suite struct HTTPFetchTests {
    @Test func symbolListsInEveryAcceptedShape() {
        #expect(HTTPFetch.symbols(fromJSON: Array(#"["AAPL","MSFT"]"#.utf8)) == ["AAPL", "MSFT"])
        #expect(HTTPFetch.symbols(fromJSON: Array(#"{"symbols":[{"symbol":"AAPL","status":"trading"},{"symbol":"X"}]}"#.utf8)) == ["AAPL", "X"])
        #expect(HTTPFetch.symbols(fromJSON: Array(#"[{"symbol":"AAPL"},"MSFT",7]"#.utf8)) == ["AAPL", "MSFT"])
        #expect(HTTPFetch.symbols(fromJSON: Array(#"{"symbols":[]}"#.utf8)) == nil)
        #expect(HTTPFetch.isEmptyList(Array(#"{"symbols":[]}"#.utf8)) && HTTPFetch.isEmptyList(Array("[]".utf8)))
        #expect(!HTTPFetch.isEmptyList(Array("oops".utf8)))
        #expect(HTTPFetch.symbols(fromJSON: Array("not json".utf8)) == nil)
    }

    @Test func prometheusSamples() {
        let text = """
            # HELP quotecast_gateway_clients Open clients
            # TYPE quotecast_gateway_clients gauge
            quotecast_gateway_clients 200
            quotecast_gateway_disconnects_total{reason="slow consumer"} 3
            quotecast_ring_lag{reader="gateway",kind="non_gating"} 0 1764079200000
            bad_line
            quotecast_bytes_out_total 1.5e9
            """
        let samples = HTTPFetch.prometheusSamples(text)
        #expect(samples["quotecast_gateway_clients"] == 200)
        #expect(samples["quotecast_gateway_disconnects_total{reason=\"slow consumer\"}"] == 3)
        #expect(samples["quotecast_ring_lag{reader=\"gateway\",kind=\"non_gating\"}"] == 0)
        #expect(samples["quotecast_bytes_out_total"] == 1.5e9)
        #expect(samples.count == 4)
    }
}

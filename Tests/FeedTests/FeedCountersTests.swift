import Foundation
import MoldUDP64
import Testing
@testable import Feed

/// What the feed thread publishes for the status line, `/healthz` and `/metrics`.
@Suite struct FeedCountersTests {
    @Test func countersExposeTheTallyAsMetricsAndHealth() {
        let counters = FeedCounters()
        #expect(!counters.metricSamples().contains { $0.name == "quotecast_feed_gaps_total" })   // not multicast
        var t = ReceiverTally()
        t.gaps = 3
        t.recoveredMessages = 42
        t.malformedFraming = 2
        t.datagrams = [10, 9, 1]
        counters.publish(t)
        counters.setStaleInstruments(7)
        counters.setHealth(.stale)
        let samples = counters.metricSamples()
        func value(_ name: String, _ labels: [(String, String)] = []) -> Double? {
            samples.first { $0.name == name && $0.labels.map(\.0) == labels.map(\.0) && $0.labels.map(\.1) == labels.map(\.1) }?.value
        }
        #expect(value("quotecast_feed_gaps_total") == 3)
        #expect(value("quotecast_feed_recovered_messages_total") == 42)
        #expect(value("quotecast_feed_stale_instruments") == 7)
        #expect(value("quotecast_feed_malformed_total", [("reason", "framing")]) == 2)
        #expect(value("quotecast_feed_datagrams_total", [("line", "b")]) == 9)
        #expect(value("quotecast_feed_state", [("state", "stale")]) == 1)
        #expect(value("quotecast_feed_state", [("state", "live")]) == 0)
        #expect(Set(samples.map(\.name)).allSatisfy { $0.hasPrefix("quotecast_feed_") })
        #expect(!counters.health.isHealthy)
        let json = try? JSONSerialization.jsonObject(with: Data(counters.healthJSON().utf8)) as? [String: Any]
        #expect(json?["state"] as? String == "stale" && json?["stale_instruments"] as? Int == 7)
    }
}

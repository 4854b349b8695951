import Market
import MoldUDP64
import Testing
@testable import Multicast

/// A gateway node's channel states: a snapshot being taken, or the health of the channel's session.
@Suite struct UpstreamCountersTests {
    @Test func aChannelsStateIsItsSnapshotPhaseOrItsSessionsHealth() {
        let cases: [(UpstreamChannelState, String, Bool)] = [
            (.syncing, "syncing", false), (.resyncing, "resyncing", false),
            (.sequencing(.starting), "live", true), (.sequencing(.live), "live", true),
            (.sequencing(.recovering), "recovering", true), (.sequencing(.stale), "recovering", true),
            (.sequencing(.silent), "silent", false), (.sequencing(.ended), "ended", false),
        ]
        for (state, name, healthy) in cases {
            #expect(state.name == name, "\(state)")
            #expect(state.isHealthy == healthy, "\(state)")
            #expect(UpstreamChannelState.names.contains(state.name))
        }
    }

    @Test func theMetricShowsOneStatePerChannel() {
        let counters = UpstreamCounters(channels: 2)
        counters.publish(states: [.syncing, .sequencing(.stale)], next: [0, 5], tally: ReceiverTally())
        let samples = counters.metricSamples().filter { $0.name == "quotecast_upstream_channel_state" }
        #expect(samples.count == 2 * UpstreamChannelState.names.count)
        func set(_ channel: String) -> [String] {
            samples.filter { $0.labels.contains { $0 == ("channel", channel) } && $0.value == 1 }
                .compactMap { $0.labels.first { $0.0 == "state" }?.1 }
        }
        #expect(set("0") == ["syncing"])
        #expect(set("1") == ["recovering"])
        #expect(!counters.isHealthy)   // not synced yet
    }
}

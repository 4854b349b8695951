import Market
import Testing
@testable import MoldUDP64

/// The feed's health state machine (`LineArbiter.health`, shown on `/healthz` and in
/// `quotecast_feed_state`) walked through every state by the datagrams and timers that move it, as
/// documented on `LineArbiter`: starting, live, recovering, live, silent, live, recovering, stale,
/// live again by a late answer, ended.
@Suite struct FeedHealthTests {
    typealias Harness = LineArbiterTests.Harness
    static let ms = LineArbiterTests.ms

    @Test func everyStateIsReachedByWhatTheDocumentationSaysMovesIt() {
        var h = Harness(retransmit: true)
        defer { h.arbiter.deallocate() }
        var walk: [FeedHealth] = [h.arbiter.health]                        // nothing received yet
        h.receive(LineArbiterTests.packet(1, 1), line: 0, at: 0)
        walk.append(h.arbiter.health)                                        // the first packet
        h.receive(LineArbiterTests.packet(3, 1), line: 0, at: 1 * Self.ms)
        h.service(at: 2 * Self.ms)
        walk.append(h.arbiter.health)                                        // a gap on every line, requested
        #expect(h.requests.map(\.sequenceNumber) == [2])
        h.receive(LineArbiterTests.packet(2, 1), line: 0, at: 3 * Self.ms)  // the answer
        walk.append(h.arbiter.health)
        h.service(at: 3 * Self.ms + 3000 * Self.ms)
        walk.append(h.arbiter.health)                                        // nothing for the silence timeout
        h.receive(LineArbiterTests.packet(4, 1), line: 0, at: 3004 * Self.ms)
        walk.append(h.arbiter.health)                                        // traffic again
        h.receive(LineArbiterTests.packet(6, 1), line: 0, at: 3005 * Self.ms)
        h.service(at: 3006 * Self.ms)
        walk.append(h.arbiter.health)                                        // another gap
        h.service(at: 3006 * Self.ms + 1000 * Self.ms)
        walk.append(h.arbiter.health)                                        // unanswered past the recovery timeout
        h.receive(LineArbiterTests.packet(5, 1), line: 0, at: 4007 * Self.ms)
        walk.append(h.arbiter.health)                                        // a late answer fills it
        var end = LineArbiterTests.heartbeat(7)
        end[18] = 0xFF
        end[19] = 0xFF
        h.receive(end, line: 0, at: 4008 * Self.ms)
        walk.append(h.arbiter.health)                                        // end of session, all handed out
        #expect(walk == [.starting, .live, .recovering, .live, .silent, .live, .recovering, .stale, .live, .ended])
        #expect(h.applied == Array(1...6), "every message once, in order")
        #expect(h.staleChanges == [true, false])
        #expect(Set(walk) == Set(FeedHealth.allCases), "a state the walk never reached")
        #expect(walk.map(\.isHealthy) == [false, true, true, true, false, true, true, false, true, false])
    }
}

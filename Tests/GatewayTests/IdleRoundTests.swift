import Foundation
import Market
import System
import Testing
@testable import Gateway

/// With no stream client the gateway reads the ring in idle rounds (up to 50 ms) instead of waking at
/// every publish: a request must still see every tick published before it, and the gateway tells
/// `serve`'s simulator (`StreamDemand`) whether anyone takes ticks as they come.
@Suite struct IdleRoundTests {
    /// The AAPL entry of `/v1/symbols`' answer.
    func aapl(_ h: GatewayHarness) throws -> [String: Any] {
        let answer = try httpGet(h.address, "/v1/symbols?q=AAPL")
        #expect(answer.status == 200, "\(answer.head)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
        return try #require((object["symbols"] as? [[String: Any]])?.first, "no AAPL in \(answer.body)")
    }

    @Test func aRequestRightAfterAPublishSeesIt() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        h.write(.quote, "AAPL", locate: 1, bids: [(1_892_500, 300)], asks: [(1_892_600, 200)])
        try h.waitForGateway()
        // The loop is in an idle round now (no stream client): each quote is published and asked about
        // at once, before the round would have read it. Twenty times, so a reply that only caught the
        // tick by the luck of a round's timing does not pass.
        for k in 0..<20 {
            let seq = h.write(.quote, "AAPL", locate: 1, bids: [(1_892_500 + UInt32(k) * 100, 300)], asks: [(1_899_900, 200)])
            let entry = try aapl(h)
            #expect(entry["seq"] as? Int == Int(seq), "asked right after seq \(seq) was published, answered \(entry)")
        }
    }

    @Test func theDemandFollowsStreamClients() throws {
        let demand = StreamDemand(watched: true)
        let h = try GatewayHarness(demand: demand)
        defer { h.stop() }
        // No client yet: the loop's first turn says nobody watches.
        try waitUntil("the gateway said nobody watches") { !demand.isWatched }
        let c = try TestClient(h.address)
        try waitUntil("the gateway said a client watches") { demand.isWatched }
        let second = try TestClient(h.address)
        c.tcp.close()
        // One of two gone: still watched.
        try waitUntil("the gateway counted one client") { h.gateway.statistics.clients.load(ordering: .relaxed) == 1 }
        h.write(.quote, "AAPL", locate: 1, bids: [(1_892_500, 300)], asks: [])
        try h.waitForGateway()
        #expect(demand.isWatched)
        second.tcp.close()
        try waitUntil("the gateway said nobody watches after the last client left") { !demand.isWatched }
    }
}

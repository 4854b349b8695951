import Foundation
import Glibc
import Market
import Sockets
import System
import Testing
@testable import Gateway

/// With no stream client the gateway reads the ring in idle rounds (up to 50 ms) instead of waking at
/// every publish: a request must still see every tick published before it, and the gateway tells
/// `serve`'s simulator (`StreamDemand`) whether anyone takes ticks as they come.
@Suite struct IdleRoundTests {
    /// An HTTP/1.1 connection kept open: the loop has accepted it before a request comes, so the
    /// request's bytes are what wakes the loop from its idle round (a fresh connection's accept would
    /// take a loop turn of its own, which reads the ring anyway).
    final class KeptAlive {
        let tcp: TCPConnection
        init(_ address: SocketAddress) throws { tcp = try TCPConnection.connect(to: address, blocking: true) }
        deinit { tcp.close() }

        /// GETs `target`; returns the body (bounded wait for a Content-Length response).
        func get(_ target: String) throws -> String {
            try tcp.writeAll(Array("GET \(target) HTTP/1.1\r\nHost: t\r\n\r\n".utf8))
            var data: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                // The head ends at the first CR LF CR LF; the body is Content-Length bytes after it.
                if let end = (0..<max(0, data.count - 3)).first(where: { data[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }) {
                    let head = String(decoding: data[..<end], as: UTF8.self).lowercased()
                    let line = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    let length = line.flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                    if data.count - (end + 4) >= length { return String(decoding: data[(end + 4)...], as: UTF8.self) }
                }
                var p = pollfd(fd: tcp.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 100) <= 0 { continue }
                let n = chunk.withUnsafeMutableBytes { recv(tcp.descriptor.rawValue, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                data += chunk[0..<n]
            }
            throw TimedOut(what: "a response to \(target)", seconds: 20)
        }
    }

    /// AAPL's seq in `/v1/symbols`' answer.
    func aaplSeq(_ body: String) throws -> Int? {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        return (object["symbols"] as? [[String: Any]])?.first?["seq"] as? Int
    }

    @Test func aRequestRightAfterAPublishSeesIt() throws {
        let h = try GatewayHarness()
        defer { h.stop() }
        h.write(.quote, "AAPL", locate: 1, bids: [(1_892_500, 300)], asks: [(1_892_600, 200)])
        try h.waitForGateway()
        let connection = try KeptAlive(h.address)
        #expect(try aaplSeq(connection.get("/v1/symbols?q=AAPL")) == 1)
        // No stream client: the loop sleeps idle rounds of up to 50 ms. Each quote is published and
        // asked about at once on the open connection, before the round would end. Twenty times, so a
        // reply that caught the tick by the luck of a round's timing does not pass.
        for k in 0..<20 {
            usleep(5_000)  // let the loop go back to sleep after the last answer
            let seq = h.write(.quote, "AAPL", locate: 1, bids: [(1_892_500 + UInt32(k) * 100, 300)], asks: [(1_899_900, 200)])
            let answered = try aaplSeq(connection.get("/v1/symbols?q=AAPL"))
            #expect(answered == Int(seq), "asked right after seq \(seq) was published, answered seq \(answered ?? -1)")
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
        c.close()
        // One of two gone: still watched.
        try waitUntil("the gateway counted one client") { h.gateway.statistics.clients.load(ordering: .relaxed) == 1 }
        h.write(.quote, "AAPL", locate: 1, bids: [(1_892_500, 300)], asks: [])
        try h.waitForGateway()
        #expect(demand.isWatched)
        second.close()
        try waitUntil("the gateway said nobody watches after the last client left") { !demand.isWatched }
    }
}

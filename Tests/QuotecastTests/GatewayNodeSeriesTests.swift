import Foundation
import Glibc
import StreamClient
import Testing

/// Issue 19's series through real processes: `quotecast feed` → two `quotecast gateway` nodes that
/// both read the day from its first tick serve byte-identical `candles` and `trades`.
extension GatewayNodeTests {
    /// Subscribes to `symbols` with the series channels on `port` and collects the backlog messages
    /// (`trades` and `candles`, as received) until every symbol's arrived.
    func seriesBacklog(_ port: UInt16, symbols: [String], timeout: Double = 60) throws -> [String: String] {
        let c = try StreamConnection.connect(to: StreamURL("ws://127.0.0.1:\(port)/v1/stream"))
        defer { c.close() }
        let list = symbols.map { "\"\($0)\"" }.joined(separator: ",")
        try c.send(text: #"{"op":"subscribe","symbols":[\#(list)],"channels":["trade","candle:1s","candle:1m","candle:5m","candle:1h"]}"#)
        var backlog: [String: String] = [:]
        let wanted = symbols.count * 5
        let deadline = Date().addingTimeInterval(timeout)
        var p = pollfd(fd: c.descriptor, events: Int16(POLLIN), revents: 0)
        while backlog.count < wanted && Date() < deadline {
            _ = poll(&p, 1, 20)
            for event in try c.drainAvailable() {
                guard case .text(let text) = event,
                      let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                      let type = object["type"] as? String, type == "trades" || type == "candles",
                      let symbol = object["symbol"] as? String else { continue }
                backlog["\(symbol) \(type) \(object["interval"] as? String ?? "")"] = text
            }
        }
        return backlog
    }

    @Test func twoGatewayNodesFromTheStartServeByteIdenticalCandlesAndTrades() throws {
        let net = Network(group: "239.201.21.1", port: 27_241, service: "127.0.0.1:27291")
        let a = try net.gateway()
        defer { a.stop() }
        let b = try net.gateway()
        defer { b.stop() }
        let ports = [try port(of: a), try port(of: b)]
        // A finite day (the input stops after 20 000 messages; the feed node stays up), so both nodes
        // end in the same state and the comparison is of whole days, not of two moments.
        let feed = try net.feed(rate: 4000, ["--messages", "20000", "--linger", "120"])
        defer { feed.stop() }
        for p in ports { #expect(waitForHealth(p, 200), "gateway \(p) synchronized") }
        // The input is over when neither node reads another tick for a second.
        var last: [Double] = [-1, -1]
        try waitUntil("both nodes read the whole input", timeout: 120) {
            let now = ports.map { metric($0, "quotecast_gateway_ticks_total") }
            defer { last = now }
            usleep(1_000_000)
            return now.allSatisfy { $0 > 1000 } && now == last
        }
        let known = symbols(ports[0])
        #expect(known.count == 12)
        let first = try seriesBacklog(ports[0], symbols: known)
        let second = try seriesBacklog(ports[1], symbols: known)
        #expect(first.count == known.count * 5)
        var bars = 0
        for text in first.values { bars += text.components(separatedBy: "\"t\":").count - 1 }
        #expect(bars > 100, "the day had bars to compare (\(bars))")
        // Where each node's channels synchronized (`upstream_synced … next=N`): from the same points the
        // two nodes read the same ticks, and their bars and tapes must be byte-identical. A node that a
        // loaded machine let synchronize later took the earlier trades from the snapshot's day state,
        // which carries no bars or tape (the late-join part of issue 19, not done): then they differ.
        let points = [a, b].map { node in
            node.text.split(separator: "\n").filter { $0.contains("event=upstream_synced ") }
                .compactMap { line in line.split(separator: " ").first { $0.hasPrefix("channel=") }.map { "\($0) " + (line.split(separator: " ").first { $0.hasPrefix("next=") } ?? "") } }
                .sorted()
        }
        let compare = {
            for (key, text) in first { #expect(second[key] == text, "\(key) differs between the nodes") }
        }
        if points[0] == points[1] && points[0].count == net.channels {
            compare()
        } else {
            withKnownIssue("the nodes synchronized at different points (\(points)): a late node's bars lack the trades before its snapshot", isIntermittent: true) { compare() }
        }
    }
}

import Foundation
import Glibc
import StreamClient
import Testing

/// Issue 19's series through real processes: `quotecast feed` → two `quotecast gateway` nodes, one
/// from the day's first tick and one that joins late, serve byte-identical `candles` and `trades`.
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

    /// Issue 19's acceptance point: candles built by two gateway nodes from the same feed are
    /// byte-identical, and a node that joins late serves the same candles and recent trades as one
    /// that ran from the start: it takes the bars and the tape of the day so far from the feed node's
    /// snapshot (bar and tape entries, docs/wire-format.md), and the live trades after it do the rest.
    @Test func aLateGatewayNodeServesByteIdenticalCandlesAndTrades() throws {
        let net = Network(group: "239.201.22.1", port: 27_242, service: "127.0.0.1:27292")
        let a = try net.gateway()
        defer { a.stop() }
        let first = try port(of: a)
        // A finite day (the input stops after 20 000 messages; the feed node stays up and answers
        // snapshots), so both nodes end in the same state and the comparison is of whole days.
        let feed = try net.feed(rate: 4000, ["--messages", "20000", "--linger", "120"])
        defer { feed.stop() }
        #expect(waitForHealth(first, 200, timeout: 120), "gateway \(first) synchronized")
        // The second node starts once the first has read part of the day: its bars and tape of what
        // came before can only come from the snapshot.
        try waitUntil("the first node read part of the day", timeout: 120) {
            usleep(50_000)
            return metric(first, "quotecast_gateway_ticks_total") > 2000
        }
        let b = try net.gateway()
        defer { b.stop() }
        let ports = [first, try port(of: b)]
        #expect(waitForHealth(ports[1], 200, timeout: 120), "gateway \(ports[1]) synchronized")
        // The input is over when neither node reads another tick for a second.
        var last: [Double] = [-1, -1]
        try waitUntil("both nodes read the whole input", timeout: 120) {
            let now = ports.map { metric($0, "quotecast_gateway_ticks_total") }
            defer { last = now }
            usleep(1_000_000)
            return now.allSatisfy { $0 > 0 } && now == last
        }
        // The late node synchronized every channel past its start (`upstream_synced … next=N`, N > 1).
        let lateNext = b.text.split(separator: "\n").filter { $0.contains("event=upstream_synced ") }
            .compactMap { line in line.split(separator: " ").first { $0.hasPrefix("next=") }.flatMap { Int($0.dropFirst(5)) } }
        #expect(lateNext.count == net.channels && lateNext.allSatisfy { $0 > 1 }, "the second node joined late (next=\(lateNext))")
        // ...and read fewer ticks than the first (the earlier ones reached it only as the snapshot).
        #expect(metric(ports[1], "quotecast_gateway_ticks_total") < metric(ports[0], "quotecast_gateway_ticks_total"))
        let known = symbols(ports[0])
        #expect(known.count == 12)
        let early = try seriesBacklog(ports[0], symbols: known)
        let late = try seriesBacklog(ports[1], symbols: known)
        #expect(early.count == known.count * 5 && late.count == early.count)
        var bars = 0
        for text in early.values { bars += text.components(separatedBy: "\"t\":").count - 1 }
        #expect(bars > 100, "the day had bars to compare (\(bars))")
        for (key, text) in early { #expect(late[key] == text, "\(key) differs between the nodes") }
    }
}

import Foundation
import Sockets
import Testing

/// Issue 19's named test: `quotecast serve` replaying the simulator's flow fast, and a depth-1 client
/// over 60 s of simulated flow (exchange time, the `ts` of what it receives) sees zero `prev` breaks.
@Suite struct ChainServeTests {
    @Test func aDepthOneClientSeesNoPrevBreakOverSixtySecondsOfSimulatedFlow() throws {
        // A day file of 1 000 000 simulated messages at the simulator's 10 000 a second (100 s of
        // exchange time), replayed by serve at 150 000 a second: about 7 s of wall time.
        let symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "META", "TSLA", "INTC", "CSCO"]
        let dir = try QuotecastProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("day.itch")
        let made = try QuotecastProcess.run(["simulate", "--output", file.path, "--messages", "1000000",
                                             "--symbols", symbols.joined(separator: ","), "--rate", "10000"], timeout: 300)
        try #require(made.status == 0, "simulate: \(made.stderr)")
        let server = try WebSocketServeTests.Server(["--feed", "file://\(file.path)", "--rate", "150000"])
        defer { server.stop() }
        let c = try WebSocketServeTests.Client(server.address)
        defer { c.close() }
        let head = try c.request("GET /v1/stream HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 101"))
        let list = symbols.map { "\"\($0)\"" }.joined(separator: ",")
        // The symbols exist once the feed's first messages reached the gateway: ask until all are taken.
        var taken = 0
        let known = Date().addingTimeInterval(60)
        while taken < symbols.count, Date() < known {
            try c.send(1, Array(#"{"op":"subscribe","id":"s","symbols":[\#(list)],"depth":1}"#.utf8))
            while let f = c.frame(), let m = try? JSONSerialization.jsonObject(with: Data(f.payload)) as? [String: Any] {
                if m["type"] as? String == "subscribed" { taken = (m["symbols"] as? [String])?.count ?? 0 }
                if m["type"] as? String == "error" || taken == symbols.count { break }
            }
            if taken < symbols.count { usleep(10_000) }
        }
        #expect(taken == symbols.count)

        var last: [String: Int] = [:]
        var breaks: [String] = []
        var linked = 0, snapshots = 0, conflated = 0
        var firstTimestamp: Int?
        var span = 0
        let sixtySeconds = 60_000_000_000
        let deadline = Date().addingTimeInterval(300)  // a bound for a broken build, not a speed
        while span < sixtySeconds, Date() < deadline, let f = c.frame() {
            guard f.opcode == 1, let m = try? JSONSerialization.jsonObject(with: Data(f.payload)) as? [String: Any],
                  let type = m["type"] as? String, let symbol = m["symbol"] as? String,
                  let seq = (m["seq"] as? NSNumber)?.intValue else { continue }
            switch type {
            case "snapshot":
                last[symbol] = seq
                snapshots += 1
            default:
                let prev = (m["prev"] as? NSNumber)?.intValue
                if prev == nil || prev != last[symbol] {
                    breaks.append("\(type) \(symbol) seq \(seq) prev \(prev.map(String.init) ?? "none") held \(last[symbol].map(String.init) ?? "none")")
                }
                if m["conflated"] as? Bool == true { conflated += 1 }
                linked += 1
                last[symbol] = seq
                if let ts = (m["ts"] as? NSNumber)?.intValue {
                    if firstTimestamp == nil { firstTimestamp = ts }
                    span = ts - firstTimestamp!
                }
            }
        }
        #expect(span >= sixtySeconds, "the client saw \(Double(span) / 1e9) s of simulated flow")
        #expect(snapshots >= symbols.count)
        #expect(linked > 10_000, "\(linked) updates")
        #expect(breaks.isEmpty, "\(breaks.count) prev breaks: \(breaks.prefix(5))")
        print("depth-1 chain over \(Double(span) / 1e9) s simulated: \(linked) updates, \(snapshots) snapshots, \(conflated) conflated, \(breaks.count) breaks")
    }
}

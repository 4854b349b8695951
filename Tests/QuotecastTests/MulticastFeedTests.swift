import Foundation
import Glibc
import Sockets
import StreamClient
import Testing

/// The exchange on the wire, end to end on loopback multicast: `quotecast simulate` sends, `quotecast
/// serve --feed moldudp64://...` receives and writes its final books with `--summary`, and those books
/// are compared with `quotecast book` over the same messages written to a file. Each test uses its own
/// groups and random ports, so tests running in parallel do not hear each other.
@Suite struct MulticastFeedTests {
    static let messages = 60_000
    static let common = ["--symbols", "20", "--seed", "11", "--rate", "100000"]

    /// A `serve` receiving `url`, started in the background; `finish()` waits for it and reads its files.
    final class Receiver {
        let process = Process()
        let dir: URL
        let summary: URL
        let stderr: URL

        init(url: String, extra: [String]) throws {
            dir = try QuotecastProcess.temporaryDirectory()
            summary = dir.appendingPathComponent("summary.txt")
            stderr = dir.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
            process.executableURL = QuotecastProcess.binary
            process.arguments = ["serve", "--feed", url, "--listen", "127.0.0.1:0", "--summary", summary.path] + extra
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: stderr)
            try process.run()
            let joined = QuotecastProcess.waitFor("event=feed_joined line=a", in: { self.log }, timeout: 20)
            #expect(joined, "the receiver did not join: \(log)")
        }

        /// What it logged so far (kept after `finish()`).
        var log: String { finalLog ?? (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }
        private var finalLog: String?

        /// Waits up to `timeout` seconds for the receiver to exit; returns its summary.
        func finish(timeout: Double = 30) -> String {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                process.interrupt()
                Issue.record("the receiver did not stop by itself: \(log)")
                process.waitUntilExit()
            }
            #expect(process.terminationStatus == 0, "\(log)")
            finalLog = log
            defer { try? FileManager.default.removeItem(at: dir) }
            return (try? String(contentsOf: summary, encoding: .utf8)) ?? ""
        }
    }

    /// `GET path` from the receiver's HTTP listener (its address is in the serve_started log line).
    static func httpGet(_ path: String, from log: String) throws -> String {
        let field = try #require(log.split(separator: " ").first { $0.hasPrefix("listen=") })
        let address = try #require(SocketAddress(parsing: String(field.dropFirst("listen=".count))))
        let c = try TCPConnection.connect(to: address, blocking: true)
        defer { c.close() }
        try c.writeAll(Array("GET \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".utf8))
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let r = chunk.withUnsafeMutableBytes { c.read(into: $0) }
            guard case .bytes(let n) = r, n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Fresh random ports below the kernel's ephemeral range (32768 and up), so no socket bound to port 0
    /// can hold one; groups are per test.
    static func port() -> Int { Int.random(in: 20_000...32_000) }

    /// The per-symbol rows of a `book` summary (the part before the first blank line).
    static func books(_ summary: String) -> String { summary.components(separatedBy: "\n\n")[0] }

    /// A `key=value` figure of the summary's `feed:` line.
    static func figure(_ key: String, in summary: String) -> Int? {
        guard let line = summary.split(separator: "\n").first(where: { $0.hasPrefix("feed: ") }) else { return nil }
        for field in line.split(separator: " ") where field.hasPrefix(key + "=") {
            return Int(field.dropFirst(key.count + 1))
        }
        return nil
    }

    /// The value of `key` on `quotecast simulate`'s final `simulate_stopped` line (nil when the line
    /// or the field is missing, so a renamed field fails the test instead of passing it).
    static func sent(_ key: String, in stderr: String) -> Int? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.contains("simulate_stopped ") }) else { return nil }
        for field in line.split(separator: " ") where field.hasPrefix(key + "=") {
            return Int(field.dropFirst(key.count + 1))
        }
        return nil
    }

    /// `quotecast book`'s summary over the day-file of the same flow (first `prefix` messages when given).
    static func expectedBooks(messages: Int = MulticastFeedTests.messages, prefix: Int? = nil) throws -> String {
        let dir = try QuotecastProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("day.itch")
        let w = try QuotecastProcess.run(["simulate", "--output", file.path, "--messages", "\(messages)"] + common)
        #expect(w.status == 0, "\(w.stderr)")
        if let prefix {
            // Keep the first `prefix` length-prefixed messages.
            let bytes = [UInt8](try Data(contentsOf: file))
            var offset = 0
            for _ in 0..<prefix { offset += 2 + (Int(bytes[offset]) << 8 | Int(bytes[offset + 1])) }
            try Data(bytes[0..<offset]).write(to: file)
        }
        let r = try QuotecastProcess.run(["book", file.path])
        #expect(r.status == 0, "\(r.stderr)")
        return books(r.stdout)
    }

    func simulate(_ args: [String]) throws -> QuotecastProcess {
        let r = try QuotecastProcess.run(["simulate", "--messages", "\(Self.messages)"] + Self.common + args)
        #expect(r.status == 0, "\(r.stderr)")
        return r
    }

    @Test func losslessBooksEqualTheFile() throws {
        let a = "239.255.61.1:\(Self.port())"
        let receiver = try Receiver(url: "moldudp64://\(a)", extra: ["--messages", "\(Self.messages)"])
        let sent = try simulate(["--line-a", a, "--linger", "0"])
        #expect(sent.stderr.contains("simulate_stopped messages=\(Self.messages)"))
        let summary = receiver.finish()
        #expect(Self.books(summary) == (try Self.expectedBooks()))
        #expect(Self.figure("gaps", in: summary) == 0)
        #expect(Self.figure("messages", in: summary) == Self.messages)
    }

    @Test func lossOnLineAOnlyIsFilledByLineBWithoutRequests() throws {
        let port = Self.port()
        let a = "239.255.62.1:\(port)", b = "239.255.62.2:\(port)"
        let receiver = try Receiver(url: "moldudp64://\(a)?b=\(b)&retransmit=127.0.0.1:\(Self.port())",
                                    extra: ["--messages", "\(Self.messages)"])
        let sent = try simulate(["--line-a", a, "--line-b", b, "--drop", "0.01", "--drop-line", "a", "--linger", "0"])
        #expect((Self.sent("dropped_a", in: sent.stderr) ?? 0) > 0, "\(sent.stderr.suffix(500))")
        #expect(Self.sent("dropped_b", in: sent.stderr) == 0, "\(sent.stderr.suffix(500))")
        let summary = receiver.finish()
        #expect(Self.books(summary) == (try Self.expectedBooks()))
        #expect(Self.figure("requests", in: summary) == 0)
        #expect(Self.figure("gaps", in: summary) == 0)
        #expect((Self.figure("line_fills", in: summary) ?? 0) > 0)
    }

    @Test func lossOnBothLinesIsRecoveredFromTheRetransmissionServer() throws {
        let port = Self.port(), server = "127.0.0.1:\(Self.port())"
        let a = "239.255.63.1:\(port)", b = "239.255.63.2:\(port)"
        let receiver = try Receiver(url: "moldudp64://\(a)?b=\(b)&retransmit=\(server)&request-rate=500",
                                    extra: ["--messages", "\(Self.messages)"])
        // 1 % random loss on each line independently (mostly different packets: line B fills line A's
        // holes and the other way round), plus every 300th packet lost on both lines, so that some
        // gaps surely need the retransmission server (random coincidences alone are too rare to count on).
        let sent = try simulate(["--line-a", a, "--line-b", b, "--retransmit", server, "--drop", "0.01", "--drop-every", "300",
                                 "--drop-line", "both", "--linger", "3"])
        #expect((Self.sent("requests", in: sent.stderr) ?? 0) > 0, "\(sent.stderr.suffix(500))")
        let summary = receiver.finish()
        #expect(Self.books(summary) == (try Self.expectedBooks()))
        #expect((Self.figure("recovered_messages", in: summary) ?? 0) > 0)
        #expect(Self.figure("gaps", in: summary) == Self.figure("recoveries", in: summary))
        #expect(Self.figure("unrecovered_gaps", in: summary) == 0, "\(summary.split(separator: "\n").last ?? "")")
        #expect((Self.figure("line_fills", in: summary) ?? 0) > 0)
        #expect(receiver.log.contains("event=feed_gap_recovered"))
    }

    @Test func withoutTheRetransmissionServerTheGapMakesTheBooksStaleNotWrong() throws {
        let port = Self.port()
        let a = "239.255.64.1:\(port)", b = "239.255.64.2:\(port)"
        // Nothing listens on the retransmission port: the requests go unanswered.
        let receiver = try Receiver(url: "moldudp64://\(a)?b=\(b)&retransmit=127.0.0.1:\(Self.port())&recovery-timeout=300&request-timeout=50",
                                    extra: ["--duration", "4"])
        _ = try simulate(["--line-a", a, "--line-b", b, "--drop-every", "500", "--drop-line", "both", "--linger", "0"])
        // While it runs: /healthz is down with the stale state, /metrics counts the gap.
        #expect(QuotecastProcess.waitFor("event=feed_stale", in: { receiver.log }, timeout: 3))
        let health = try Self.httpGet("/healthz", from: receiver.log)
        #expect(health.hasPrefix("HTTP/1.1 503") && health.contains("\"state\":\"stale\""), "\(health)")
        let metrics = try Self.httpGet("/metrics", from: receiver.log)
        #expect(metrics.contains("quotecast_feed_unrecovered_gaps_total 1") && metrics.contains("quotecast_feed_stale_instruments 20")
                && metrics.contains("quotecast_feed_state{state=\"stale\"} 1"), "\(metrics)")
        let summary = receiver.finish()
        #expect(summary.contains("feed: state=stale"), "\(summary)")
        #expect((Self.figure("unrecovered_gaps", in: summary) ?? 0) >= 1)
        #expect(Self.figure("stale_instruments", in: summary) == 20)
        #expect((Self.figure("requests", in: summary) ?? 0) >= 2)   // retried on timeout
        #expect(receiver.log.contains("event=feed_gap ") && receiver.log.contains("event=feed_stale"))
        // Every instrument is stale, and its book is exactly the book after the last message applied.
        let rows = Self.books(summary).split(separator: "\n").dropFirst()
        #expect(rows.count == 20 && rows.allSatisfy { $0.hasSuffix(" stale") })
        let applied = try #require(Self.figure("messages", in: summary))
        #expect(applied > 0 && applied < Self.messages)
        let stripStatus = { (books: String) in
            books.split(separator: "\n").map { $0.split(separator: " ").dropLast().joined(separator: " ") }
        }
        #expect(stripStatus(Self.books(summary)) == stripStatus(try Self.expectedBooks(prefix: applied)))
    }

    /// What a WebSocket client sees when the feed goes stale: every subscribed instrument's status
    /// turns `stale` (a status message, or the snapshot's status), and no quote or trade of it follows.
    @Test func clientsSeeTheStaleStatusAndNoQuotesAfterIt() throws {
        let port = Self.port()
        let a = "239.255.69.1:\(port)", b = "239.255.69.2:\(port)"
        let receiver = try Receiver(url: "moldudp64://\(a)?b=\(b)&retransmit=127.0.0.1:\(Self.port())&recovery-timeout=300",
                                    extra: ["--duration", "20"])
        // The receiver serves for 20 s, far longer than the test needs on an idle machine, so a loaded
        // one (which once stopped it before the client had seen every symbol go stale) only waits
        // longer. A client that subscribes after the gap gets the stale state in its snapshots.
        let sender = Process()
        sender.executableURL = QuotecastProcess.binary
        sender.arguments = ["simulate", "--messages", "40000", "--symbols", "20", "--seed", "11", "--rate", "20000",
                            "--line-a", a, "--line-b", b, "--drop-every", "700", "--drop-line", "both", "--linger", "0"]
        sender.standardError = FileHandle.nullDevice
        try sender.run()
        defer { if sender.isRunning { sender.terminate() }; sender.waitUntilExit() }
        // The instruments, once the directory has gone through.
        var symbols: [String] = []
        let deadline = Date().addingTimeInterval(15)
        while symbols.count < 20 && Date() < deadline {
            let body = try Self.httpGet("/v1/symbols", from: receiver.log)
            symbols = body.components(separatedBy: "\"symbol\":\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
            usleep(50_000)
        }
        #expect(symbols.count == 20)
        let field = try #require(receiver.log.split(separator: " ").first { $0.hasPrefix("listen=") })
        let client = try StreamConnection.connect(to: try StreamURL("ws://\(field.dropFirst("listen=".count))/v1/stream"))
        defer { client.close() }
        try client.send(text: "{\"op\":\"subscribe\",\"symbols\":[" + symbols.map { "\"\($0)\"" }.joined(separator: ",") + "]}")
        var stale = Set<String>()
        var updatesAfterStale = 0
        let until = Date().addingTimeInterval(15)
        while stale.count < symbols.count && Date() < until {
            guard case .text(let text)? = try client.receive(timeout: .milliseconds(200)),
                  let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let type = object["type"] as? String, let symbol = object["symbol"] as? String else { continue }
            if stale.contains(symbol) && (type == "quote" || type == "trade") { updatesAfterStale += 1 }
            if (type == "status" || type == "snapshot") && object["status"] as? String == "stale" { stale.insert(symbol) }
        }
        #expect(stale.count == 20, "stale: \(stale.count) of 20")
        // A little longer: the simulator goes on sending, the books must not move.
        let settle = Date().addingTimeInterval(0.5)
        while Date() < settle {
            guard case .text(let text)? = try client.receive(timeout: .milliseconds(100)) else { continue }
            if text.contains("\"type\":\"quote\"") || text.contains("\"type\":\"trade\"") { updatesAfterStale += 1 }
        }
        #expect(updatesAfterStale == 0)
        _ = receiver.finish()
    }

    @Test func malformedPacketsAreCountedAndSkipped() throws {
        let a = "239.255.65.1:\(Self.port())"
        let receiver = try Receiver(url: "moldudp64://\(a)", extra: ["--messages", "\(Self.messages)"])
        let sent = try simulate(["--line-a", a, "--malformed", "0.05", "--linger", "0"])
        #expect((Self.sent("malformed", in: sent.stderr) ?? 0) > 0, "\(sent.stderr.suffix(500))")
        let summary = receiver.finish()
        #expect(Self.books(summary) == (try Self.expectedBooks()))
        #expect((Self.figure("malformed", in: summary) ?? 0) > 0)
        #expect(Self.figure("gaps", in: summary) == 0)
    }

    @Test(arguments: ["day.itch", "day.pcap"])
    func replayedCapturesGiveTheSameBooks(file: String) throws {
        let dir = try QuotecastProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(file).path
        let w = try QuotecastProcess.run(["simulate", "--output", path, "--messages", "\(Self.messages)"] + Self.common)
        #expect(w.status == 0, "\(w.stderr)")
        let a = "239.255.\(file.hasSuffix("pcap") ? 66 : 67).1:\(Self.port())"
        let receiver = try Receiver(url: "moldudp64://\(a)", extra: ["--messages", "\(Self.messages)"])
        let r = try QuotecastProcess.run(["replay", path, "--max", "--line-a", a, "--linger", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = receiver.finish()
        #expect(Self.books(summary) == (try Self.expectedBooks()))
        #expect(Self.figure("gaps", in: summary) == 0)
    }

    @Test func reorderedAndDuplicatedPacketsGiveTheSameBooks() throws {
        let port = Self.port(), server = "127.0.0.1:\(Self.port())"
        let a = "239.255.68.1:\(port)"
        let receiver = try Receiver(url: "moldudp64://\(a)?retransmit=\(server)", extra: ["--messages", "\(Self.messages)"])
        let sent = try simulate(["--line-a", a, "--retransmit", server, "--reorder", "0.02", "--duplicate", "0.02", "--linger", "3"])
        #expect((Self.sent("reordered", in: sent.stderr) ?? 0) > 0 && (Self.sent("duplicated", in: sent.stderr) ?? 0) > 0,
                "\(sent.stderr.suffix(500))")
        let summary = receiver.finish()
        #expect(Self.books(summary) == (try Self.expectedBooks()))
        #expect((Self.figure("duplicate_packets", in: summary) ?? 0) > 0)
        #expect(Self.figure("unrecovered_gaps", in: summary) == 0)
    }

    @Test func badFeedURLsAreUsageErrors() throws {
        for url in ["moldudp64://10.0.0.1:26400", "moldudp64://239.1.1.1:26400?b=nope", "moldudp64://239.1.1.1:26400?x=1",
                    "moldudp64://239.1.1.1:26400?retransmit=239.1.1.2:9"] {
            let r = try QuotecastProcess.run(["serve", "--feed", url, "--listen", "127.0.0.1:0"])
            #expect(r.status == 2, "\(url): \(r.stderr)")
            #expect(r.stderr.contains("--feed"))
        }
    }
}

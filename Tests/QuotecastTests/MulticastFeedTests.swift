import Foundation
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
            FileManager.default.createFile(atPath: stderr.path, contents: nil)
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

    /// Fresh random ports; groups are per test.
    static func port() -> Int { Int.random(in: 30_000...60_000) }

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
        #expect(!sent.stderr.contains("dropped_a=0 "))
        let summary = receiver.finish()
        #expect(Self.books(summary) == (try Self.expectedBooks()))
        #expect(Self.figure("requests", in: summary) == 0)
        #expect(Self.figure("gaps", in: summary) == 0)
        #expect((Self.figure("line_fills", in: summary) ?? 0) > 0)
    }

    @Test func lossOnBothLinesIsRecoveredFromTheRetransmissionServer() throws {
        let port = Self.port(), server = "127.0.0.1:\(Self.port())"
        let a = "239.255.63.1:\(port)", b = "239.255.63.2:\(port)"
        let receiver = try Receiver(url: "moldudp64://\(a)?b=\(b)&retransmit=\(server)", extra: ["--messages", "\(Self.messages)"])
        // Small packets: many of them, so independent 1 % losses on the two lines coincide several times.
        let sent = try simulate(["--line-a", a, "--line-b", b, "--retransmit", server, "--drop", "0.01", "--drop-line", "both",
                                 "--payload-size", "100", "--linger", "1"])
        #expect(!sent.stderr.contains("requests=0 "))
        let summary = receiver.finish()
        #expect(Self.books(summary) == (try Self.expectedBooks()))
        #expect((Self.figure("recovered_messages", in: summary) ?? 0) > 0)
        #expect(Self.figure("gaps", in: summary) == Self.figure("recoveries", in: summary))
        #expect(Self.figure("unrecovered_gaps", in: summary) == 0)
        #expect(receiver.log.contains("event=feed_gap_recovered"))
    }

    @Test func withoutTheRetransmissionServerTheGapMakesTheBooksStaleNotWrong() throws {
        let port = Self.port()
        let a = "239.255.64.1:\(port)", b = "239.255.64.2:\(port)"
        // Nothing listens on the retransmission port: the requests go unanswered.
        let receiver = try Receiver(url: "moldudp64://\(a)?b=\(b)&retransmit=127.0.0.1:\(Self.port())&recovery-timeout=300&request-timeout=50",
                                    extra: ["--duration", "4"])
        _ = try simulate(["--line-a", a, "--line-b", b, "--drop-every", "500", "--drop-line", "both", "--linger", "0"])
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

    @Test func malformedPacketsAreCountedAndSkipped() throws {
        let a = "239.255.65.1:\(Self.port())"
        let receiver = try Receiver(url: "moldudp64://\(a)", extra: ["--messages", "\(Self.messages)"])
        let sent = try simulate(["--line-a", a, "--malformed", "0.05", "--linger", "0"])
        #expect(!sent.stderr.contains("malformed=0 "))
        let summary = receiver.finish()
        #expect(Self.books(summary) == (try Self.expectedBooks()))
        #expect((Self.figure("malformed", in: summary) ?? 0) > 0)
        #expect(Self.figure("gaps", in: summary) == 0)
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

import Foundation
import Sockets
import StreamClient
import Testing

/// The Korea Exchange end to end with the real binary: `quotecast simulate --market krx` writes or
/// sends KOSCOM's records, `quotecast book` reads a capture of them, `quotecast serve` runs on the
/// built-in simulator or receives `krx://` multicast, and WebSocket subscribers see every hole.
@Suite struct KRXFeedTests {
    static let day = ["--symbols", "8", "--seed", "7"]

    /// A capture of the simulated day (`simulate --market krx --output`), in a fresh directory.
    static func capture(_ extra: [String] = []) throws -> (path: String, directory: URL, log: String) {
        let dir = try QuotecastProcess.temporaryDirectory()
        let path = dir.appendingPathComponent("day.pcap").path
        let r = try QuotecastProcess.run(["simulate", "--market", "krx", "--output", path] + day + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return (path, dir, r.stderr)
    }

    /// The per-instrument rows of a KRX `book` summary (before the first blank line).
    static func rows(_ summary: String) -> String { summary.components(separatedBy: "\n\n")[0] }

    /// The `sent=` per TR code of the simulator's final line.
    static func sent(_ log: String) -> [String: Int] {
        let field = log.split(separator: " ").first { $0.hasPrefix("sent=") }?.dropFirst("sent=".count) ?? ""
        var out: [String: Int] = [:]
        for pair in field.split(separator: ",") {
            let kv = pair.split(separator: ":")
            out[String(kv[0])] = Int(kv[1].trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return out
    }

    @Test func aSimulatedDayIsTheSameBytesForTheSameSeedAndBookReadsIt() throws {
        let a = try Self.capture(), b = try Self.capture()
        defer {
            try? FileManager.default.removeItem(at: a.directory)
            try? FileManager.default.removeItem(at: b.directory)
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: a.path))
        let same = try Data(contentsOf: URL(fileURLWithPath: b.path))
        #expect(bytes.count > 1_000_000 && bytes == same)
        let other = try QuotecastProcess.run(["simulate", "--market", "krx", "--output", b.path, "--symbols", "8", "--seed", "8"])
        let different = try Data(contentsOf: URL(fileURLWithPath: b.path))
        #expect(other.status == 0 && different != bytes)

        let book = try QuotecastProcess.run(["book", a.path])
        #expect(book.status == 0, "\(book.stderr)")
        let rows = Self.rows(book.stdout).split(separator: "\n")
        #expect(rows.count == 9 && rows.dropFirst().allSatisfy { $0.hasPrefix(String($0.split(separator: " ")[1].dropFirst(3).prefix(6))) },
                "a row per instrument, its symbol the ISIN's short code: \(rows)")
        #expect(book.stdout.contains("refused: unknown_tr_code=0 truncated=0 missing_end_keyword=0 non_digit=0"))
        #expect(book.stdout.contains("sequencing: gaps=0 missing_records=0 duplicate_records=0"))
        #expect(book.stdout.contains("of KOSCOM records"))
        // The records decoded per kind are those the simulator sent (the master's three copies too).
        let sent = Self.sent(a.log)
        let quotes = sent.filter { $0.key.hasPrefix("B601") }.values.reduce(0, +)
        let trades = sent.filter { $0.key.hasPrefix("A301") }.values.reduce(0, +)
        #expect(quotes > 1_000 && book.stdout.contains(" quote=\(quotes) ") && book.stdout.contains(" trade=\(trades) "), "\(sent)")

        let jsonl = try QuotecastProcess.run(["book", a.path, "--format", "jsonl"])
        #expect(jsonl.status == 0)
        let messages = jsonl.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(messages.filter { $0["type"] as? String == "trade" }.count == trades)
        let symbol = try #require(messages.first?["symbol"] as? String)
        let one = try QuotecastProcess.run(["book", a.path, "--format", "jsonl", "--symbols", symbol])
        #expect(one.stdout.split(separator: "\n").allSatisfy { $0.contains("\"symbol\":\"\(symbol)\"") })
    }

    @Test func serveOnTheBuiltInSimulatorEndsWithTheCapturesBooks() throws {
        let c = try Self.capture()
        defer { try? FileManager.default.removeItem(at: c.directory) }
        let summary = c.directory.appendingPathComponent("summary.txt").path
        let serve = try QuotecastProcess.run(["serve", "--market", "krx", "--rate", "0", "--listen", "127.0.0.1:0",
                                              "--summary", summary] + Self.day, timeout: 120)
        #expect(serve.status == 0, "\(serve.stderr)")
        #expect(serve.stderr.contains("seq_errors=0"))
        let book = try QuotecastProcess.run(["book", c.path])
        let served = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(Self.rows(served) == Self.rows(book.stdout))
        #expect(served.contains("feed: state=ended") && served.contains(" gaps=0 "))
    }

    @Test func usageErrorsNameTheFlag() throws {
        let cases: [([String], String)] = [
            (["serve", "--market", "lse"], "--market"),
            (["serve", "--market", "krx", "--symbols", "0"], "--symbols"),
            (["serve", "--market", "krx", "--symbols", "AAPL,MSFT"], "--symbols"),
            (["serve", "--market", "krx", "--rate", "100", "--bursty"], "--rate"),
            (["serve", "--market", "krx", "--time-compression", "0"], "--time-compression"),
            (["serve", "--market", "krx", "--feed", "moldudp64://239.1.1.1:5000"], "--market"),
            (["serve", "--market", "nasdaq", "--feed", "krx://239.1.1.1:5000"], "--market"),
            (["serve", "--feed", "krx://10.0.0.1:5000"], "--feed"),
            (["serve", "--feed", "krx://239.1.1.1:5000?silence=1"], "--feed"),
            (["serve", "--feed", "krx://239.1.1.1:5000?bogus=1"], "--feed"),
            (["simulate", "--market", "krx", "--line-a", "239.1.1.1:5000"], "--line-a"),
            (["simulate", "--market", "krx", "--kospi", "10.0.0.1:5000"], "--kospi"),
            (["simulate", "--market", "krx", "--kospi", "239.1.1.1:5000", "--kosdaq", "239.1.1.1:5000"], "--kospi/--kosdaq"),
            (["simulate", "--market", "krx", "--drop", "2"], "--drop"),
            (["simulate", "--market", "krx", "--faults-until", "25:00"], "--faults-until"),
            (["simulate", "--market", "krx", "--payload-size", "100"], "--payload-size"),
            (["simulate", "--kospi", "239.1.1.1:5000"], "--kospi"),
            (["feed", "--publish", "239.1.1.1:5000", "--market", "krx", "--symbols", "2000"], "--symbols"),
        ]
        for (args, flag) in cases {
            let r = try QuotecastProcess.run(args, timeout: 30)
            #expect(r.status == 2, "\(args): status \(r.status) \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(flag), "\(args): \(r.stderr)")
        }
        for command in ["serve", "simulate", "feed"] {
            let help = try QuotecastProcess.run([command, "--help"])
            #expect(help.stdout.contains("--market") && help.stdout.contains("krx"), "\(command) --help")
        }
    }

    /// The status a subscriber sees once an issue has closed for the day (`KRXTickWriter`'s table).
    static let closedStatus = "closed"

    /// Fresh ports below the kernel's ephemeral range, groups of this test's own.
    static func port() -> Int { Int.random(in: 20_000...31_990) }

    /// One WebSocket subscriber's view of a symbol, checked message by message: every update follows
    /// the last by one `seq`, or comes after a `gap` whose snapshot replaces what was missed; a `stale`
    /// status is followed by `gap` + `snapshot` before anything else of the symbol.
    struct SymbolView {
        var seq: UInt64?
        var pendingGap: (from: UInt64, to: UInt64)?
        var awaitingHeal = false
        var stales = 0
        var gaps = 0
        var status = ""
        var lastQuote: String?
        var problems: [String] = []

        mutating func take(_ m: [String: Any], raw: String) {
            let type = m["type"] as? String ?? "?"
            let s = (m["seq"] as? NSNumber)?.uint64Value
            switch type {
            case "snapshot":
                if let gap = pendingGap, s != gap.to { problems.append("snapshot seq \(s ?? 0) after gap to \(gap.to)") }
                pendingGap = nil
                awaitingHeal = false
                seq = s
                status = m["status"] as? String ?? status
                lastQuote = Self.levels(m)
            case "gap":
                let from = (m["from"] as? NSNumber)?.uint64Value ?? 0, to = (m["to"] as? NSNumber)?.uint64Value ?? 0
                if let seq, from != seq + 1 { problems.append("gap from \(from) after seq \(seq)") }
                pendingGap = (from, to)
                gaps += 1
            default:
                guard let s else { return }
                if pendingGap != nil { problems.append("\(type) seq \(s) between a gap and its snapshot") }
                if awaitingHeal { problems.append("\(type) seq \(s) after stale, before gap + snapshot: \(raw)") }
                if let seq, s != seq + 1, m["conflated"] as? Bool != true { problems.append("silent jump \(seq) -> \(s) on \(type)") }
                seq = s
                if type == "status" {
                    status = m["status"] as? String ?? status
                    if status == "stale" {
                        stales += 1
                        awaitingHeal = true
                    }
                }
                if type == "quote" { lastQuote = Self.levels(m) }
            }
        }

        /// A quote's or snapshot's levels, comparable across runs.
        static func levels(_ m: [String: Any]) -> String {
            "\(m["bids"] as? [[Any]] ?? [])|\(m["asks"] as? [[Any]] ?? [])"
        }
    }

    @Test func aLossyMulticastDayHealsToTheLosslessBooksAndSubscribersSeeEveryHole() throws {
        let port = Self.port()
        let kospi = "239.255.71.1:\(port),239.255.71.1:\(port + 1)", kosdaq = "239.255.71.2:\(port + 2),239.255.71.2:\(port + 3)"
        let lossless = try Self.capture()
        defer { try? FileManager.default.removeItem(at: lossless.directory) }
        let summary = lossless.directory.appendingPathComponent("served.txt").path
        let server = try WebSocketServeTests.Server(["--feed", "krx://\(kospi),\(kosdaq)?interface=127.0.0.1", "--summary", summary,
                                                     "--duration", "600",
                                                     // This subscriber parses every message on a loaded machine:
                                                     // slow, and the test is about holes, not slow clients.
                                                     "--client-buffer-max", "\(1 << 30)", "--slow-client-timeout", "86400"])
        defer { server.stop() }
        #expect(QuotecastProcess.waitFor("event=feed_joined", in: { server.text }, timeout: 20))

        // The sender: the same day, 1 % of its datagrams dropped until the closing auction (what
        // heals an instrument is its next quote and trade; the day's last have no successor).
        let sender = Process()
        sender.executableURL = QuotecastProcess.binary
        sender.arguments = ["simulate", "--market", "krx", "--kospi", kospi, "--kosdaq", kosdaq, "--interface", "127.0.0.1",
                            "--rate", "4000", "--drop", "0.01", "--faults-until", "15:20"] + Self.day
        let senderLog = lossless.directory.appendingPathComponent("simulate.log")
        _ = FileManager.default.createFile(atPath: senderLog.path, contents: nil)
        sender.standardError = try FileHandle(forWritingTo: senderLog)
        sender.standardOutput = FileHandle.nullDevice
        try sender.run()
        defer { if sender.isRunning { sender.interrupt() } }

        // Subscribe to every instrument as soon as the gateway lists it (the master comes first).
        let http = try WebSocketServeTests.Client(server.address)
        defer { http.close() }
        var symbols: [String] = []
        let listed = Date().addingTimeInterval(60)
        while symbols.count < 8, Date() < listed {
            let body = try http.request("GET /v1/symbols HTTP/1.1\r\nHost: t\r\n\r\n").components(separatedBy: "\r\n\r\n").last ?? ""
            let entries = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["symbols"] as? [[String: Any]]
            symbols = (entries ?? []).compactMap { $0["symbol"] as? String }
            if symbols.count < 8 { usleep(20_000) }
        }
        #expect(symbols.count == 8, "listed: \(symbols)")
        let stream = try StreamConnection.connect(to: StreamURL("ws://127.0.0.1:\(server.port)/v1/stream"))
        defer { stream.close() }
        try stream.send(text: "{\"op\":\"subscribe\",\"symbols\":[\(symbols.map { "\"\($0)\"" }.joined(separator: ","))]}")

        // What the lossless day ends with: each instrument's last quote.
        let jsonl = try QuotecastProcess.run(["book", lossless.path, "--format", "jsonl"])
        var lastQuote: [String: String] = [:]
        for line in jsonl.stdout.split(separator: "\n") {
            guard let m = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  m["type"] as? String == "quote", let symbol = m["symbol"] as? String else { continue }
            lastQuote[symbol] = SymbolView.levels(m)
        }
        #expect(lastQuote.count == 8)

        // Read until every instrument is closed for the day with the lossless day's last quote
        // (bounded: 5 minutes).
        var views: [String: SymbolView] = [:]
        func ended() -> Bool {
            views.count == 8 && views.allSatisfy { $0.value.status == Self.closedStatus && $0.value.lastQuote == lastQuote[$0.key] }
        }
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline, !ended() {
            let event = try stream.receive(timeout: .milliseconds(500))
            if case .closed(let code, let reason)? = event {
                Issue.record("the gateway closed the stream: \(code) \(reason)")
                break
            }
            guard case .text(let text)? = event else { continue }
            guard let m = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let symbol = m["symbol"] as? String else { continue }
            views[symbol, default: SymbolView()].take(m, raw: text)
        }
        #expect(ended(), "\(views.mapValues(\.status))")
        for (symbol, view) in views { #expect(view.lastQuote == lastQuote[symbol], "\(symbol): the last quote's 10 levels") }
        for (symbol, view) in views.sorted(by: { $0.key < $1.key }) {
            #expect(view.problems.isEmpty, "\(symbol): \(view.problems.prefix(5))")
            #expect(!view.awaitingHeal && view.pendingGap == nil, "\(symbol) ended between a hole and its heal")
            #expect(view.gaps >= view.stales, "\(symbol): \(view.stales) stale marks, \(view.gaps) gaps")
        }
        let stales = views.values.reduce(0) { $0 + $1.stales }, gaps = views.values.reduce(0) { $0 + $1.gaps }
        #expect(stales > 0 && gaps > 0, "1 % of the datagrams dropped: the subscriber saw holes")

        // The sender is done; the receiver's books are the lossless capture's, its quotes the last ones.
        sender.waitUntilExit()
        let sent = (try? String(contentsOf: senderLog, encoding: .utf8)) ?? ""
        #expect(sender.terminationStatus == 0 && !sent.contains("dropped=0 "), "\(sent)")
        #expect(server.stop(SIGINT) == 0, "\(server.text)")
        let served = (try? String(contentsOfFile: summary, encoding: .utf8)) ?? ""
        let book = try QuotecastProcess.run(["book", lossless.path])
        #expect(Self.rows(served) == Self.rows(book.stdout), "\(served)")
        #expect(!served.contains(" gaps=0 ") && served.contains("stale_instruments=0"), "\(served)")
        #expect(server.text.contains("event=feed_instrument_gap") && server.text.contains("seq_errors=0"))
    }
}

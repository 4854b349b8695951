import Foundation
import Sockets
import Testing

/// Exit statuses and their one-line messages, as scripts and service managers see them: the real
/// binary for each case of the table (docs/operations.md, "Exit statuses"): 0 done, 1 a runtime
/// failure (a file that cannot be read or is not a capture, an address in use), 2 bad usage.
@Suite struct ExitStatusTests {
    /// Input files of every kind a user may hand over by mistake, in a fresh directory.
    struct Inputs {
        let directory: URL
        var text: String { directory.appendingPathComponent("README.md").path }
        var random: String { directory.appendingPathComponent("random.bin").path }
        var empty: String { directory.appendingPathComponent("empty.itch").path }
        /// A day-file of `messages` good messages, then a frame of an unknown type, then good ones again.
        var garbage: String { directory.appendingPathComponent("garbage.itch").path }
        let garbageOffset: Int
        let messagesBeforeGarbage: Int

        init() throws {
            directory = try QuotecastProcess.temporaryDirectory()
            try Data("# quotecast\n\nA real-time stock quote daemon.\n".utf8).write(to: URL(fileURLWithPath: directory.appendingPathComponent("README.md").path))
            var rng = SystemRandomNumberGenerator()
            try Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) } + [0xFF, 0xFF])
                .write(to: directory.appendingPathComponent("random.bin"))
            try Data().write(to: directory.appendingPathComponent("empty.itch"))
            let good = try Data(contentsOf: QuotecastProcess.fixture("sim-seed7.itch"))
            // The fixture's first 200 messages, then a frame of type 'z' (no ITCH type), then the rest.
            var offset = 0
            for _ in 0..<200 { offset += 2 + (Int(good[offset]) << 8 | Int(good[offset + 1])) }
            garbageOffset = offset
            messagesBeforeGarbage = 200
            try (good.prefix(offset) + Data([0, 5, UInt8(ascii: "z"), 1, 2, 3, 4]) + good.dropFirst(offset))
                .write(to: directory.appendingPathComponent("garbage.itch"))
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// One row: the arguments, the status, fragments the last stderr line holds (all of them), and
    /// whether stderr must be that one line only.
    struct Row: CustomStringConvertible {
        let args: [String]
        let status: Int32
        let says: [String]
        var oneLine = true
        var description: String { args.joined(separator: " ") }
    }

    @Test func everyFailureExitsWithItsStatusAndOneLineSayingWhy() throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let busy = try TCPListener(binding: SocketAddress(host: "127.0.0.1", port: 0)!)
        defer { busy.close() }
        let taken = "\(busy.localAddress)"
        let publish = "239.77.\(Int.random(in: 1...200)).\(Int.random(in: 1...200)):\(Int.random(in: 20_000...40_000))"
        let rows: [Row] = [
            // Bad usage: 2, the flag named.
            Row(args: ["nonsense"], status: 2, says: ["unknown command 'nonsense'"]),
            Row(args: ["book", inputs.text, "--format", "xml"], status: 2, says: ["--format"]),
            Row(args: ["serve", "--listen", "127.0.0.1:99999"], status: 2, says: ["--listen", "1–65535", "0 = any free port"]),
            Row(args: ["serve", "--listen", "[::1]:8080"], status: 2, says: ["--listen", "IPv4"]),
            Row(args: ["serve", "--listen", "quotes.example:8080"], status: 2, says: ["--listen", "not an IPv4 address"]),
            Row(args: ["serve", "--listen", "8080"], status: 2, says: ["--listen", "HOST:PORT", "1–65535"]),
            Row(args: ["feed", "--publish", publish, "--metrics", "127.0.0.1:70000"], status: 2, says: ["--metrics", "1–65535"]),
            Row(args: ["gateway", "--upstream", publish, "--service", "127.0.0.1:0"], status: 2, says: ["--service", "1–65535"]),
            Row(args: ["version", "extra"], status: 2, says: ["unexpected argument 'extra'"]),
            // Input files: 1, what was expected and what was found.
            Row(args: ["book", inputs.text], status: 1,
                says: ["is not an ITCH 5.0 day-file", "a pcap or a pcapng", "23 20 71 75 6f 74 65 63", "\"# quotecast..A r"]),
            Row(args: ["book", inputs.random], status: 1, says: ["random.bin is not an ITCH 5.0 day-file", "(4098 bytes in all)"]),
            Row(args: ["book", inputs.empty], status: 1, says: ["empty.itch is empty: expected an ITCH 5.0 day-file"]),
            Row(args: ["book", "/nonexistent/day.itch"], status: 1, says: ["cannot read /nonexistent/day.itch: No such file or directory"]),
            Row(args: ["book", inputs.garbage, "--quiet"], status: 1,
                says: ["turns to garbage at byte \(inputs.garbageOffset) (message \(inputs.messagesBeforeGarbage + 1))",
                       "message type 0x7A ('z') is not an ITCH 5.0 type", "after the \(inputs.messagesBeforeGarbage) messages before it"]),
            Row(args: ["replay", inputs.text, "--line-a", publish], status: 1, says: ["is not an ITCH 5.0 day-file"]),
            Row(args: ["serve", "--feed", "file:///nonexistent/day.itch", "--listen", "127.0.0.1:0"], status: 1,
                says: ["--feed: cannot read /nonexistent/day.itch: No such file or directory"]),
            Row(args: ["serve", "--feed", "file://" + inputs.text, "--listen", "127.0.0.1:0"], status: 1,
                says: ["--feed:", "is not an ITCH 5.0 day-file"]),
            Row(args: ["serve", "--feed", "file://" + inputs.garbage, "--listen", "127.0.0.1:0", "--rate", "0"], status: 1,
                says: ["event=serve_stopped"], oneLine: false),
            // Addresses in use: 1 (a well-formed value the system refused), the flag named.
            Row(args: ["serve", "--listen", taken, "--max-clients", "100"], status: 1, says: ["--listen: cannot listen on \(taken)", "in use"]),
            Row(args: ["gateway", "--upstream", publish, "--listen", taken, "--max-clients", "100"], status: 1,
                says: ["--listen: cannot listen on \(taken)", "in use"]),
            Row(args: ["feed", "--publish", publish, "--service", taken], status: 1, says: ["--service: cannot listen on \(taken)", "in use"]),
            Row(args: ["feed", "--publish", publish, "--service", "127.0.0.1:0", "--metrics", taken], status: 1,
                says: ["--metrics: cannot listen on \(taken)", "in use"]),
        ]
        for row in rows {
            let r = try QuotecastProcess.run(row.args, timeout: 60)
            #expect(r.status == row.status, "\(row): exit \(r.status), stderr: \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            let last = lines.last.map(String.init) ?? ""
            for fragment in row.says { #expect(last.contains(fragment), "\(row): '\(fragment)' not in: \(last)") }
            if row.oneLine { #expect(lines.count == 1, "\(row): \(lines.count) lines: \(r.stderr)") }
        }
    }

    /// `serve --feed file://` over a day-file that turns to garbage: the ticks before it are served,
    /// the log says where it stopped, --summary holds the books of the messages before it, exit 1.
    @Test func serveKeepsWhatCameBeforeTheGarbageAndSaysWhere() throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let summary = inputs.directory.appendingPathComponent("summary.txt").path
        let r = try QuotecastProcess.run(["serve", "--feed", "file://" + inputs.garbage, "--listen", "127.0.0.1:0", "--rate", "0",
                                          "--summary", summary], timeout: 60)
        #expect(r.status == 1)
        let failed = r.stderr.split(separator: "\n").first { $0.contains("event=feed_failed") }.map(String.init) ?? ""
        #expect(failed.contains("turns to garbage at byte \(inputs.garbageOffset) (message \(inputs.messagesBeforeGarbage + 1))"), "\(r.stderr)")
        #expect(failed.contains("messages_applied=\(inputs.messagesBeforeGarbage)"), "\(failed)")
        let text = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(text.contains("messages \(inputs.messagesBeforeGarbage) "), "\(text)")
    }

    /// `book` over the same file: the books of the messages before the garbage, and where it stopped.
    @Test func bookPrintsWhatCameBeforeTheGarbage() throws {
        let inputs = try Inputs()
        defer { inputs.remove() }
        let r = try QuotecastProcess.run(["book", inputs.garbage])
        #expect(r.status == 1)
        #expect(r.stdout.contains("messages \(inputs.messagesBeforeGarbage) "), "\(r.stdout)")
        #expect(r.stdout.contains("input: day-file, GARBAGE at byte \(inputs.garbageOffset) (message \(inputs.messagesBeforeGarbage + 1))"))
        #expect(r.stdout.contains("the books above hold the \(inputs.messagesBeforeGarbage) messages before it"))
        // The same books as the first 200 messages alone.
        let head = inputs.directory.appendingPathComponent("head.itch")
        try Data(contentsOf: URL(fileURLWithPath: inputs.garbage)).prefix(inputs.garbageOffset).write(to: head)
        let alone = try QuotecastProcess.run(["book", head.path])
        #expect(alone.status == 0)
        #expect(r.stdout.components(separatedBy: "\n\n")[0] == alone.stdout.components(separatedBy: "\n\n")[0])
        // jsonl: the ticks before it on stdout, the refusal on stderr.
        let jsonl = try QuotecastProcess.run(["book", inputs.garbage, "--format", "jsonl"])
        let aloneJSONL = try QuotecastProcess.run(["book", head.path, "--format", "jsonl"])
        #expect(jsonl.status == 1 && jsonl.stdout == aloneJSONL.stdout && !jsonl.stdout.isEmpty)
        #expect(jsonl.stderr.contains("turns to garbage"))
    }

    @Test func versionSaysVersionCommitCompilerAndBuild() throws {
        for args in [["--version"], ["version"]] {
            let r = try QuotecastProcess.run(args)
            #expect(r.status == 0 && r.stderr.isEmpty)
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 4, "\(r.stdout)")
            #expect(lines.first?.range(of: #"^quotecast \d+\.\d+\.\d+$"#, options: .regularExpression) != nil, "\(r.stdout)")
            let commit = lines.first { $0.hasPrefix("commit: ") }.map { String($0.dropFirst(8)) } ?? ""
            #expect(commit == "unknown" || commit.range(of: #"^[0-9a-f]{40}(-modified)?$"#, options: .regularExpression) != nil, "\(commit)")
            #expect(lines.contains { $0.hasPrefix("swift: ") && $0.contains("Swift version 6.") }, "\(r.stdout)")
            #expect(lines.contains("build: debug") || lines.contains("build: release"), "\(r.stdout)")
        }
    }

    /// Where the repository is there (a checkout), the commit is one of its commits.
    @Test func theCommitIsTheCheckoutsWhenThereIsOne() throws {
        guard FileManager.default.fileExists(atPath: QuotecastProcess.root.appendingPathComponent(".git").path) else { return }
        let r = try QuotecastProcess.run(["--version"])
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("commit: ") } ?? ""
        let commit = String(line.dropFirst(8).prefix(40))
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["-C", QuotecastProcess.root.path, "cat-file", "-t", commit]
        git.standardOutput = FileHandle.nullDevice
        git.standardError = FileHandle.nullDevice
        guard (try? git.run()) != nil else { return }
        git.waitUntilExit()
        #expect(git.terminationStatus == 0, "commit \(commit) is not in the repository")
    }
}

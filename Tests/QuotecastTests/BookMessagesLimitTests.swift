import Foundation
import Testing

/// `quotecast book FILE --messages N`: the books after the first N messages. The reference is the same
/// command over a day-file cut after N messages by the test itself (walking the 2-byte length
/// prefixes), so the flag is checked against the books of a file that simply ends there.
@Suite struct BookMessagesLimitTests {
    /// The first `count` messages of the day-file at `path`, with their length prefixes.
    static func prefix(of path: String, messages count: Int) throws -> Data {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        var offset = 0
        for _ in 0..<count {
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            offset += 2 + length
        }
        return bytes.prefix(offset)
    }

    /// Everything but the summary's last line (the input line, which says how the run ended).
    static func withoutInputLine(_ summary: String) -> [Substring] {
        Array(summary.split(separator: "\n").dropLast())
    }

    @Test(arguments: [1, 37, 700, 1499])
    func stoppingAfterNMessagesGivesTheBooksOfAFileCutThere(count: Int) throws {
        let fixture = QuotecastProcess.fixture("sim-seed7.itch").path
        let dir = try QuotecastProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cut = dir.appendingPathComponent("cut.itch")
        try Self.prefix(of: fixture, messages: count).write(to: cut)

        let stopped = try QuotecastProcess.run(["book", fixture, "--messages", String(count)])
        let reference = try QuotecastProcess.run(["book", cut.path])
        #expect(stopped.status == 0 && reference.status == 0)
        #expect(stopped.stdout.contains("messages \(count)  decoded \(count) "))
        #expect(stopped.stdout.hasSuffix("input: day-file, stopped after \(count) messages (--messages)\n"))
        #expect(Self.withoutInputLine(stopped.stdout) == Self.withoutInputLine(reference.stdout))

        let stoppedTicks = try QuotecastProcess.run(["book", fixture, "--messages", String(count), "--format", "jsonl"])
        let referenceTicks = try QuotecastProcess.run(["book", cut.path, "--format", "jsonl"])
        if count > 1 { #expect(!stoppedTicks.stdout.isEmpty) } // message 1 is the start of messages: no tick
        #expect(stoppedTicks.stdout == referenceTicks.stdout)
    }

    @Test func aLimitBeyondTheFileReadsItAll() throws {
        let fixture = QuotecastProcess.fixture("sim-seed7.itch").path
        let all = try QuotecastProcess.run(["book", fixture])
        let limited = try QuotecastProcess.run(["book", fixture, "--messages", "1000000"])
        #expect(limited.status == 0 && limited.stdout == all.stdout)
        #expect(all.stdout.hasSuffix("input: day-file, complete\n"))
    }

    @Test(arguments: ["0", "-3", "many", ""])
    func aBadLimitExitsTwoNamingTheFlag(value: String) throws {
        let r = try QuotecastProcess.run(["book", QuotecastProcess.fixture("sim-seed7.itch").path, "--messages", value])
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("--messages"), "\(r.stderr)")
    }
}

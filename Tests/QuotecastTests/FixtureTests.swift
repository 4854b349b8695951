import Foundation
import Testing

/// The committed fixtures and their golden outputs. `QUOTECAST_UPDATE_FIXTURES=1 swift test --filter
/// FixtureTests` (scripts/regenerate-fixtures) rewrites them; otherwise every test compares, so any
/// drift in the simulator, the encoders, the books or the output formats fails here.
@Suite(.serialized) struct FixtureTests {
    static let updating = ProcessInfo.processInfo.environment["QUOTECAST_UPDATE_FIXTURES"] == "1"

    /// The simulator invocations that made the capture fixtures.
    static let simulated: [(file: String, args: [String])] = [
        ("sim-seed7.itch", ["--messages", "1500", "--symbols", "5", "--seed", "7"]),
        ("sim-seed7.pcap", ["--messages", "1500", "--symbols", "5", "--seed", "7", "--line-b", "239.192.0.2:26400",
                            "--vlan", "100"]),
    ]

    /// Compares `actual` with the committed fixture `name` (or rewrites it when updating).
    func check(_ actual: Data, against name: String) throws {
        let url = QuotecastProcess.fixture(name)
        if Self.updating {
            try actual.write(to: url)
            return
        }
        let expected = try Data(contentsOf: url)
        #expect(actual == expected, "\(name) drifted: regenerate with scripts/regenerate-fixtures and review the diff")
    }

    @Test func simulatorCapturesAreReproducible() throws {
        let dir = try QuotecastProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (file, args) in Self.simulated {
            let out = dir.appendingPathComponent(file)
            let r = try QuotecastProcess.run(["simulate", "--output", out.path] + args)
            #expect(r.status == 0, "\(r.stderr)")
            try check(try Data(contentsOf: out), against: file)
        }
    }

    @Test func edgeCaseFileIsWhatTheBuilderMakes() throws {
        try check(Data(EdgeCaseFixture.build()), against: "edge-cases.itch")
    }

    @Test(arguments: ["sim-seed7.itch", "sim-seed7.pcap", "edge-cases.itch"])
    func bookOutputsMatchTheGoldens(file: String) throws {
        let path = QuotecastProcess.fixture(file).path
        let stem = (file as NSString).deletingPathExtension + ((file as NSString).pathExtension == "pcap" ? "-pcap" : "")
        let summary = try QuotecastProcess.run(["book", path])
        #expect(summary.status == 0, "\(summary.stderr)")
        try check(Data(summary.stdout.utf8), against: "\(stem).summary.txt")
        let jsonl = try QuotecastProcess.run(["book", path, "--format", "jsonl"])
        #expect(jsonl.status == 0)
        try check(Data(jsonl.stdout.utf8), against: "\(stem).jsonl")
    }

    @Test func dayFileAndPcapOfTheSameFlowGiveTheSameBooks() throws {
        let day = try QuotecastProcess.run(["book", QuotecastProcess.fixture("sim-seed7.itch").path])
        let pcap = try QuotecastProcess.run(["book", QuotecastProcess.fixture("sim-seed7.pcap").path])
        let books = { (s: String) in s.components(separatedBy: "\n\n")[0] }
        #expect(books(day.stdout) == books(pcap.stdout))
        #expect(pcap.stdout.contains("duplicate_packets=") && !pcap.stdout.contains("duplicate_packets=0 "))
        #expect(pcap.stdout.contains("gaps=0 "))
    }

    @Test func edgeCasesAreCountedNotFatal() throws {
        let r = try QuotecastProcess.run(["book", QuotecastProcess.fixture("edge-cases.itch").path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("unknown_type=0 bad_length=0"))
        #expect(r.stdout.contains("unknown_reference=2"))
        #expect(r.stdout.contains("final message truncated"))
        #expect(r.stdout.contains("non_printable=1"))
        #expect(r.stdout.contains("trade_breaks=1"))
    }

    @Test func symbolFilterAndDepthLimitTheOutput() throws {
        let path = QuotecastProcess.fixture("sim-seed7.itch").path
        let all = try QuotecastProcess.run(["book", path, "--format", "jsonl"]).stdout.split(separator: "\n")
        let first = try #require(all.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        let symbol = try #require(first["symbol"] as? String)
        let one = try QuotecastProcess.run(["book", path, "--format", "jsonl", "--symbols", symbol]).stdout.split(separator: "\n")
        #expect(!one.isEmpty && one.count < all.count)
        #expect(one.allSatisfy { $0.contains("\"symbol\":\"\(symbol)\"") })
        let shallow = try QuotecastProcess.run(["book", path, "--format", "jsonl", "--depth", "1"]).stdout.split(separator: "\n")
        #expect(shallow.count < all.count)
        for line in shallow where line.contains("\"type\":\"quote\"") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect((object["bids"] as? [Any])?.count ?? 0 <= 1 && (object["asks"] as? [Any])?.count ?? 0 <= 1)
        }
    }

    /// The real Nasdaq capture (skipped where the workplace's shared/ folder is absent): a mid-session
    /// join, so about 400 references to orders added before it are counted and ignored.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: FixtureTests.nasdaq)))
    func realNasdaqCaptureJoinedMidSession() throws {
        let r = try QuotecastProcess.run(["book", Self.nasdaq])
        #expect(r.status == 0)
        #expect(r.stdout.contains("messages 1000  decoded 1000"))
        #expect(r.stdout.contains("A=367 C=1 D=167 E=28 F=193 I=4 P=4 Q=4 S=1 U=225 X=6"))
        #expect(r.stdout.contains("unknown_reference=399 "))
        #expect(r.stdout.contains("level_missing=0"))
        let jsonl = try QuotecastProcess.run(["book", Self.nasdaq, "--format", "jsonl"])
        for line in jsonl.stdout.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil)
        }
    }

    static let nasdaq = QuotecastProcess.root.deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures/nasdaq/12302019_SNIPPET.NASDAQ_ITCH50").path
}

import Foundation
import LoadTest
import Testing

/// The whole driver against the in-process sender on loopback: real sockets, the real handshake,
/// frames and checks. Each run is bounded (about a second).
@Suite(.serialized) struct LoadRunTests {
    func run(_ fault: SelfTestSender.Fault = .none, clients: Int = 3, threads: Int = 1,
             failIf: [String] = [], chain: Bool = true) throws -> LoadReport {
        let sender = try SelfTestSender(symbolCount: 20, fault: fault, chain: chain)
        sender.start()
        defer { sender.stop() }
        var c = LoadConfiguration()
        c.url = "ws://127.0.0.1:\(sender.port)/v1/stream"
        c.symbols = sender.symbols
        c.clients = clients
        c.symbolsPerClient = 5
        c.depth = 10
        c.duration = 1
        c.threads = threads
        c.fetchMetrics = false
        c.progress = false
        c.failIf = try failIf.map { try FailCondition(parsing: $0) }
        return try LoadRun(c) { _ in }.run()
    }

    @Test func aCleanStreamPassesWithEveryFigure() throws {
        let report = try run(clients: 4, threads: 2)
        #expect(report.exitStatus == 0)
        #expect(report.errors == 0 && report.unexplainedGaps == 0)
        #expect(report.connectsOK == 4 && report.connectsFailed == 0)
        #expect(report.messagesPerSecond > 0)  // a rate floor belongs to quotecast-bench, not here
        #expect(report.latencyCount > 0 && report.latency(0.99) != nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        for key in ["format", "url", "profile", "clients", "connects", "handshake_ms", "delivered", "latency_ms", "fairness",
                    "conflation", "gaps", "errors", "disconnects", "harness", "server_metrics", "fail_if", "exit_status", "window_s"] {
            #expect(object[key] != nil, "report lacks \(key)")
        }
        let latency = try #require(object["latency_ms"] as? [String: Any])
        for key in ["count", "p50", "p90", "p99", "p99.9", "max", "mean"] { #expect(latency[key] is NSNumber, "latency_ms.\(key)") }
        let delivered = try #require(object["delivered"] as? [String: Any])
        #expect((delivered["msgs_per_s"] as? Double ?? 0) > 0)
        let fast = try #require((object["fairness"] as? [String: Any])?["fast"] as? [String: Any])
        #expect(fast["clients"] as? Int == 4)
        #expect(report.table().contains("result                    PASS"))
    }

    @Test func anUnexplainedGapFailsTheRun() throws {
        // A server without `prev` (before issue 19): the old rule.
        // Every 100th: a run on a loaded machine may deliver only a few hundred messages in its second.
        let report = try run(.skipSeq(every: 100), chain: false)
        #expect(report.unexplainedGaps > 0)
        #expect(report.exitStatus == 1)
        #expect(report.json().contains("\"unexplained\" : "))
    }

    /// A lost message shows as an update whose `prev` is not the last seq received: the run fails,
    /// the report counts it.
    @Test func aPrevBreakFailsTheRun() throws {
        let report = try run(.skipSeq(every: 100))
        #expect(report.prevBreaks > 0)
        #expect(report.unexplainedGaps == 0)
        #expect(report.exitStatus == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let errors = try #require(object["errors"] as? [String: Any])
        #expect((errors["prev_breaks"] as? Int ?? 0) > 0)
        #expect(report.table().contains("prev breaks"))
        #expect((report.figure("prev_breaks") ?? 0) > 0)
    }

    @Test func aCleanChainHasNoPrevBreak() throws {
        let report = try run()
        #expect(report.prevBreaks == 0 && report.exitStatus == 0)
        #expect(report.totalMessages > 0)
    }

    @Test func invalidJSONFailsTheRun() throws {
        let report = try run(.invalidJSON(every: 100))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let errors = try #require(object["errors"] as? [String: Any])
        #expect((errors["invalid_json"] as? Int ?? 0) > 0)
        #expect(report.exitStatus == 1)
    }

    @Test func failIfWorksBothWays() throws {
        #expect(try run(failIf: ["msgs_per_s>=1", "errors==0"]).exitStatus == 0)
        let broken = try run(failIf: ["p99<1ns"])
        #expect(broken.exitStatus == 3)
        #expect(broken.verdicts.first?.held == false)
    }

    @Test func noGatewayIsAClearError() throws {
        var c = LoadConfiguration()
        c.url = "ws://127.0.0.1:1/v1/stream"
        c.progress = false
        #expect(throws: LoadRunError.self) { try LoadRun(c) { _ in }.run() }
    }
}

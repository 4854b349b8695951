import Foundation
import Testing

/// `quotecast load` from the user's side: the real binary, its flags and exit statuses, its
/// --self-test, and runs against the real `quotecast serve` on an ephemeral loopback port.
@Suite(.serialized) struct LoadCommandTests {
    /// Runs `quotecast load …` writing --json into a temporary file; returns the process and the report.
    func load(_ args: [String], timeout: Double = 90) throws -> (QuotecastProcess, [String: Any]?) {
        let dir = try QuotecastProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("report.json")
        let r = try QuotecastProcess.run(["load"] + args + ["--json", json.path], timeout: timeout)
        let report = (try? Data(contentsOf: json)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        return (r, report)
    }

    @Test func helpExplainsEveryFlag() throws {
        let r = try QuotecastProcess.run(["load", "--help"])
        #expect(r.status == 0)
        for flag in ["--url", "--clients", "--symbols-per-client", "--depth", "--duration", "--json", "--fail-if",
                     "--profile", "--connect-rate", "--threads", "--symbol-list", "--distribution", "--zipf-exponent",
                     "--seed", "--ramp-start", "--ramp-step", "--ramp-interval", "--churn-per-sec", "--slow-fraction",
                     "--slow-bytes-per-sec", "--slow-receive-buffer", "--storm-at", "--connect-timeout", "--no-metrics",
                     "--quiet", "--self-test", "--token", "--token-key-file", "--token-kid", "--token-ttl"] {
            #expect(r.stdout.contains(flag), "--help does not explain \(flag)")
        }
    }

    @Test(arguments: [
        ["--clients", "0"], ["--depth", "11"], ["--bogus"], ["--profile", "stampede"], ["--fail-if", "p99<ten"],
        ["--fail-if", "latency<1ms"], ["--storm-at", "3"], ["--slow-fraction", "1.5"], ["--duration", "-1"],
        ["--url", "http://x"], ["--distribution", "pareto"], ["--zipf-exponent", "2"], ["extra"],
        ["--symbol-list", "WAYTOOLONGSYMBOL"],
        ["--token", "a", "--token-key-file", "/x"], ["--token-kid", "k1"], ["--token-ttl", "1h"], ["--token", "two words"],
    ])
    func badFlagsExit2NamingTheFlag(_ args: [String]) throws {
        // Otherwise valid runs point at a closed port, so a flag wrongly accepted shows as exit 1.
        let rest = args.first == "--url" ? [] : ["--url", "ws://127.0.0.1:1/v1/stream"]
        let r = try QuotecastProcess.run(["load"] + args + rest)
        #expect(r.status == 2, "\(args): status \(r.status), stderr \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
    }

    /// A report file that cannot be written is a runtime failure (exit 1, docs/operations.md's exit
    /// statuses), found before the run starts, with the operating system's reason.
    @Test func aReportFileThatCannotBeWrittenExits1BeforeTheRun() throws {
        let r = try QuotecastProcess.run(["load", "--json", "/nonexistent-dir/r.json", "--url", "ws://127.0.0.1:1/v1/stream"])
        #expect(r.status == 1, "status \(r.status), stderr \(r.stderr)")
        #expect(r.stderr.contains("--json: cannot write /nonexistent-dir/r.json: No such file or directory"), "\(r.stderr)")
        #expect(!r.stderr.contains("cannot fetch the symbol list"), "\(r.stderr)")
    }

    @Test func noGatewayExits1WithAClearMessage() throws {
        let r = try QuotecastProcess.run(["load", "--url", "ws://127.0.0.1:1/v1/stream", "--duration", "1"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot fetch the symbol list"))
    }

    @Test func selfTestReadsAndReports() throws {
        let (r, report) = try load(["--self-test", "--duration", "1", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("self-test:") && r.stdout.contains("PASS"))
        let delivered = try #require(report?["delivered"] as? [String: Any])
        #expect((delivered["messages"] as? Int ?? 0) > 0)
        #expect((report?["errors"] as? [String: Any])?["total"] as? Int == 0)
    }

    // MARK: against quotecast serve

    @Test func steadyRunWith200ClientsHasNoUnexplainedGapsAndReportsLatency() throws {
        let server = try WebSocketServeTests.Server(["--rate", "1000", "--max-clients", "1000"])
        defer { server.stop() }
        let (r, report) = try load(["--url", "ws://127.0.0.1:\(server.port)/v1/stream", "--clients", "200",
                                    "--symbols-per-client", "10", "--duration", "3", "--connect-rate", "2000"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr.suffix(2000))")
        let report_ = try #require(report)
        let connects = try #require(report_["connects"] as? [String: Any])
        #expect(connects["ok"] as? Int == 200 && connects["failed"] as? Int == 0)
        let gaps = try #require(report_["gaps"] as? [String: Any])
        #expect(gaps["unexplained"] as? Int == 0)
        #expect((report_["errors"] as? [String: Any])?["total"] as? Int == 0)
        let latency = try #require(report_["latency_ms"] as? [String: Any])
        #expect((latency["count"] as? Int ?? 0) > 0)
        #expect((latency["p99"] as? Double ?? -1) >= 0)
        #expect(((report_["delivered"] as? [String: Any])?["msgs_per_s"] as? Double ?? 0) > 0)
        #expect((report_["server_metrics"] as? [String: Any])?["after"] is [String: Any], "the server's /metrics")
        #expect(r.stderr.contains("event=load_progress"))
    }

    @Test func slowClientsAreConflatedAndFastOnesAreNot() throws {
        // A fast client must never be conflated, and a loaded machine must not make it look slow:
        // at --rate 500 a client of 20 of the 100 symbols gets ~12 KB/s, so a fast reader that
        // the scheduler starves has its default kernel receive buffer (>= 128 KiB) plus the 16 KiB
        // soft limit, ~12 s, before the gateway would conflate it (at --rate 2000 it had ~3 s, and
        // all 30 fast clients were conflated in a loaded run). The slow ones read 2.5 KB/s through
        // 2 KiB: they fall behind at once, and each reads its ~22 KiB backlog (~9 s) before its
        // first conflated quote. That the slow ones get there is the condition the test waits on:
        // a run too short for it (the machine too loaded) is followed by a longer one, up to 3.
        let server = try WebSocketServeTests.Server(["--rate", "500", "--client-buffer", "16384", "--client-sndbuf", "4096",
                                                     "--client-buffer-max", "16777216"])
        defer { server.stop() }
        var slowConflated = 0
        for (attempt, duration) in [20, 40, 80].enumerated() where slowConflated == 0 {
            let (r, report) = try load(["--url", "ws://127.0.0.1:\(server.port)/v1/stream", "--clients", "40",
                                        "--symbols-per-client", "20", "--duration", "\(duration)", "--profile", "slow",
                                        "--slow-fraction", "0.25", "--slow-bytes-per-sec", "2500",
                                        "--slow-receive-buffer", "2048", "--quiet"], timeout: Double(duration) + 120)
            #expect(r.status == 0, "\(r.stdout)\n\(r.stderr.suffix(2000))")
            let fairness = try #require(report?["fairness"] as? [String: Any])
            let slow = try #require(fairness["slow"] as? [String: Any])
            let fast = try #require(fairness["fast"] as? [String: Any])
            #expect(fast["clients_conflated"] as? Int == 0, "run \(attempt + 1) (\(duration) s): fast clients were conflated: \(fast)")
            #expect(((report?["gaps"] as? [String: Any])?["unexplained"] as? Int) == 0)
            slowConflated = slow["clients_conflated"] as? Int ?? 0
            if slowConflated > 0 {
                // The slow ones do not slow the fast ones down.
                let fastLatency = try #require(report?["latency_fast_ms"] as? [String: Any])
                let slowLatency = try #require(report?["latency_slow_ms"] as? [String: Any])
                #expect((fastLatency["p50"] as? Double ?? .infinity) < (slowLatency["p50"] as? Double ?? 0))
            } else {
                print("slowClientsAreConflatedAndFastOnesAreNot: no slow client conflated within \(duration) s: \(slow)")
            }
        }
        #expect(slowConflated > 0, "no slow client was conflated in runs of 20, 40 and 80 s")
    }

    @Test func failIfWorksBothWaysAgainstServe() throws {
        let server = try WebSocketServeTests.Server(["--rate", "5000"])
        defer { server.stop() }
        let url = "ws://127.0.0.1:\(server.port)/v1/stream"
        let (kept, _) = try load(["--url", url, "--clients", "20", "--duration", "2", "--fail-if", "p99<60s,errors==0,msgs_per_s>0"])
        #expect(kept.status == 0, "\(kept.stdout)")
        let (broken, report) = try load(["--url", url, "--clients", "20", "--duration", "2", "--fail-if", "p99<1ns"])
        #expect(broken.status == 3, "\(broken.stdout)")
        #expect(broken.stdout.contains("BROKEN"))
        let verdict = try #require((report?["fail_if"] as? [[String: Any]])?.first)
        #expect(verdict["held"] as? Bool == false)
    }

    @Test func rampChurnAndReconnectStormProfiles() throws {
        let server = try WebSocketServeTests.Server(["--rate", "1000"])
        defer { server.stop() }
        let url = "ws://127.0.0.1:\(server.port)/v1/stream"

        // Ramp: every step keeps a generous bound, so the capacity is the ceiling, reached in 3 steps.
        let (ramp, rampReport) = try load(["--url", url, "--profile", "ramp", "--clients", "60", "--ramp-start", "20",
                                           "--ramp-step", "20", "--ramp-interval", "1", "--fail-if", "p99<60s", "--quiet"])
        #expect(ramp.status == 0, "\(ramp.stdout)")
        let steps = try #require(rampReport?["ramp"] as? [String: Any])
        #expect(steps["capacity"] as? Int == 60)
        #expect((steps["steps"] as? [[String: Any]])?.map { $0["target"] as? Int ?? 0 } == [20, 40, 60])

        // Churn: clients are replaced while the checks still see clean seq lines.
        let (churn, churnReport) = try load(["--url", url, "--profile", "churn", "--clients", "30", "--churn-per-sec", "10",
                                             "--duration", "2", "--quiet"])
        #expect(churn.status == 0, "\(churn.stdout)")
        #expect(((churnReport?["churn"] as? [String: Any])?["replaced"] as? Int ?? 0) > 0)

        // Reconnect storm: everyone drops at once and is back, with the time it took.
        let (storm, stormReport) = try load(["--url", url, "--profile", "reconnect-storm", "--clients", "50",
                                             "--duration", "3", "--storm-at", "1", "--quiet"])
        #expect(storm.status == 0, "\(storm.stdout)")
        let stormFigures = try #require(stormReport?["storm"] as? [String: Any])
        #expect(stormFigures["dropped"] as? Int == 50)
        #expect((stormFigures["recovery_s"] as? Double ?? -1) >= 0)
        #expect((stormReport?["connects"] as? [String: Any])?["ok"] as? Int == 100)
    }

    /// The issue's `--auth token` run at 1 000 clients: one token minted per client, every
    /// handshake verified (the server counts them), nothing lost; a wrong shared token is refused 401.
    @Test func anAuthTokenRunOf1000ClientsPresentsOneTokenPerClient() throws {
        let keys = try KeyFileFixture()
        defer { keys.remove() }
        try keys.write([("k1", AccessControlServeTests.first)])
        let server = try WebSocketServeTests.Server(["--rate", "1000", "--max-clients", "2000", "--auth", "token",
                                                     "--auth-key-file", keys.path])
        defer { server.stop() }
        let url = "ws://127.0.0.1:\(server.port)/v1/stream"
        let (r, report) = try load(["--url", url, "--clients", "1000", "--symbols-per-client", "2", "--duration", "3",
                                    "--connect-rate", "2000", "--connect-timeout", "30", "--token-key-file", keys.path, "--quiet"],
                                   timeout: 240)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr.suffix(2000))")
        let report_ = try #require(report)
        let connects = try #require(report_["connects"] as? [String: Any])
        #expect(connects["ok"] as? Int == 1000 && connects["failed"] as? Int == 0, "\(connects)")
        #expect((report_["tokens"] as? String)?.hasPrefix("minted per client (sub load-N, kid k1") == true)
        #expect((report_["gaps"] as? [String: Any])?["unexplained"] as? Int == 0)
        let delta = try #require((report_["server_metrics"] as? [String: Any])?["delta"] as? [String: Double])
        #expect(delta[#"quotecast_gateway_authentications_total{stage="handshake",result="accepted",reason="ok"}"#] == 1000, "\(delta)")
        #expect(r.stdout.contains("access tokens"))

        let wrong = KeyFileFixture.token(kid: "k1", secret: AccessControlServeTests.second)
        let (refused, refusedReport) = try load(["--url", url, "--clients", "20", "--duration", "1", "--symbol-list", "AAPL",
                                                 "--token", wrong, "--quiet", "--no-metrics"])
        #expect(refused.stdout.contains("http_401=20"), "\(refused.stdout)")
        #expect((refusedReport?["connects"] as? [String: Any])?["failed"] as? Int == 20)
        let (noToken, _) = try load(["--url", url, "--clients", "2", "--duration", "1", "--quiet"])
        #expect(noToken.status == 1 && noToken.stderr.contains("GET /v1/symbols answered 401"), "\(noToken.stderr)")
    }
}

import Foundation
import Testing

/// `quotecast ticker` from the user's side: the real binary, its flags, plain output against a
/// gateway on loopback, a gateway that is down or restarts. Every wait is bounded.
@Suite(.serialized) struct TickerCommandTests {
    /// The built `quotecast` executable, next to the test bundle.
    static var binary: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("quotecast")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "quotecast")
    }

    /// A running ticker with its output in files.
    final class Ticker {
        let process = Process()
        let dir: URL
        init(_ args: [String], environment: [String: String]? = nil) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("ticker-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("out").path, contents: nil)
            _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("err").path, contents: nil)
            process.executableURL = TickerCommandTests.binary
            process.arguments = ["ticker"] + args
            if let environment { process.environment = environment }
            process.standardOutput = try FileHandle(forWritingTo: dir.appendingPathComponent("out"))
            process.standardError = try FileHandle(forWritingTo: dir.appendingPathComponent("err"))
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
            try? FileManager.default.removeItem(at: dir)
        }
        var stdout: String { (try? String(contentsOf: dir.appendingPathComponent("out"), encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: dir.appendingPathComponent("err"), encoding: .utf8)) ?? "" }

        /// Waits (bounded) until `predicate` holds on (stdout, stderr).
        func wait(_ timeout: Double = 10, _ predicate: (String, String) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if predicate(stdout, stderr) { return true }
                usleep(20_000)
            }
            return false
        }

        /// Sends `signal`, waits (bounded) for the exit, returns the status.
        func stop(_ signal: Int32 = SIGINT) -> Int32 {
            kill(process.processIdentifier, signal)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                Issue.record("ticker did not stop on signal \(signal)")
            }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static func run(_ args: [String]) throws -> (Int32, String, String) {
        let t = try Ticker(args)
        let deadline = Date().addingTimeInterval(20)
        while t.process.isRunning && Date() < deadline { usleep(20_000) }
        if t.process.isRunning { return (t.stop(SIGKILL), t.stdout, t.stderr) }
        t.process.waitUntilExit()
        return (t.process.terminationStatus, t.stdout, t.stderr)
    }

    @Test func helpExplainsEveryFlag() throws {
        let (status, out, _) = try Self.run(["--help"])
        #expect(status == 0)
        for flag in ["--depth", "--url", "--plain", "--no-color", "--ascii", "--fps", "--connect-timeout", "--retry-max", "NO_COLOR", "--token", "QUOTECAST_TOKEN"] {
            #expect(out.contains(flag), "\(flag) missing from --help")
        }
    }

    @Test(arguments: [
        (["AAPL", "--bogus"], "--bogus"), (["AAPL", "--fps", "0"], "--fps"), (["AAPL", "--fps", "x"], "--fps"),
        (["AAPL", "--url", "http://x/"], "--url"), (["AAPL", "--url"], "--url"), ([], "SYMBOL"),
        (["--depth", "TOOLONGSYM"], "--depth"), (["TOOLONGSYM"], "TOOLONGSYM"), (["AAPL", "--retry-max", "0"], "--retry-max"), (["AAPL", "--token", "a b"], "--token"),
    ])
    func badFlagsExit2(args: [String], named: String) throws {
        let (status, out, err) = try Self.run(args)
        #expect(status == 2)
        #expect(out.isEmpty)
        #expect(err.split(separator: "\n").count == 1 && err.contains(named), "\(err)")
    }

    /// Plain lines (stdout is not a terminal, so even without --plain): snapshots, trades, the
    /// unknown symbol, no escape codes; the gateway restarts and the ticker reconnects and
    /// resubscribes by itself; SIGINT exits 0.
    @Test(arguments: [true, false])
    func plainLinesAndReconnect(explicitPlain: Bool) throws {
        var gateway = try FakeGateway(base: 100)
        let port = gateway.port
        let t = try Ticker(["AAPL", "NOPE", "MSFT", "--url", gateway.url, "--retry-max", "1"] + (explicitPlain ? ["--plain"] : []))
        #expect(t.wait { out, _ in out.contains("MSFT trade seq=4") })
        let out = t.stdout
        #expect(out.contains("09:30:00.000 AAPL snapshot seq=1 status=trading bid=100x100.5000 ask=100.5100x100 last=100.5000x100 volume=1000"))
        #expect(out.contains("09:30:00.003 AAPL trade seq=4 price=100.5300 size=30 side=B volume=1060 change=+0.0300 change_pct=+0.03"))
        #expect(out.contains("- NOPE unknown_symbol"))
        #expect(!out.contains("\u{1B}"))
        #expect(t.stderr.contains("event=ticker_connected"))

        gateway.stop()
        #expect(t.wait { _, err in err.contains("event=ticker_gateway_down") })
        gateway = try FakeGateway(port: port, base: 200)
        #expect(t.wait { out, _ in out.contains("AAPL trade seq=4 price=200.5300") }, "no reconnect: \(t.stderr)")
        #expect(t.stop(SIGINT) == 0)
        gateway.stop()
    }

    /// A gateway that is down: a clear message on stderr, retries, still running; SIGTERM exits 0.
    @Test func gatewayDownRetries() throws {
        let closed = try FakeGateway()
        let url = closed.url
        closed.stop()
        let t = try Ticker(["AAPL", "--url", url, "--retry-max", "1"])
        #expect(t.wait { _, err in err.components(separatedBy: "event=ticker_gateway_down").count >= 4 })
        #expect(t.stderr.contains("Connection refused"))
        #expect(t.process.isRunning)
        #expect(t.stop(SIGTERM) == 0)
    }
}

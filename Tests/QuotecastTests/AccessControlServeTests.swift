import Auth
import Codecs
import Foundation
import Sockets
import Testing

/// A key file for `--auth-key-file`, and tokens signed with its keys.
struct KeyFileFixture {
    let directory: URL
    let path: String

    init() throws {
        directory = try QuotecastProcess.temporaryDirectory()
        path = directory.appendingPathComponent("keys").path
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Replaces the file (renamed into place, so a reload never reads half of it) with `keys`.
    func write(_ keys: [(String, [UInt8])], mode: Int = 0o600) throws {
        let text = keys.map { "\($0.0) \(Base64URL.encode($0.1))" }.joined(separator: "\n") + "\n"
        let temporary = path + ".new"
        try Data(("# quotecast test keys\n" + text).utf8).write(to: URL(fileURLWithPath: temporary))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: temporary)
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// A token for `sub`, an hour long, signed by `secret` as key `kid`.
    static func token(sub: String = "alice", kid: String, secret: [UInt8]) -> String {
        let now = Date().timeIntervalSince1970.rounded(.down)
        let ring = try! KeyRing(secrets: [(id: kid, secret: secret)])
        return try! TokenMinter(keys: ring, keyID: kid).mint(TokenClaims(subject: sub, expiresAt: now + 3600, issuedAt: now))
    }
}

/// `serve` and `gateway` with access control, from the operator's side: the flags, the start-up
/// line, SIGHUP reloading the key file under a live connection, the audit log, the per-address 429
/// and the metrics. The real binary on an ephemeral loopback port.
@Suite struct AccessControlServeTests {
    static let first: [UInt8] = Array(0..<32)
    static let second: [UInt8] = Array(64..<112)

    /// The upgrade request of `/v1/stream` with `headers`.
    static func upgrade(_ headers: [String] = []) -> String {
        "GET /v1/stream HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n"
    }

    /// The answer to an upgrade with `token` on a fresh connection (the client is returned open when it was 101).
    func connect(_ server: WebSocketServeTests.Server, token: String?) throws -> (answer: String, client: WebSocketServeTests.Client) {
        let c = try WebSocketServeTests.Client(server.address)
        let answer = try c.request(AccessControlServeTests.upgrade(token.map { ["Authorization: Bearer \($0)"] } ?? []))
        return (answer, c)
    }

    @Test func anOpenServeSaysSoLoudlyInItsStartupLine() throws {
        let server = try WebSocketServeTests.Server()
        defer { server.stop() }
        let line = try #require(server.text.split(separator: "\n").first { $0.contains("event=serve_started") })
        #expect(line.hasPrefix("level=warn "))
        #expect(line.contains(" auth=none access=\"OPEN: no token required, every client may see every symbol"))
        #expect(line.contains(" message_limit=20/s,burst=50 connection_limit=off"))
    }

    @Test(arguments: ["serve", "gateway"])
    func accessFlagsAreCheckedAtStartNamingTheFlag(command: String) throws {
        let keys = try KeyFileFixture()
        defer { keys.remove() }
        try keys.write([("k1", AccessControlServeTests.first)])
        let base = command == "gateway" ? ["gateway", "--upstream", "239.201.5.9:27219", "--listen", "127.0.0.1:0"]
                                        : ["serve", "--listen", "127.0.0.1:0"]
        for (args, flag) in [(["--auth", "token"], "--auth-key-file"), (["--auth", "jwt"], "--auth"),
                             (["--auth-key-file", keys.path], "--auth-key-file"),
                             (["--auth", "token", "--auth-key-file", keys.path, "--auth-leeway", "-1"], "--auth-leeway"),
                             (["--client-message-rate", "fast"], "--client-message-rate"),
                             (["--connection-burst", "0"], "--connection-burst")] {
            let r = try QuotecastProcess.run(base + args, timeout: 30)
            #expect(r.status == 2, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(flag), "\(args): \(r.stderr)")
        }
        // A key file others can read holds secrets in the open: refused at start (exit 1), mode named.
        try keys.write([("k1", AccessControlServeTests.first)], mode: 0o644)
        let r = try QuotecastProcess.run(base + ["--auth", "token", "--auth-key-file", keys.path], timeout: 30)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("(mode 0644)") && r.stderr.contains("chmod 600"), "\(r.stderr)")
        let help = try QuotecastProcess.run([command, "--help"])
        for flag in AccessFlagsNames.all { #expect(help.stdout.contains(flag), "\(command) --help does not explain \(flag)") }
    }

    @Test func sighupReloadsTheKeyFileWithoutDroppingConnectionsAndRefusalsAreAudited() throws {
        let keys = try KeyFileFixture()
        defer { keys.remove() }
        try keys.write([("k1", AccessControlServeTests.first)])
        let server = try WebSocketServeTests.Server(["--auth", "token", "--auth-key-file", keys.path])
        defer { server.stop() }
        let start = try #require(server.text.split(separator: "\n").first { $0.contains("event=serve_started") })
        #expect(start.hasPrefix("level=info ") && start.contains(" auth=token key_file=\(keys.path) kids=k1 "))

        let oldToken = KeyFileFixture.token(kid: "k1", secret: AccessControlServeTests.first)
        let (answer, live) = try connect(server, token: oldToken)
        defer { live.close() }
        #expect(answer.hasPrefix("HTTP/1.1 101"), "\(answer)")
        try live.send(1, Array(#"{"op":"ping","id":1}"#.utf8))
        #expect(live.frame().map { String(decoding: $0.payload, as: UTF8.self) } == #"{"type":"pong","id":1}"#)

        // Rotate: the file now holds k2 only; SIGHUP.
        try keys.write([("k2", AccessControlServeTests.second)])
        kill(server.process.processIdentifier, SIGHUP)
        #expect(QuotecastProcess.waitFor("event=auth_keys_reloaded key_file=\(keys.path) kids=k2", in: { server.text }, timeout: 20))
        #expect(server.process.isRunning)

        // The open connection is still served; the rotated-out key's token, replayed, is refused.
        try live.send(1, Array(#"{"op":"ping","id":2}"#.utf8))
        #expect(live.frame().map { String(decoding: $0.payload, as: UTF8.self) } == #"{"type":"pong","id":2}"#)
        let (replayed, c2) = try connect(server, token: oldToken)
        c2.close()
        #expect(replayed.hasPrefix("HTTP/1.1 401 Unauthorized\r\n") && replayed.contains(#""code":"unknown_key""#), "\(replayed)")
        let audit = server.text.split(separator: "\n").filter { $0.contains("event=auth_refused") }
        #expect(audit.count == 1 && audit[0].contains("stage=handshake reason=unknown_key peer=127.0.0.1:"), "\(audit)")
        #expect(!server.text.contains(oldToken) && !server.text.contains(String(oldToken.split(separator: ".")[2])), "a token in the log")
        let newToken = KeyFileFixture.token(sub: "bob", kid: "k2", secret: AccessControlServeTests.second)
        let (accepted, c3) = try connect(server, token: newToken)
        c3.close()
        #expect(accepted.hasPrefix("HTTP/1.1 101"))

        // A bad file (others can read it) keeps the keys in force and says why.
        try keys.write([("k3", AccessControlServeTests.first)], mode: 0o644)
        kill(server.process.processIdentifier, SIGHUP)
        #expect(QuotecastProcess.waitFor("event=auth_keys_reload_failed", in: { server.text }, timeout: 20))
        let failed = try #require(server.text.split(separator: "\n").first { $0.contains("event=auth_keys_reload_failed") })
        #expect(failed.hasPrefix("level=error ") && failed.contains("(mode 0644)") && failed.contains("kept=k2"), "\(failed)")
        let (still, c4) = try connect(server, token: newToken)
        c4.close()
        #expect(still.hasPrefix("HTTP/1.1 101"))

        let m = try WebSocketServeTests.Client(server.address).request("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(m.contains(#"quotecast_auth_key_reloads_total{result="ok"} 1"#))
        #expect(m.contains(#"quotecast_auth_key_reloads_total{result="failed"} 1"#))
        #expect(m.contains(#"quotecast_gateway_authentications_total{stage="handshake",result="accepted",reason="ok"} 3"#))
        #expect(m.contains(#"quotecast_gateway_authentications_total{stage="handshake",result="refused",reason="unknown_key"} 1"#))
        #expect(m.contains("# TYPE quotecast_gateway_connections_per_user histogram"))
        // /v1/symbols is behind the token too.
        #expect(try WebSocketServeTests.Client(server.address).request("GET /v1/symbols HTTP/1.1\r\nHost: t\r\n\r\n").hasPrefix("HTTP/1.1 401"))
    }

    /// `quotecast ticker --token` against `serve --auth token`: served with the token, told why not without.
    @Test func theTickerPresentsItsToken() throws {
        let keys = try KeyFileFixture()
        defer { keys.remove() }
        try keys.write([("k1", AccessControlServeTests.first)])
        let server = try WebSocketServeTests.Server(["--auth", "token", "--auth-key-file", keys.path, "--symbols", "AAPL,MSFT"])
        defer { server.stop() }
        let url = "ws://127.0.0.1:\(server.port)/v1/stream"
        let token = KeyFileFixture.token(kid: "k1", secret: AccessControlServeTests.first)
        for (args, environment, expected) in [(["--token", token], [String: String](), "AAPL snapshot seq="),
                                              ([], ["QUOTECAST_TOKEN": token], "AAPL snapshot seq="),
                                              ([], [:], "401 Unauthorized")] {
            let dir = try QuotecastProcess.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            let ticker = Process()
            ticker.executableURL = QuotecastProcess.binary
            ticker.arguments = ["ticker", "AAPL", "--plain", "--url", url, "--retry-max", "1"] + args
            ticker.environment = ProcessInfo.processInfo.environment.filter { $0.key != "QUOTECAST_TOKEN" }.merging(environment) { $1 }
            ticker.standardOutput = try FileHandle(forWritingTo: out)
            ticker.standardError = try FileHandle(forWritingTo: err)
            ticker.standardInput = FileHandle.nullDevice
            try ticker.run()
            let seen = QuotecastProcess.waitFor(expected, in: {
                ((try? String(contentsOf: out, encoding: .utf8)) ?? "") + ((try? String(contentsOf: err, encoding: .utf8)) ?? "")
            }, timeout: 30)
            kill(ticker.processIdentifier, SIGINT)
            ticker.waitUntilExit()
            #expect(seen, "\(args) \(environment.keys): \((try? String(contentsOf: err, encoding: .utf8)) ?? "")")
        }
    }

    @Test func newConnectionsOverThePerAddressLimitGet429() throws {
        let server = try WebSocketServeTests.Server(["--connection-rate", "1", "--connection-burst", "2"])
        defer { server.stop() }
        #expect(server.text.contains("connection_limit=1/s,burst=2"))
        // At most 2 + (seconds elapsed) of 30 connections can pass: unless the 30 take half a minute, some get 429.
        var refused: [String] = []
        for _ in 0..<30 {
            let answer = try WebSocketServeTests.Client(server.address).request("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            if answer.hasPrefix("HTTP/1.1 429") { refused.append(answer) }
        }
        #expect(refused.count >= 1)
        #expect(refused.first.map { $0.contains("Retry-After: 1\r\n") && $0.contains(#""code":"rate_limited""#) } == true)
        let deadline = Date().addingTimeInterval(30)
        var metrics = ""
        while Date() < deadline {
            metrics = try WebSocketServeTests.Client(server.address).request("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
            if metrics.hasPrefix("HTTP/1.1 200") { break }
            usleep(500_000)
        }
        let line = metrics.split(separator: "\n").first { $0.hasPrefix(#"quotecast_http_connections_rate_limited_total{reason="over_rate"}"#) }
        #expect(line.flatMap { Int($0.split(separator: " ").last ?? "") }.map { $0 >= refused.count } == true, "\(line ?? "no line")")
    }
}

/// The access flags `serve --help` and `gateway --help` must explain.
enum AccessFlagsNames {
    static let all = ["--auth ", "--auth-key-file", "--auth-leeway", "--auth-expiry-warning", "--client-message-rate",
                      "--client-message-burst", "--connection-rate", "--connection-burst"]
}

import Foundation
import Glibc
import Market
import Sockets
import StreamClient
import Testing

/// `quotecast feed` → `quotecast gateway` on loopback multicast, with the real binaries and real
/// WebSocket clients: gateways fed by one feed node serve identical streams (one of them losing 2 %
/// of its packets, one joining late, one restarted); a gateway answers 503 until it has synchronized;
/// a feed node that restarts is followed (`gap` + fresh `snapshot`). Every wait is bounded.
@Suite(.serialized) struct GatewayNodeTests {
    /// A background `quotecast` process with its stderr in a file.
    final class Daemon {
        let process = Process()
        let log: URL

        init(_ args: [String]) throws {
            ignoreBrokenPipes()
            log = try QuotecastProcess.temporaryDirectory().appendingPathComponent("daemon.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = QuotecastProcess.binary
            process.arguments = args
            process.standardError = try FileHandle(forWritingTo: log)
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        var text: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        func waitFor(_ text: String, timeout: Double = 20) -> Bool {
            QuotecastProcess.waitFor(text, in: { self.text }, timeout: timeout)
        }

        /// The value of `key` in the first log line of `event`.
        func field(_ event: String, _ key: String) -> String? {
            guard let line = text.split(separator: "\n").first(where: { $0.contains("event=\(event) ") }) else { return nil }
            return line.split(separator: " ").first { $0.hasPrefix("\(key)=") }.map { String($0.dropFirst(key.count + 1)) }
        }

        /// Stops it with `signal` and waits (bounded) for the exit.
        func stop(_ signal: Int32 = SIGTERM) {
            if process.isRunning { kill(process.processIdentifier, signal) }
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    /// Groups, ports and the service of one test's feed node (unique per test: suites run in parallel).
    struct Network {
        let group: String
        let port: Int
        let service: String
        let channels = 3

        func feed(rate: Int = 3000, seed: Int = 5, _ extra: [String] = []) throws -> Daemon {
            try Daemon(["feed", "--publish", "\(group):\(port)", "--channels", "\(channels)", "--service", service,
                        "--rate", "\(rate)", "--symbols", "12", "--seed", "\(seed)", "--linger", "0"] + extra)
        }

        func gateway(_ extra: [String] = []) throws -> Daemon {
            try Daemon(["gateway", "--upstream", "\(group):\(port)", "--channels", "\(channels)", "--service", service,
                        "--listen", "127.0.0.1:0", "--recovery-timeout", "2000",
                        // Room for a test process that the machine's load stalls for a while.
                        "--client-buffer", "\(8 << 20)", "--client-buffer-max", "\(32 << 20)"] + extra)
        }
    }

    /// The port a gateway logged in `gateway_started`.
    func port(of gateway: Daemon) throws -> UInt16 {
        #expect(gateway.waitFor("event=gateway_started"))
        let listen = try #require(gateway.field("gateway_started", "listen"))
        return try #require(SocketAddress(parsing: listen)?.port)
    }

    /// `GET path` on the gateway: the status code and body.
    func get(_ port: UInt16, _ path: String, headers: [String] = []) -> (status: Int, body: String) {
        guard let tcp = try? TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: port)!, blocking: true) else { return (0, "") }
        defer { tcp.close() }
        try? tcp.writeAll(Array("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\(headers.map { $0 + "\r\n" }.joined())\r\n".utf8))
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            var p = pollfd(fd: tcp.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 50) <= 0 { continue }
            let n = chunk.withUnsafeMutableBytes { recv(tcp.descriptor.rawValue, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    /// Waits until `/healthz` answers `status`.
    func waitForHealth(_ port: UInt16, _ status: Int, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if get(port, "/healthz").status == status { return true }
            usleep(100_000)
        }
        return false
    }

    /// A metric's value from `/metrics` (the sum over its label sets).
    func metric(_ port: UInt16, _ name: String) -> Double {
        get(port, "/metrics").body.split(separator: "\n")
            .filter { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
            .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    /// One client's messages per symbol: the snapshot and the updates after it, as received (JSON text).
    struct Recording {
        var snapshots: [String: (seq: Int, text: String)] = [:]
        var updates: [String: [(seq: Int, text: String)]] = [:]
        var gaps: [String: Int] = [:]
        var other: [String] = []
    }

    /// Subscribes a client on each port to `symbols` and records until every client has received
    /// `updates` updates after its snapshots (a count, not a time: a loaded machine takes longer), or
    /// `timeout` seconds pass (the comparison then reports what is missing).
    func record(_ ports: [UInt16], symbols: [String], updates minimum: Int, timeout: Double = 60) throws -> [Recording] {
        var clients: [StreamConnection] = []
        for port in ports {
            let c = try StreamConnection.connect(to: StreamURL("ws://127.0.0.1:\(port)/v1/stream"))
            let list = symbols.map { "\"\($0)\"" }.joined(separator: ",")
            try c.send(text: "{\"op\":\"subscribe\",\"symbols\":[\(list)]}")
            clients.append(c)
        }
        defer { clients.forEach { $0.close() } }
        var recordings = Array(repeating: Recording(), count: ports.count)
        let deadline = Date().addingTimeInterval(timeout)
        var polls = clients.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        while Date() < deadline, !recordings.allSatisfy({ $0.updates.values.map(\.count).reduce(0, +) >= minimum }) {
            _ = poll(&polls, nfds_t(polls.count), 20)
            for (i, c) in clients.enumerated() {
              for event in try c.drainAvailable() {
                guard case .text(let text) = event,
                      let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                      let type = object["type"] as? String else {
                    recordings[i].other.append("\(event)")
                    continue
                }
                let symbol = object["symbol"] as? String ?? ""
                let seq = object["seq"] as? Int ?? -1
                switch type {
                case "snapshot": recordings[i].snapshots[symbol] = (seq, text)
                case "quote", "trade", "status", "trade_break": recordings[i].updates[symbol, default: []].append((seq, text))
                case "gap": recordings[i].gaps[symbol, default: 0] += 1
                case "subscribed": break
                default: recordings[i].other.append(text)
                }
              }
            }
        }
        return recordings
    }

    /// Every recording holds, per symbol, a snapshot and then every later seq without a hole (a jump
    /// only onto a quote marked conflated: the client was slow); where two recordings cover the same
    /// seq, the messages are byte for byte the same (but for that mark); snapshots taken at the same
    /// seq are the same. Returns the number of messages compared.
    func expectIdentical(_ recordings: [Recording], symbols: [String]) -> Int {
        var compared = 0
        for symbol in symbols {
            for (i, r) in recordings.enumerated() {
                guard let snapshot = r.snapshots[symbol] else { Issue.record("client \(i): no snapshot of \(symbol)"); continue }
                var expected = snapshot.seq + 1
                for (seq, text) in r.updates[symbol] ?? [] {
                    #expect(seq == expected || (seq > expected && text.hasSuffix(Self.conflatedMark)),
                            "client \(i) \(symbol): seq \(seq) where \(expected) was due (snapshot at \(snapshot.seq))")
                    expected = seq + 1
                }
            }
            for i in recordings.indices {
                for j in recordings.indices where j > i {
                    let a = recordings[i].updates[symbol] ?? [], b = recordings[j].updates[symbol] ?? []
                    let bySeq = Dictionary(b.map { ($0.seq, Self.unmarked($0.text)) }, uniquingKeysWith: { x, _ in x })
                    for (seq, text) in a {
                        guard let other = bySeq[seq] else { continue }
                        #expect(Self.unmarked(text) == other, "\(symbol) seq \(seq) differs between clients \(i) and \(j)")
                        compared += 1
                    }
                    if let sa = recordings[i].snapshots[symbol], let sb = recordings[j].snapshots[symbol], sa.seq == sb.seq {
                        #expect(sa.text == sb.text, "\(symbol): snapshots at seq \(sa.seq) differ")
                    }
                }
            }
        }
        return compared
    }

    /// The messages of the first recording whose seq every recording covers: per symbol, after the
    /// latest snapshot and up to the earliest last update. Recordings start and stop a little apart
    /// (one client subscribes after the other, a loaded machine reads one later), so this, not what
    /// each received, is what `expectIdentical` can compare; a fast reader compares all of it.
    func overlapping(_ recordings: [Recording], symbols: [String]) -> Int {
        var count = 0
        for symbol in symbols {
            let starts = recordings.compactMap { $0.snapshots[symbol]?.seq }
            let ends = recordings.compactMap { $0.updates[symbol]?.last?.seq }
            guard starts.count == recordings.count, ends.count == recordings.count,
                  let first = starts.max(), let last = ends.min() else { continue }
            count += (recordings.first?.updates[symbol] ?? []).filter { $0.seq > first && $0.seq <= last }.count
        }
        return count
    }

    static let conflatedMark = ",\"conflated\":true}"
    /// A message without the conflation mark (which depends on the client's reading, not the data).
    static func unmarked(_ text: String) -> String {
        text.hasSuffix(conflatedMark) ? String(text.dropLast(conflatedMark.count)) + "}" : text
    }

    /// The symbols a gateway knows.
    func symbols(_ port: UInt16) -> [String] {
        guard let data = get(port, "/v1/symbols").body.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = object["symbols"] as? [[String: Any]] else { return [] }
        return list.compactMap { $0["symbol"] as? String }.sorted()
    }

    /// With jumbo packets (`--payload-size 8900`, gateways `--max-datagram 9000`), multicast and
    /// retransmission answers alike.
    @Test func twoGatewaysServeIdenticalStreamsEvenWhenOneLosesTwoPercentOfItsPackets() throws {
        let net = Network(group: "239.201.1.1", port: 27_211, service: "127.0.0.1:27261")
        let feed = try net.feed(["--payload-size", "8900"])
        defer { feed.stop() }
        #expect(feed.waitFor("event=feed_started"))
        #expect(feed.field("feed_started", "payload_size") == "8900")
        let clean = try net.gateway(["--max-datagram", "9000"])
        defer { clean.stop() }
        let lossy = try net.gateway(["--max-datagram", "9000", "--drop", "0.02", "--drop-seed", "7"])
        defer { lossy.stop() }
        let ports = [try port(of: clean), try port(of: lossy)]
        for p in ports { #expect(waitForHealth(p, 200), "gateway \(p) synchronized") }
        let known = symbols(ports[0])
        #expect(known.count == 12 && symbols(ports[1]) == known)

        let recordings = try record(ports, symbols: known, updates: 4000)
        let compared = expectIdentical(recordings, symbols: known)
        let overlap = overlapping(recordings, symbols: known)
        #expect(compared > 200 && Double(compared) >= 0.9 * Double(overlap), "compared \(compared) of the \(overlap) both cover")
        #expect(recordings.allSatisfy { $0.gaps.isEmpty && $0.other.isEmpty })

        // The lossy gateway really lost packets and got every one back by retransmission. How many
        // packets the recording spanned depends on the machine's speed (jumbo packets: ~200 messages
        // each, so 4 000 updates can be a few hundred packets), so it waits for the 11th drop (the
        // feed goes on) instead of expecting it by now: a loaded run once stopped at exactly 10.
        try waitUntil("the lossy gateway dropped more than 10 packets") { metric(ports[1], "quotecast_upstream_dropped_total") > 10 }
        try waitUntil("a recovery") { metric(ports[1], "quotecast_upstream_recoveries_total") > 0 }
        #expect(metric(ports[1], "quotecast_upstream_unrecovered_gaps_total") == 0)
        #expect(metric(ports[0], "quotecast_upstream_gaps_total") == 0)
        // The process's own figures are on a gateway's page too.
        #expect(metric(ports[0], "process_open_fds") > 0 && metric(ports[0], "process_resident_memory_bytes") > 0)
        for p in ports { #expect(metric(p, "quotecast_upstream_malformed_total") == 0) }
    }

    @Test func aGatewayWaitsForItsFeedNodeAndLateOrRestartedGatewaysCatchUpExactly() throws {
        let net = Network(group: "239.201.2.1", port: 27_212, service: "127.0.0.1:27262")
        // Started before any feed node: not ready, clients refused with 503.
        let first = try net.gateway()
        defer { first.stop() }
        let firstPort = try port(of: first)
        #expect(first.waitFor("event=snapshot_failed"), "it asked for a snapshot and got none")
        let early = get(firstPort, "/healthz")
        #expect(early.status == 503 && early.body.contains("\"syncing\""), "\(early)")
        #expect(get(firstPort, "/v1/stream").status == 503)
        #expect(throws: StreamClientError.self) { try StreamConnection.connect(to: StreamURL("ws://127.0.0.1:\(firstPort)/v1/stream")) }

        let feed = try net.feed()
        defer { feed.stop() }
        #expect(waitForHealth(firstPort, 200), "synchronized once the feed node is up")
        // A gateway joining well into the stream: once the first has applied 5 000 messages.
        try waitUntil("the first gateway applied 5 000 messages") { metric(firstPort, "quotecast_upstream_messages_total") >= 5000 }
        let late = try net.gateway()
        defer { late.stop() }
        let latePort = try port(of: late)
        #expect(waitForHealth(latePort, 200))
        let known = symbols(firstPort)
        #expect(known.count == 12)
        let lateRecordings = try record([firstPort, latePort], symbols: known, updates: 1500)
        let lateCompared = expectIdentical(lateRecordings, symbols: known)
        let lateOverlap = overlapping(lateRecordings, symbols: known)
        #expect(lateCompared > 1000 && Double(lateCompared) >= 0.9 * Double(lateOverlap),
                "late gateway: compared \(lateCompared) of the \(lateOverlap) both cover")

        // The first gateway killed mid-stream and started again: it resynchronizes and matches.
        first.stop(SIGKILL)
        // The stream moves on while it is down.
        let atKill = metric(latePort, "quotecast_upstream_messages_total")
        try waitUntil("the stream moved on 2 000 messages") { metric(latePort, "quotecast_upstream_messages_total") >= atKill + 2000 }
        let again = try net.gateway()
        defer { again.stop() }
        let againPort = try port(of: again)
        #expect(waitForHealth(againPort, 200))
        let recordings = try record([againPort, latePort], symbols: known, updates: 1500)
        let compared = expectIdentical(recordings, symbols: known)
        let overlap = overlapping(recordings, symbols: known)
        #expect(compared > 1000 && Double(compared) >= 0.9 * Double(overlap), "compared \(compared) of the \(overlap) both cover")
    }

    @Test func garbageOnAChannelIsCountedAndChangesNothing() throws {
        let net = Network(group: "239.201.4.1", port: 27_214, service: "127.0.0.1:27264")
        let feed = try net.feed(rate: 2000)
        defer { feed.stop() }
        let gateway = try net.gateway()
        defer { gateway.stop() }
        let p = try port(of: gateway)
        #expect(waitForHealth(p, 200))
        // Random bytes, a cut header, and a well-formed heartbeat of a session naming no channel of ours.
        let sender = try UDPSocket.multicastSender(interface: "127.0.0.1")
        defer { sender.close() }
        let seed: UInt64 = 0x6A_5BA6E  // the same noise every run
        var random = SplitMix64(seed: seed)
        var noise = (0..<300).map { _ in UInt8.random(in: 0...255, using: &random) }
        noise[8] = 0xFF  // whatever else it holds, its session names no channel
        var datagrams: [[UInt8]] = [noise, Array(repeating: 0x41, count: 7)]
        var heartbeat = Array("FOREIGN 99".utf8) + [UInt8](repeating: 0, count: 10)
        heartbeat[17] = 1
        datagrams.append(heartbeat)
        let group = try #require(SocketAddress(host: "239.201.4.1", port: 27_214))
        for d in datagrams { _ = try d.withUnsafeBytes { try sender.send($0, to: group) } }
        try waitUntil("3 refused datagrams") { metric(p, "quotecast_upstream_refused_total{reason=\"not_a_channel_packet\"}") >= 3 }
        #expect(metric(p, "quotecast_upstream_refused_total{reason=\"not_a_channel_packet\"}") == 3, "seed \(seed)")
        #expect(metric(p, "quotecast_upstream_resyncs_total{reason=\"session\"}") == 0)
        #expect(get(p, "/healthz").status == 200)
        let before = metric(p, "quotecast_upstream_messages_total")
        try waitUntil("still applying the feed") { metric(p, "quotecast_upstream_messages_total") > before + 100 }
    }

    @Test func aFeedNodeRestartIsFollowedWithGapAndAFreshSnapshot() throws {
        let net = Network(group: "239.201.3.1", port: 27_213, service: "127.0.0.1:27263")
        var feed = try net.feed(rate: 2000, seed: 5)
        #expect(feed.waitFor("event=feed_started"))
        let gateway = try net.gateway()
        defer { gateway.stop() }
        let p = try port(of: gateway)
        #expect(waitForHealth(p, 200))
        let known = symbols(p)
        let client = try StreamConnection.connect(to: StreamURL("ws://127.0.0.1:\(p)/v1/stream"))
        defer { client.close() }
        try client.send(text: "{\"op\":\"subscribe\",\"symbols\":[\"\(known[0])\"]}")
        // Subscribed and past the first snapshot, so the snapshot awaited below is a fresh one.
        var firstSnapshot = false
        let subscribed = Date().addingTimeInterval(60)
        while !firstSnapshot, Date() < subscribed {
            guard case .text(let text)? = try client.receive(timeout: .milliseconds(100)) else { continue }
            firstSnapshot = text.contains("\"type\":\"snapshot\"")
        }
        #expect(firstSnapshot, "no first snapshot of \(known[0])")

        // The feed node stops (ends its sessions) and another one starts in its place.
        feed.stop()
        #expect(waitForHealth(p, 503, timeout: 10), "ended sessions are not healthy")
        feed = try net.feed(rate: 2000, seed: 5)
        defer { feed.stop() }
        #expect(gateway.waitFor("reason=session"), "resynchronized on the new session")
        #expect(waitForHealth(p, 200))
        var types: [String] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !(types.contains("gap") && types.contains("snapshot")) {
            guard case .text(let text)? = try client.receive(timeout: .milliseconds(100)) else { continue }
            if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], let type = object["type"] as? String {
                types.append(type)
            }
        }
        #expect(types.contains("gap") && types.contains("snapshot"), "\(types.prefix(20))")
        #expect(metric(p, "quotecast_upstream_resyncs_total{reason=\"session\"}") >= 1 || gateway.text.contains("reason=session"))
    }

    /// A gateway node takes serve's access flags: with --auth token its stream and /v1/symbols need a
    /// token, and a token's client is served as any other.
    @Test func aGatewayNodeWithAuthTokenServesOnlyClientsWithAValidToken() throws {
        let keys = try KeyFileFixture()
        defer { keys.remove() }
        try keys.write([("k1", AccessControlServeTests.first)])
        let net = Network(group: "239.201.5.1", port: 27_215, service: "127.0.0.1:27265")
        let feed = try net.feed()
        defer { feed.stop() }
        #expect(feed.waitFor("event=feed_started"))
        let gateway = try net.gateway(["--auth", "token", "--auth-key-file", keys.path])
        defer { gateway.stop() }
        let p = try port(of: gateway)
        #expect(gateway.field("gateway_started", "auth") == "token")
        #expect(waitForHealth(p, 200), "gateway synchronized")
        #expect(get(p, "/v1/symbols").status == 401)
        let url = try StreamURL("ws://127.0.0.1:\(p)/v1/stream")
        do {
            _ = try StreamConnection.connect(to: url)
            Issue.record("a client without a token was let in")
        } catch {
            #expect(error.description.contains("401"), "\(error)")
        }
        let token = KeyFileFixture.token(kid: "k1", secret: AccessControlServeTests.first)
        let listed = get(p, "/v1/symbols", headers: ["Authorization: Bearer \(token)"])
        let symbol = try #require(((try JSONSerialization.jsonObject(with: Data(listed.body.utf8)) as? [String: Any])?["symbols"]
            as? [[String: Any]])?.first?["symbol"] as? String, "\(listed)")
        let c = try StreamConnection.connect(to: url, extraHeaders: [("Authorization", "Bearer \(token)")])
        defer { c.close() }
        try c.send(text: #"{"op":"subscribe","symbols":["\#(symbol)"]}"#)
        var types: [String] = []
        let deadline = Date().addingTimeInterval(20)
        while !types.contains("snapshot"), Date() < deadline {
            guard case .text(let text)? = try c.receive(timeout: .seconds(1)) else { continue }
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            types.append(object?["type"] as? String ?? "?")
        }
        #expect(types.prefix(2) == ["subscribed", "snapshot"], "\(types)")
        #expect(gateway.text.contains("event=auth_refused stage=handshake reason=missing_token peer=127.0.0.1:"))
    }
}

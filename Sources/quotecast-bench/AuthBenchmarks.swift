// Benchmarks of access control (issue 21): what verifying one token costs the gateway's loop thread
// (it runs once per connection, and again per `op:auth` refresh), the SHA-256 under it, and the
// WebSocket handshake rate of a real gateway over loopback with and without `--auth token`.
import Auth
import Codecs
import Fanout
import Foundation
import Gateway
import Glibc
import Sockets
import Synchronization
import System
import WebSocket

/// The auth suite: `auth.verify` (tokens per second), `auth.sha256` (bytes per second),
/// `auth.handshake` (`auth.handshake.none` and `auth.handshake.token`, handshakes per second, and the
/// server's CPU per handshake, `….server_cpu`, which the machine's load disturbs less).
let authSuite: [Benchmark] = [
    Benchmark(name: "auth.verify") { authVerify(tokens: isOptimizedBuild ? 100_000 : 2_000) },
    Benchmark(name: "auth.sha256") { authSHA256(bytes: isOptimizedBuild ? 64 << 20 : 1 << 20) },
    Benchmark(name: "auth.handshake") {
        authHandshakes(perRun: isOptimizedBuild ? 3_000 : 200, withTokens: false)
            + authHandshakes(perRun: isOptimizedBuild ? 3_000 : 200, withTokens: true)
    },
]

private let authRuns = 5

/// Verifies a typical token (kid, sub, exp, nbf, three markets' worth of entitlement claims: ~330
/// bytes) `tokens` times per run; the tokens per second of each run, median.
private func authVerify(tokens: Int) -> [BenchmarkResult] {
    let keys = try! KeyRing(secrets: [(id: "2026-01", secret: Array(0..<32)), (id: "2025-12", secret: Array(32..<64))])
    let now = 1_800_000_100.0
    let claims = TokenClaims(subject: "user-1234567@example.com", expiresAt: now + 3600, notBefore: now - 60, issuedAt: now - 60,
                             entitlements: Entitlements(markets: ["nasdaq"], symbols: try! SymbolPatterns(["AAPL", "MSFT", "NV*", "GOOG"]),
                                                        maxDepth: 5, maxSubscriptions: 50, maxConnections: 3))
    let token = try! TokenMinter(keys: keys, keyID: "2026-01").mint(claims)
    var verifier = TokenVerifier(keys: keys)
    var accepted = 0
    let rate = medianOf(runs: authRuns) {
        let start = Clock.monotonic()
        for _ in 0..<tokens {
            if case .success = verifier.verify(token, now: now) { accepted += 1 }
        }
        return Double(tokens) / (Double(Clock.monotonic() - start) / 1e9)
    }
    precondition(accepted == tokens * authRuns, "a benchmark token was refused")
    return [BenchmarkResult(name: "auth.verify", value: rate, unit: "tokens/s", runs: authRuns)]
}

/// Hashes `bytes` bytes in 64 KiB updates per run; bytes per second, median.
private func authSHA256(bytes: Int) -> [BenchmarkResult] {
    let chunk = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    var sink: UInt64 = 0
    let rate = medianOf(runs: authRuns) {
        let start = Clock.monotonic()
        var hash = SHA256()
        chunk.withUnsafeBytes { raw in
            for _ in 0..<(bytes / chunk.count) { hash.update(raw) }
        }
        sink ^= hash.finalize().words.0
        return Double(bytes) / (Double(Clock.monotonic() - start) / 1e9)
    }
    precondition(sink != 0x5EED, "keeps the hash alive")
    return [BenchmarkResult(name: "auth.sha256", value: rate, unit: "bytes/s", runs: authRuns)]
}

/// Connect, upgrade, close, `perRun` times per run from 2 client threads, against a gateway on
/// loopback that is open or requires a token (each client presents one in `Authorization`, like
/// `quotecast load --token`); handshakes per second of each run, median, and the server's CPU
/// microseconds per handshake (process CPU less the client threads'). Besides the token check the
/// gateway does what it does for every client (session, limits), so the difference is the cost of
/// access control per connection as a client sees it.
private func authHandshakes(perRun: Int, withTokens: Bool) -> [BenchmarkResult] {
    let name = withTokens ? "auth.handshake.token" : "auth.handshake.none"
    let failed = [name, name + ".server_cpu"].map { BenchmarkResult(name: $0, value: .nan, unit: "", runs: 0) }
    let secret = Array(UInt8(0)..<32)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotecast-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let keyFile = directory.appendingPathComponent("keys")
    var configuration = GatewayConfiguration()
    var header = ""
    if withTokens {
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil,
              FileManager.default.createFile(atPath: keyFile.path, contents: Data("bench \(Base64URL.encode(secret))\n".utf8),
                                             attributes: [.posixPermissions: 0o600]),
              let keys = try? ReloadableKeyRing(path: keyFile.path),
              let minter = try? TokenMinter(keys: keys.snapshot().keys, keyID: "bench") else { return failed }
        configuration.access.mode = .token(keys: keys)
        let now = WallClock.now().rounded(.down)
        let claims = TokenClaims(subject: "bench-user@example.com", expiresAt: now + 3600, issuedAt: now,
                                 entitlements: Entitlements(markets: ["nasdaq"], symbols: try! SymbolPatterns(["AAPL", "MS*"]), maxDepth: 5))
        header = "Authorization: Bearer \(minter.mint(claims))\r\n"
    }
    guard let ring = try? BroadcastRing(RingConfiguration(capacity: 1024, readers: [.nonGating])) else { return failed }
    let gateway = Gateway(reader: ring.makeReader(0), configuration: configuration)
    let router = HTTPRouter()
    router.webSocket("/v1/stream", gateway)
    var serverConfiguration = WebSocketServerConfiguration(listen: SocketAddress(host: "127.0.0.1", port: 0)!)
    serverConfiguration.pingInterval = 3600
    guard let server = try? WebSocketServer(configuration: serverConfiguration, delegate: router),
          (try? gateway.attach(to: server)) != nil else { printError("\(name): server did not start"); return failed }
    let finished = DispatchSemaphore(value: 0)
    let serverThread = Thread {
        server.run()
        finished.signal()
    }
    serverThread.name = "bench-handshake"
    serverThread.start()
    defer {
        server.stop()
        ring.close()
        finished.wait()
    }
    let request = Array(("GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + header + "\r\n").utf8)
    let port = server.localAddress.port
    let threads = 2
    let refused = Atomic<Int>(0)
    let clientCPU = Atomic<Int>(0)
    let runs = 3
    var serverCPU: [Double] = []
    let rate = medianOf(runs: runs) {
        let done = DispatchGroup()
        clientCPU.store(0, ordering: .relaxed)
        let start = Clock.monotonic()
        let processStart = Clock.processCPU()
        for _ in 0..<threads {
            done.enter()
            Thread {
                let cpu = Clock.threadCPU()
                for _ in 0..<(perRun / threads) where !handshakeOnce(port: port, request: request) {
                    refused.wrappingAdd(1, ordering: .relaxed)
                }
                clientCPU.wrappingAdd(Int(Clock.threadCPU() - cpu), ordering: .relaxed)
                done.leave()
            }.start()
        }
        done.wait()
        let handshakes = Double(perRun / threads * threads)
        // The process's CPU less the client threads' is (nearly all) the server's loop thread.
        let server = Double(Clock.processCPU() - processStart) - Double(clientCPU.load(ordering: .relaxed))
        serverCPU.append(server / handshakes / 1000)
        return handshakes / (Double(Clock.monotonic() - start) / 1e9)
    }
    guard refused.load(ordering: .relaxed) == 0 else {
        printError("\(name): \(refused.load(ordering: .relaxed)) handshakes were not answered 101")
        return failed
    }
    return [BenchmarkResult(name: name, value: rate, unit: "handshakes/s", runs: runs),
            BenchmarkResult(name: name + ".server_cpu", value: median(serverCPU), unit: "us/handshake", runs: runs)]
}

/// One blocking connect + upgrade request + `101` read + close; false unless the answer was 101.
private func handshakeOnce(port: UInt16, request: [UInt8]) -> Bool {
    guard let fd = connectLoopback(port: port) else { return false }
    defer { close(fd) }
    guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else { return false }
    var head: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1024)
    while !(head.count >= 4 && head.suffix(4).elementsEqual([13, 10, 13, 10])) {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0, head.count < 4096 else { return false }
        head += chunk[0..<n]
    }
    return head.starts(with: Array("HTTP/1.1 101".utf8))
}

// Benchmarks of access control (issue 21): what verifying one token costs the gateway's loop thread
// (it runs once per connection, and again per `op:auth` refresh), and the SHA-256 under it. The
// handshake rate with and without auth, over real sockets, is phase 2's `ws.handshake` benchmark.
import Auth
import CShim
import Codecs

/// The auth suite: `auth.verify` (tokens per second), `auth.sha256` (bytes per second).
let authSuite: [Benchmark] = [
    Benchmark(name: "auth.verify") { authVerify(tokens: isOptimizedBuild ? 100_000 : 2_000) },
    Benchmark(name: "auth.sha256") { authSHA256(bytes: isOptimizedBuild ? 64 << 20 : 1 << 20) },
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
        let start = qc_monotonic_ns()
        for _ in 0..<tokens {
            if case .success = verifier.verify(token, now: now) { accepted += 1 }
        }
        return Double(tokens) / (Double(qc_monotonic_ns() - start) / 1e9)
    }
    precondition(accepted == tokens * authRuns, "a benchmark token was refused")
    return [BenchmarkResult(name: "auth.verify", value: rate, unit: "tokens/s", runs: authRuns)]
}

/// Hashes `bytes` bytes in 64 KiB updates per run; bytes per second, median.
private func authSHA256(bytes: Int) -> [BenchmarkResult] {
    let chunk = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    var sink: UInt64 = 0
    let rate = medianOf(runs: authRuns) {
        let start = qc_monotonic_ns()
        var hash = SHA256()
        chunk.withUnsafeBytes { raw in
            for _ in 0..<(bytes / chunk.count) { hash.update(raw) }
        }
        sink ^= hash.finalize().words.0
        return Double(bytes) / (Double(qc_monotonic_ns() - start) / 1e9)
    }
    precondition(sink != 0x5EED, "keeps the hash alive")
    return [BenchmarkResult(name: "auth.sha256", value: rate, unit: "bytes/s", runs: authRuns)]
}

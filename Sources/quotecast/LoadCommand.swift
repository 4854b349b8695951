import Auth
import Foundation
import LoadTest
import Sockets

let loadCommand = Command(
    name: "load",
    summary: "load-test harness: many WebSocket clients against a gateway; throughput, latency, gaps, report",
    usage: """
        usage: quotecast load [--url ws://HOST:PORT/v1/stream] [--clients N] [--symbols-per-client N]
                              [--depth N] [--duration SECONDS] [--json FILE] [--fail-if BOUNDS]
                              [--profile steady|ramp|churn|slow|reconnect-storm] [more options below]
               quotecast load --self-test [--duration SECONDS] [--clients N] [--depth N] [--json FILE]

        Opens many WebSocket clients against a quotecast gateway from one process (epoll, 1-2 driver
        threads), each subscribing to --symbols-per-client symbols drawn from the gateway's
        GET /v1/symbols, and checks every message while it measures: per-client per-symbol prev chains
        (every update's "prev" must be the last seq that client got for the symbol; a break fails the
        run, whatever the depth or conflation; against a gateway without "prev", seq continuity with
        jumps explained by "conflated":true or a gap notice), snapshot before updates, valid JSON, close codes. Once a second it prints a
        progress line on stderr; at the end a table on stdout and, with --json FILE, the full report.
        See docs/load-testing.md.

        what to run against
          --url URL                  the gateway stream (default ws://127.0.0.1:8080/v1/stream)
          --symbol-list A,B,...      draw from these symbols instead of GET /v1/symbols
          --no-metrics               do not fetch the server's GET /metrics before and after

        access tokens (a gateway run with --auth token, docs/security.md)
          --token TOKEN              every client presents this one token (Authorization: Bearer); a
                                     token with a conn claim then makes clients replace each other
          --token-key-file FILE      mint one token per client instead, signed with a key of FILE
                                     (sub load-0, load-1, ..., no entitlement claims); client 0's also
                                     goes with GET /v1/symbols and /metrics
          --token-kid KID            the key of --token-key-file to sign with (default: its first)
          --token-ttl DURATION       lifetime of minted tokens: 90s, 15m, 1h (default 1h)

        clients
          --clients N                clients to hold open (default 100; the ramp's ceiling)
          --symbols-per-client N     symbols each client subscribes to (default 10)
          --depth N                  book depth in each subscribe, 1..10 (default 10). Below 10, seq
                                     jumps are expected (quotes that did not change the client's top
                                     levels are not sent) and counted as depth skips, not errors
          --distribution D           uniform (default) or zipf: how watchlists are drawn
          --zipf-exponent S          Zipf exponent s, weight of rank k is 1/k^s (default 1.0)
          --seed N                   seed of every random choice (default 1)
          --connect-rate N           new connections per second while connecting (default 1000)
          --connect-timeout S        seconds a connect + handshake may take (default 5)
          --threads N                driver threads, 1..16, each with its own epoll loop (default 1)

        profile and timing
          --profile P                steady (default), ramp, churn, slow, reconnect-storm
          --duration S               seconds measured once the clients are connected (default 10)
          --ramp-start N             ramp: clients in the first step (default 100)
          --ramp-step N              ramp: clients added per step (default 100)
          --ramp-interval S          ramp: seconds per step (default 5)
          --churn-per-sec N          churn: clients per second that leave and are replaced (default 10
                                     with --profile churn, else 0)
          --slow-fraction F          fraction of clients that read slowly, 0..1 (default 0.1 with
                                     --profile slow, else 0)
          --slow-bytes-per-sec N     what a slow client reads per second (default 2000)
          --slow-receive-buffer N    a slow client's socket receive buffer, bytes (default 4096)
          --storm-at S               reconnect-storm: seconds into the window when every client drops
                                     (TCP reset) and reconnects at once (default duration/2)

        output and verdict
          --json FILE                write the report as JSON to FILE
          --fail-if BOUNDS           comma-separated bounds the run must keep, e.g. p99<10ms,msgs_per_s>=1M;
                                     figures: p50 p90 p99 p99.9 max mean handshake_p99 msgs_per_s
                                     bytes_per_s connect_failed disconnects conflations gaps
                                     unexplained_gaps prev_breaks errors fairness_cv cpu_percent; durations take
                                     ns/us/ms/s, counts k/M/G. The ramp profile judges each step by them
                                     (default p99<100ms) and reports the capacity
          --quiet                    no progress line
          --self-test                run against an in-process sender (no gateway needed) to show how
                                     fast the harness itself reads; default depth 1, 4 clients, 5 s

        Besides the exit statuses below: 1 also for a prev break, an unexplained seq gap or a protocol error seen by a
        client, and 3 when a --fail-if bound was broken. SIGINT/SIGTERM end the run early, with a report.

        """,
    run: runLoad)

func runLoad(_ argv: [String]) throws -> Int32 {
    let args = try Arguments(argv, valueFlags: ["url", "clients", "symbols-per-client", "depth", "duration", "json",
                                                "connect-rate", "connect-timeout", "threads", "symbol-list", "distribution",
                                                "zipf-exponent", "seed", "profile", "ramp-start", "ramp-step", "ramp-interval",
                                                "churn-per-sec", "slow-fraction", "slow-bytes-per-sec", "slow-receive-buffer",
                                                "storm-at", "fail-if", "token", "token-key-file", "token-kid", "token-ttl"],
                             switchFlags: ["no-metrics", "quiet", "self-test"])
    guard args.positionals.isEmpty else { throw UsageError("unexpected argument '\(args.positionals[0])'") }
    let selfTest = args.flag("self-test")
    var c = LoadConfiguration()
    c.url = args.string("url") ?? c.url
    c.clients = try args.int("clients", default: selfTest ? 4 : 100, in: 1...1_000_000)
    c.symbolsPerClient = try args.int("symbols-per-client", default: 10, in: 1...1000)
    c.depth = try args.int("depth", default: selfTest ? 1 : 10, in: 1...10)
    c.duration = try args.seconds("duration", default: selfTest ? 5 : 10, in: 0.1...86_400)
    c.connectRate = Double(try args.int("connect-rate", default: 1000, in: 1...1_000_000))
    c.connectTimeout = try args.seconds("connect-timeout", default: 5, in: 0.1...600)
    c.threads = try args.int("threads", default: 1, in: 1...16)
    c.seed = UInt64(try args.int("seed", default: 1, in: 0...Int.max))
    if let list = args.string("symbol-list") {
        let names = list.split(separator: ",").map(String.init)
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 8 }) else {
            throw UsageError("--symbol-list: expected comma-separated symbols of 1 to 8 characters, got '\(list)'")
        }
        c.symbols = names
    }
    let distribution = try args.choice("distribution", ["uniform", "zipf"], default: "uniform")
    let exponent = try args.seconds("zipf-exponent", default: 1.0, in: 0...10)
    if args.string("zipf-exponent") != nil && distribution != "zipf" { throw UsageError("--zipf-exponent: only with --distribution zipf") }
    c.distribution = distribution == "zipf" ? .zipf(exponent: exponent) : .uniform
    let profileName = try args.choice("profile", LoadProfile.allCases.map(\.rawValue), default: "steady")
    c.profile = LoadProfile(rawValue: profileName)!
    c.rampStart = try args.int("ramp-start", default: min(100, c.clients), in: 1...1_000_000)
    c.rampStep = try args.int("ramp-step", default: 100, in: 1...1_000_000)
    c.rampInterval = try args.seconds("ramp-interval", default: 5, in: 0.5...3600)
    c.churnPerSecond = try args.seconds("churn-per-sec", default: c.profile == .churn ? 10 : 0, in: 0...1_000_000)
    c.slowFraction = try args.seconds("slow-fraction", default: c.profile == .slow ? 0.1 : 0, in: 0...1)
    c.slowBytesPerSecond = try args.int("slow-bytes-per-sec", default: 2000, in: 1...1_000_000_000)
    c.slowReceiveBuffer = try args.int("slow-receive-buffer", default: 4096, in: 256...(64 << 20))
    if args.string("storm-at") != nil || c.profile == .reconnectStorm {
        guard c.profile == .reconnectStorm else { throw UsageError("--storm-at: only with --profile reconnect-storm") }
        c.stormAt = try args.seconds("storm-at", default: c.duration / 2, in: 0...86_400)
        if c.stormAt! >= c.duration { throw UsageError("--storm-at: must be before the end of --duration (\(c.duration) s)") }
    }
    if let text = args.string("fail-if") {
        do {
            c.failIf = try text.split(separator: ",").map { (part: Substring) throws(LoadConfigurationError) in try FailCondition(parsing: String(part)) }
        } catch {
            throw UsageError(error.description)
        }
        if c.failIf.isEmpty { throw UsageError("--fail-if: expected at least one bound like p99<10ms") }
    }
    c.fetchMetrics = !args.flag("no-metrics")
    try loadTokens(args, into: &c)
    c.progress = !args.flag("quiet")
    let jsonPath = args.string("json")
    if let jsonPath {
        // Fail on an unwritable path now, not after the run.
        guard FileManager.default.createFile(atPath: jsonPath, contents: nil) else {
            throw RuntimeFailure("--json: cannot write \(jsonPath): \(String(cString: strerror(errno)))")
        }
    }

    ignoreBrokenPipes()
    var sender: SelfTestSender?
    if selfTest {
        guard args.string("url") == nil, args.string("symbol-list") == nil else {
            throw UsageError("--self-test: runs against its own sender; drop --url and --symbol-list")
        }
        let s = try SelfTestSender(symbolCount: 100)
        s.start()
        sender = s
        c.url = "ws://127.0.0.1:\(s.port)/v1/stream"
        c.symbols = s.symbols
        c.fetchMetrics = false
    }
    defer { sender?.stop() }

    let run: LoadRun
    do {
        run = try LoadRun(c) { line in printError(line) }
    } catch {
        throw UsageError(error.description)
    }

    // SIGINT/SIGTERM end the run early (with a report): block them for every thread and poll here.
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &signals, nil)
    let report: LoadReport
    do {
        report = try run.run {
            var zero = timespec(tv_sec: 0, tv_nsec: 0)
            var set = signals
            return sigtimedwait(&set, nil, &zero) > 0
        }
    } catch {
        printError("quotecast load: \(error)")
        return 1
    }
    print(report.table(), terminator: "")
    if selfTest {
        let perCPU = report.threadCPUSeconds.reduce(0, +)
        let read = report.messagesPerSecond
        print(String(format: "self-test: %.2f M msgs/s read (wall), %.2f M msgs per driver-thread CPU second, depth %d",
                     read / 1e6, perCPU > 0 ? Double(report.totalMessages) / perCPU / 1e6 : 0, c.depth))
    }
    if let jsonPath {
        do {
            try report.json().write(toFile: jsonPath, atomically: true, encoding: .utf8)
        } catch {
            printError("quotecast load: cannot write --json \(jsonPath): \(error)")
            return 1
        }
    }
    return report.exitStatus
}

extension Arguments {
    /// A decimal flag (seconds, fractions) within `range`, or `defaultValue` when absent.
    func seconds(_ name: String, default defaultValue: Double, in range: ClosedRange<Double>) throws(UsageError) -> Double {
        guard let text = string(name) else { return defaultValue }
        guard let v = Double(text), v.isFinite, range.contains(v) else {
            throw UsageError("--\(name): expected a number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return v
    }
}

/// `--token` (one token shared by every client) or `--token-key-file` (one minted per client, sub
/// `load-N`); the key file is read now, so a bad one fails before the run.
func loadTokens(_ args: Arguments, into c: inout LoadConfiguration) throws {
    let shared = args.string("token")
    let keyFile = args.string("token-key-file")
    if shared != nil && keyFile != nil { throw UsageError("--token: give --token or --token-key-file, not both") }
    for flag in ["token-kid", "token-ttl"] where args.string(flag) != nil && keyFile == nil {
        throw UsageError("--\(flag): only with --token-key-file")
    }
    if let shared {
        guard !shared.isEmpty, shared.utf8.count <= TokenVerifier.maximumTokenBytes,
              shared.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw UsageError("--token: expected a token of printable characters, at most \(TokenVerifier.maximumTokenBytes) bytes")
        }
        c.token = { _ in shared }
        c.tokenSource = "shared"
        return
    }
    guard let keyFile else { return }
    let ttlText = args.string("token-ttl") ?? "1h"
    guard let ttl = parseDuration(ttlText), (1...366 * 86_400).contains(ttl) else {
        throw UsageError("--token-ttl: expected a duration from 1s to 366d such as 90s, 15m or 1h, got '\(ttlText)'")
    }
    let keys = try KeyFile.load(path: keyFile)
    let minter: TokenMinter
    do {
        minter = try TokenMinter(keys: keys, keyID: args.string("token-kid") ?? keys.keyIDs[0])
    } catch {
        throw UsageError("--token-kid: \(error)")
    }
    let now = WallClock.now().rounded(.down)
    c.token = { client in minter.mint(TokenClaims(subject: "load-\(client)", expiresAt: now + Double(ttl), issuedAt: now)) }
    c.tokenSource = "minted per client (sub load-N, kid \(minter.key.id), ttl \(ttlText))"
}

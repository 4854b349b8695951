import Fanout
import Feed
import Foundation
import Market
import OrderBook
import Simulator
import Sockets
import WebSocket

let serveCommand = Command(
    name: "serve",
    summary: "all-in-one daemon: exchange feed in, order books, broadcast ring, status, HTTP/WebSocket listener",
    usage: """
        usage: quotecast serve [--feed sim|file://PATH|moldudp64://GROUP:PORT[?...]] [--summary FILE] [--symbols N|LIST] [--rate N] [--seed N] [--bursty]
                               [--ring-capacity N] [--status-interval SECONDS] [--duration SECONDS]
                               [--messages N] [--log-level debug|info|warn|error]
                               [--listen HOST:PORT] [--echo PATH] [--allowed-origin LIST] [--max-clients N]
                               [--max-message BYTES] [--ping-interval SECONDS]

        Runs the feed handler on its own thread (qc-feed): ITCH 5.0 from the built-in exchange
        simulator (the default) or a day-file/pcap, full order books, ticks written once into the
        lock-free broadcast ring. Its readers run on their own threads: in this build a status reader
        (qc-status) that checks every tick's per-symbol sequence and prints a status line.

        The HTTP/WebSocket listener (--listen) runs on its own thread (qc-gateway): GET /healthz answers
        200 with JSON while the feed thread runs (503 after), --echo PATH adds a WebSocket echo
        endpoint (for conformance suites). The market-data stream /v1/stream, /metrics and /v1/symbols
        answer 503 in this build (issue 6); multicast publishing (--publish) and live multicast input
        (--feed moldudp64://...) are not in this build yet (issues 4, 7). See docs/websocket.md.

          --feed SOURCE          sim (default), file://PATH (a day-file or pcap, paced by --rate), or
                                 moldudp64://GROUP:PORT?interface=ADDR&b=GROUP:PORT&retransmit=HOST:PORT
                                 (the exchange's multicast: A/B arbitration, gap recovery, stale marking;
                                 every key in docs/feed-input.md)
          --summary FILE         when the feed stops, write the final books there in `quotecast book`'s
                                 summary layout, plus the feed's receive counters
          --symbols N|LIST       simulator instruments: how many (default 100) or their names
          --rate N               messages per second (default 10000); 0 = as fast as possible
          --seed N               simulator seed (default 1)
          --bursty               simulator timestamps clustered like a market open
          --ring-capacity N      ring slots, a power of two (default 65536)
          --status-interval S    seconds between status lines (default 5)
          --duration S           stop by itself after S seconds (default: run until SIGINT/SIGTERM)
          --messages N           stop after N messages
          --log-level LEVEL      lowest level logged (default info)
          --listen HOST:PORT     HTTP/WebSocket listener (default 127.0.0.1:8080; port 0 picks a free
                                 port, logged as listen= in serve_started)
          --echo PATH            also serve a WebSocket echo endpoint at PATH (off by default)
          --allowed-origin LIST  comma-separated Origin values allowed to open WebSockets (default any)
          --max-clients N        most open HTTP/WebSocket connections; more get 503 (default 10000)
          --max-message BYTES    largest message a client may send, else close 1009 (default 1048576)
          --ping-interval S      ping a WebSocket client silent for S seconds (default 30; closed 1001 if
                                 no answer within 10 s)

        Logs are key=value lines on stderr. SIGINT or SIGTERM stops it cleanly: the feed stops, the
        ring is closed, readers drain it, and a final status line is printed. WebSocket clients get close
        code 1001 first.

        """,
    run: runServe)

func runServe(_ argv: [String]) throws -> Int32 {
    let args = try Arguments(argv, valueFlags: ["feed", "symbols", "rate", "seed", "ring-capacity", "status-interval",
                                                "duration", "messages", "log-level", "listen", "echo",
                                                "allowed-origin", "max-clients", "max-message", "ping-interval", "summary"],
                             switchFlags: ["bursty"])
    guard args.positionals.isEmpty else { throw UsageError("unexpected argument '\(args.positionals[0])'") }
    let levelName = try args.choice("log-level", ["debug", "info", "warn", "error"], default: "info")
    let log = Log(minimum: LogLevel(name: levelName)!)
    let rate = try args.int("rate", default: 10_000, in: 0...100_000_000)
    let capacity = try args.int("ring-capacity", default: 65_536, in: 2...(1 << 24))
    guard capacity & (capacity - 1) == 0 else { throw UsageError("--ring-capacity: expected a power of two, got \(capacity)") }
    let interval = try args.int("status-interval", default: 5, in: 1...3600)
    let duration = args.string("duration") == nil ? nil : try args.int("duration", default: 0, in: 1...Int(Int32.max))
    let limit = args.string("messages") == nil ? nil : try args.int("messages", default: 0, in: 1...Int.max)
    let feedText = args.string("feed") ?? "sim"
    let source = try feedSource(feedText, args)
    let summaryPath = args.string("summary")

    let listenText = args.string("listen") ?? "127.0.0.1:8080"
    guard let listenAddress = SocketAddress(parsing: listenText) else {
        throw UsageError("--listen: expected HOST:PORT with an IPv4 host, got '\(listenText)'")
    }
    let echoPath = args.string("echo")
    if let echoPath, !echoPath.hasPrefix("/") { throw UsageError("--echo: expected a path starting with /, got '\(echoPath)'") }
    var gatewayConfiguration = WebSocketServerConfiguration(listen: listenAddress)
    gatewayConfiguration.allowedOrigins = (args.string("allowed-origin") ?? "").split(separator: ",").map(String.init)
    gatewayConfiguration.maxConnections = try args.int("max-clients", default: 10_000, in: 1...1_000_000)
    gatewayConfiguration.maxMessageBytes = try args.int("max-message", default: 1 << 20, in: 125...(1 << 30))
    gatewayConfiguration.pingInterval = Double(try args.int("ping-interval", default: 30, in: 1...86_400))

    // Signals are taken by the main thread with sigtimedwait: block them before any thread starts so
    // every thread inherits the mask and none is interrupted.
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &signals, nil)

    let ring = try BroadcastRing(RingConfiguration(capacity: capacity, readers: [.nonGating]))
    let stop = StopFlag()
    let counters = FeedCounters()
    let status = StatusReader(intervalSeconds: interval)
    let feedEnded = StopFlag()

    // The HTTP/WebSocket listener is bound before any thread starts, so a bad --listen fails at once.
    let router = HTTPRouter()
    router.get("/healthz") { _ in
        let live = !feedEnded.isRaised
        return .json(live ? .ok : .serviceUnavailable,
                     "{\"status\":\"\(live ? "live" : "down")\",\"feed\":\"\(feedText)\",\"messages\":\(counters.messages),\"ticks\":\(counters.ticks)}")
    }
    for path in ["/v1/stream", "/metrics", "/v1/symbols", "/"] {
        router.get(path) { _ in .text(.serviceUnavailable, "not in this build yet (issue 6)") }
    }
    if let echoPath { router.webSocket(echoPath, EchoHandler(path: echoPath)) }
    var gateway: WebSocketServer?
    do {
        gateway = try WebSocketServer(configuration: gatewayConfiguration, delegate: router) { level, line in
            let mapped: LogLevel = level == .info ? .info : level == .warn ? .warn : .error
            if mapped >= log.minimum { printError("level=\(mapped.name) " + line) }
        }
    } catch {
        // A daemon without its listener is no use to its clients: an explicit --listen that cannot be
        // bound is a bad value (exit 2); the default being taken is an environment problem (exit 1),
        // and the message says which flag picks another address.
        if args.string("listen") != nil { throw UsageError("--listen: cannot listen on \(listenText): \(error)") }
        printError("quotecast serve: cannot listen on the default \(listenText) (\(error)); choose another with --listen HOST:PORT")
        return 1
    }

    // Readers start first, so nothing the feed writes is before them.
    let statusThread = NamedThread(name: "qc-status") { [status] in
        var r = ring.makeReader(0)
        status.run(reader: &r, ring: ring, counters: counters)
    }
    let feed = FeedLoop(source: source, rate: rate, messageLimit: limit, onEvent: feedEventLogger(log))
    let gatewayThread = gateway.map { server in NamedThread(name: "qc-gateway") { server.run() } }
    let feedThread = NamedThread(name: "qc-feed") {
        defer { feedEnded.raise() }
        do {
            let engine = BookEngine()
            let stats = try feed.run(writer: ring.makeWriter(), ring: ring, stop: stop, counters: counters, engine: engine)
            if let summaryPath { try writeFeedSummary(engine, counters: counters, to: summaryPath) }
            log(.info, "feed_stopped", ["messages": stats.messages, "unknown_reference": stats.unknownReference,
                                        "bad_length": stats.badLength, "unknown_type": stats.unknownType])
        } catch {
            log(.error, "feed_failed", ["error": "\(error)"])
            ring.close()
        }
    }
    log(.info, "serve_started", ["feed": feedText, "rate": rate, "ring_capacity": capacity,
                                 "threads": gateway == nil ? "qc-feed,qc-status" : "qc-feed,qc-status,qc-gateway",
                                 "listen": gateway.map { "\($0.localAddress)" } ?? "none",
                                 "echo": echoPath ?? "off"])

    let started = monotonicNanoseconds()
    var reason = "source_finished"
    var timeout = timespec(tv_sec: 0, tv_nsec: 100_000_000)
    while true {
        let signal = sigtimedwait(&signals, nil, &timeout)
        if signal == SIGINT || signal == SIGTERM {
            reason = signal == SIGINT ? "SIGINT" : "SIGTERM"
            break
        }
        if counters.finished { break }
        if let duration, monotonicNanoseconds() - started >= UInt64(duration) * 1_000_000_000 {
            reason = "duration"
            break
        }
    }
    log(.info, "serve_stopping", ["reason": reason])
    gateway?.stop()
    gatewayThread?.join()
    stop.raise()
    feedThread.join()
    statusThread.join()
    status.printLine(final: true, ring: ring, counters: counters)
    log(.info, "serve_stopped", ["reason": reason])
    return status.sequenceErrors == 0 ? 0 : 1
}

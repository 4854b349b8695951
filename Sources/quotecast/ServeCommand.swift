import Fanout
import Feed
import Foundation
import Gateway
import Market
import OrderBook
import Simulator
import Sockets
import System
import WebSocket

let serveCommand = Command(
    name: "serve",
    summary: "all-in-one daemon: exchange feed in, order books, broadcast ring, status, HTTP/WebSocket listener",
    usage: """
        usage: quotecast serve [--feed sim|file://PATH|moldudp64://GROUP:PORT[?...]|krx://GROUP:PORT[,...][?...]] [--market nasdaq|krx]
                               [--summary FILE] [--symbols N|LIST] [--rate N] [--seed N] [--bursty] [--time-compression X]
                               [--ring-capacity N] [--status-interval SECONDS] [--duration SECONDS]
                               [--messages N] [--reference-prices FILE] [--log-level debug|info|warn|error]
                               [--listen HOST:PORT] [--echo PATH] [--allowed-origin LIST] [--max-clients N]
                               [--max-message BYTES] [--ping-interval SECONDS] [--max-subscriptions N]
                               [--client-buffer BYTES] [--client-buffer-max BYTES]
                               [--slow-client-timeout SECONDS] [--client-unsent BYTES] [--client-sndbuf BYTES]
                               [--deflate off|shared|full] [--wait blocking|adaptive|spinning]

        Runs the feed handler on its own thread (qc-feed): ITCH 5.0 from the built-in exchange
        simulator (the default) or a day-file/pcap, full order books, ticks written once into the
        lock-free broadcast ring. With --market krx it runs on the Korea Exchange instead: KOSCOM's
        records from the built-in simulator of a Korean trading day (opening auction, the 09:00 open,
        VIs, halts, the close; no other flag needed), a capture, or krx:// multicast (docs/krx.md). Its readers run on their own threads: in this build a status reader
        (qc-status) that checks every tick's per-symbol sequence and prints a status line.

        The gateway runs on its own thread (qc-gateway): the WebSocket market-data stream
        ws://HOST:PORT/v1/stream (subscribe, snapshots, quotes, trades, status; see
        docs/websocket-api.md), GET / (a live quotes page), GET /v1/symbols, GET /metrics (Prometheus
        text), GET /healthz (200 with JSON while the feed thread runs, 503 after); --echo PATH adds a
        WebSocket echo endpoint (for conformance suites). A client that reads too slowly has its
        quotes conflated past --client-buffer and is closed (1008) past --client-buffer-max or after
        --slow-client-timeout over the soft limit; see docs/gateway.md.

          --feed SOURCE          sim (default), file://PATH (a day-file or pcap, Nasdaq's or KOSCOM's,
                                 recognised by content, paced by --rate),
                                 moldudp64://GROUP:PORT?interface=ADDR&b=GROUP:PORT&retransmit=HOST:PORT
                                 (Nasdaq's multicast: A/B arbitration, gap recovery, stale marking; every
                                 key in docs/feed-input.md), or
                                 krx://GROUP:PORT[,GROUP:PORT...]?interface=ADDR (KOSCOM's multicast, every
                                 port of the product groups; an instrument that loses records is stale
                                 until its next quote; every key in docs/krx.md)
          --market M             nasdaq (default) or krx: which exchange `sim` simulates
          --summary FILE         when the feed stops, write the final books there in `quotecast book`'s
                                 summary layout, plus the feed's receive counters
          --symbols N|LIST       simulator instruments: how many (default 100; 40 with --market krx, at
                                 most 1000) or their names (Nasdaq)
          --rate N               messages per second (default 10000); 0 = as fast as possible
          --seed N               simulator seed (default 1)
          --bursty               simulator timestamps clustered like a market open
          --time-compression X   --market krx: simulated seconds per second (default 60: the day in
                                 7 min 10 s, the open 40 s in); --rate N paces steadily instead
          --ring-capacity N      ring slots, a power of two (default 65536)
          --status-interval S    seconds between status lines (default 5)
          --duration S           stop by itself after S seconds (default: run until SIGINT/SIGTERM)
          --messages N           stop after N messages
        \(ReferencePricesFlag.usage)
          --log-level LEVEL      lowest level logged (default info)
        \(WaitFlag.usage)
        \(FrontEnd.usage)

        Logs are key=value lines on stderr. SIGINT or SIGTERM stops it cleanly: the feed stops, the
        ring is closed, readers drain it, and a final status line is printed. WebSocket clients get close
        code 1001 first.

        """,
    run: runServe)

func runServe(_ argv: [String]) throws -> Int32 {
    let args = try Arguments(argv, valueFlags: FrontEnd.valueFlags.union(["feed", "market", "symbols", "rate", "seed", "ring-capacity",
                                                                          "status-interval", "duration", "messages",
                                                                          "log-level", "summary", "time-compression",
                                                                          ReferencePricesFlag.name, WaitFlag.name]),
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
    let bookConfiguration = try ReferencePricesFlag.bookConfiguration(args)

    let wait = try WaitFlag.strategy(args)
    var frontEnd = try FrontEnd.settings(args, log: log)
    frontEnd.server.wait = wait

    // Signals are taken by the main thread with sigtimedwait: block them before any thread starts so
    // every thread inherits the mask and none is interrupted.
    var signals = StopSignals.block(hangup: true)

    let ring = try BroadcastRing(RingConfiguration(capacity: capacity, readers: [.nonGating, .nonGating], wait: wait))
    let stop = StopFlag()
    let counters = FeedCounters()
    let feedEnded = StopFlag()
    let feedFailed = StopFlag()

    // The HTTP/WebSocket listener is bound before any thread starts, so a bad --listen fails at once.
    // The gateway reads ring reader 1 on the listener's loop thread (qc-gateway).
    let (server, gateway) = try FrontEnd.start(
        frontEnd, reader: ring.makeReader(1), log: log,
        health: {
            // Down when the feed thread ended, or the multicast feed is stale or silent (docs/feed-input.md).
            let state = counters.health
            let live = !feedEnded.isRaised && state != .stale && state != .silent
            return (live, "{\"status\":\"\(live ? "live" : "down")\",\"feed\":\"\(feedText)\"," + counters.healthJSON().dropFirst())
        },
        metrics: [{ feedSamples(counters) }, { ring.metrics().samples(readerNames: ["status", "gateway"]) }])
    // The simulator (and a file at --rate) sends in 50 ms batches while no stream client is connected,
    // on the 1 ms grid while one is: the gateway tells it (docs/operations.md, "CPU: how threads wait").
    let demand = StreamDemand(watched: false)
    gateway.demand = demand
    let gatewayStatistics = gateway.statistics
    let status = StatusReader(intervalSeconds: interval) {
        let g = gatewayStatistics
        return "clients=\(g.clients.load(ordering: .relaxed)) subscriptions=\(g.subscriptions.load(ordering: .relaxed))"
            + " msgs_out=\(["quote", "trade", "status", "trade_break", "snapshot", "gap", "control", "instrument"].reduce(0) { $0 + g.messagesOut($1) })"
            + " conflating=\(g.clientsConflating.load(ordering: .relaxed)) gateway_laps=\(g.laps.load(ordering: .relaxed))"
    }

    // Readers start first, so nothing the feed writes is before them.
    let statusThread = NamedThread(name: "qc-status") { [status] in
        // Non-critical: it always blocks, whatever --wait says.
        var r = ring.makeReader(0, wait: .blocking)
        status.run(reader: &r, ring: ring, counters: counters)
    }
    let feed = FeedLoop(rate: rate, messageLimit: limit, wait: wait, demand: demand)
    let gatewayThread = NamedThread(name: "qc-gateway") { server.run() }
    let feedThread = NamedThread(name: "qc-feed") {
        defer { feedEnded.raise() }
        let engine = BookEngine(configuration: bookConfiguration)
        var outcome = FeedOutcome.nasdaq
        do {
            outcome = try runFeed(source, loop: feed, engine: engine, writer: ring.makeWriter(), ring: ring, stop: stop,
                                  counters: counters, onEvent: feedEventLogger(log))
        } catch {
            // A source that cannot be read on, or a day-file that turns to garbage: what was applied
            // before stays published (and in --summary); the exit status says the feed failed.
            feedFailed.raise()
            log(.error, "feed_failed", ["error": "\(error)", "messages_applied": engine.statistics.messages])
            ring.close()
        }
        if let summaryPath {
            do {
                try writeFeedSummary(outcome, engine: engine, counters: counters, to: summaryPath)
            } catch {
                feedFailed.raise()
                log(.error, "summary_failed", ["file": summaryPath, "error": "\(error)"])
            }
        }
        if case .krx(_, let tally) = outcome {
            log(.info, "feed_stopped", ["records": tally.decode.acceptedTotal, "refused": tally.decode.refusedTotal,
                                        "gaps": tally.gaps, "stale_instruments": tally.staleInstruments])
        } else {
            let stats = engine.statistics
            log(.info, "feed_stopped", ["messages": stats.messages, "unknown_reference": stats.unknownReference,
                                        "bad_length": stats.badLength, "unknown_type": stats.unknownType])
        }
    }
    log(frontEnd.startupLevel, "serve_started", ["url": "http://\(server.localAddress)/", "feed": feedText, "rate": rate,
                                 "ring_capacity": capacity, "threads": "qc-feed,qc-status,qc-gateway",
                                 "listen": "\(server.localAddress)", "echo": frontEnd.echoPath ?? "off",
                                 "deflate": frontEnd.server.deflate.mode.rawValue, "wait": wait.rawValue,
                                 "stream": "ws://\(server.localAddress)\(frontEnd.gateway.streamPath)"], frontEnd.accessFields)

    let reason = signals.wait(duration: duration, onHangup: { AccessFlags.reload(frontEnd.keys, log: log) }) { counters.finished } ?? "source_finished"
    log(.info, "serve_stopping", ["reason": reason])
    server.stop()
    gatewayThread.join()
    stop.raise()
    feedThread.join()
    statusThread.join()
    status.printLine(final: true, ring: ring, counters: counters)
    log(.info, "serve_stopped", ["reason": reason])
    return status.sequenceErrors == 0 && !feedFailed.isRaised ? ExitStatus.success : ExitStatus.failure
}

/// The feed's samples for `/metrics`.
func feedSamples(_ counters: FeedCounters) -> [MetricSample] {
    // The feed's own list: messages, ticks, refusals, state, and the multicast receiver's counters.
    counters.metricSamples()
}


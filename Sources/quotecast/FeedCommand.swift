import Fanout
import Feed
import Foundation
import Gateway
import ITCH
import Market
import MoldUDP64
import Multicast
import OrderBook
import Sockets
import System
import WebSocket

let feedCommand = Command(
    name: "feed",
    summary: "feed-handler node: exchange feed in, books, normalized ticks out on multicast channels",
    usage: """
        usage: quotecast feed --publish GROUP:PORT [--channels K] [--interface ADDR] [--ttl N]
                              [--service HOST:PORT] [--feed sim|file://PATH|moldudp64://...|krx://...] [--market nasdaq|krx]
                              [--symbols N|LIST] [--rate N] [--seed N] [--bursty] [--time-compression X] [--messages N]
                              [--duration SECONDS] [--linger SECONDS] [--ring-capacity N]
                              [--payload-size BYTES] [--max-rate BITS/S] [--max-rate-total BITS/S]
                              [--burst PACKETS] [--metrics HOST:PORT] [--reference-prices FILE]
                              [--log-level debug|info|warn|error] [--wait blocking|adaptive|spinning]

        The feed-handler node of a scale-out deployment (docs/operations.md): runs the feed handler
        (qc-feed) like `serve` does, and publishes every tick once, normalized (docs/wire-format.md),
        in MoldUDP64 packets on K multicast channels (qc-publish): an instrument's channel is a stable
        hash of its symbol, channel i goes to GROUP+i. Packets leave when full or as soon as the ring
        is empty (under load at most 100 µs after their first message); idle channels send a heartbeat
        every second; the end of input ends every channel's session. Gateways recover through
        --service (qc-service): snapshots of the channels' state over TCP, and MoldUDP64
        retransmission requests over UDP on the same port, answered from a window of recent packets.

          --publish GROUP:PORT  first channel's multicast group (required)
          --channels K          number of channels, 1..100 (default 4)
          --interface ADDR      address of the interface to send from (default 127.0.0.1)
          --ttl N               multicast TTL, 0..255 (default 1: this network only)
          --service HOST:PORT   snapshot (TCP) and retransmission (UDP) service (default 127.0.0.1:26500;
                                port 0 picks a free one, logged at start)
          --feed SOURCE         exchange input as for serve: sim (default), file://PATH, moldudp64://...,
                                krx://... (the Korea Exchange, docs/krx.md)
          --market M            nasdaq (default) or krx: which exchange `sim` simulates
          --symbols, --rate, --seed, --bursty, --time-compression   the simulator, as for serve
          --messages N          stop the input after N messages
          --duration SECONDS    stop after this long
          --linger SECONDS      after the input ends, keep the service up this long (default 5)
          --ring-capacity N     broadcast ring slots, a power of two (default 65536)
          --payload-size BYTES  largest MoldUDP64 packet, header included, \(ChannelPublisherConfiguration.minimumPayload)..65000 (default
                                1400, for a 1500-byte MTU; ~8900 on a 9000-byte jumbo network carries
                                ~6x the ticks per datagram); gateways need a --max-datagram at least as large
          --max-rate BITS/S     bandwidth budget of each channel, bits per second on the wire (IPv4 +
                                UDP + MoldUDP64 headers counted; suffixes k, M, G: 20M); default off.
                                Packets are paced to it; while a channel is over it, quotes are
                                conflated per instrument (the latest replaces the unsent one, flagged
                                conflated) and trades, status changes and breaks all still go out
          --max-rate-total BITS/S  the same budget for all channels together (with or without --max-rate)
          --burst PACKETS       with a budget: full-size packets that may leave back to back, 1..1000
                                (default 4)
          --metrics HOST:PORT   serve GET /metrics (Prometheus text: feed, ring, per-channel packets,
                                messages, bytes, wire bytes, heartbeats, ends of session, snapshots,
                                with a budget its rate, quotes conflated and time over budget,
                                retransmission requests) and GET /healthz (200 with JSON while the
                                input runs, 503 after it ends or while it is stale) on this address,
                                thread qc-metrics (default off; port 0 picks a free one, logged as
                                metrics= at start)
        \(ReferencePricesFlag.usage)
          --log-level LEVEL     debug, info (default), warn, error
        \(WaitFlag.usage)

        SIGINT or SIGTERM stops it: pending packets are sent and every channel's session ended.

        """,
    run: runFeed)

func runFeed(_ argv: [String]) throws -> Int32 {
    let args = try Arguments(argv, valueFlags: ["feed", "market", "time-compression", "symbols", "rate", "seed", "publish", "channels", "interface",
                                                "ttl", "service", "messages", "duration", "linger", "ring-capacity",
                                                "log-level", "metrics", "payload-size", "max-rate", "max-rate-total", "burst",
                                                ReferencePricesFlag.name, WaitFlag.name],
                             switchFlags: ["bursty"])
    guard args.positionals.isEmpty else { throw UsageError("unexpected argument '\(args.positionals[0])'") }
    let levelName = try args.choice("log-level", ["debug", "info", "warn", "error"], default: "info")
    let log = Log(minimum: LogLevel(name: levelName)!)
    let bookConfiguration = try ReferencePricesFlag.bookConfiguration(args)
    guard let publishText = args.string("publish") else { throw UsageError("--publish GROUP:PORT is required") }
    guard let group = SocketAddress(parsing: publishText), group.isMulticast else {
        throw UsageError("--publish: expected a multicast GROUP:PORT (224.0.0.0/4), got '\(publishText)'")
    }
    let channels = try args.int("channels", default: 4, in: 1...100)
    let interface = args.string("interface") ?? "127.0.0.1"
    guard SocketAddress(host: interface, port: 0) != nil else { throw UsageError("--interface: expected an IPv4 address, got '\(interface)'") }
    let ttl = try args.int("ttl", default: 1, in: 0...255)
    let serviceText = args.string("service") ?? "127.0.0.1:26500"
    let serviceAddress = try args.address("service", default: serviceText)!
    let rate = try args.int("rate", default: 10_000, in: 0...100_000_000)
    let capacity = try args.int("ring-capacity", default: 65_536, in: 2...(1 << 24))
    guard capacity & (capacity - 1) == 0 else { throw UsageError("--ring-capacity: expected a power of two, got \(capacity)") }
    let duration = args.string("duration") == nil ? nil : try args.int("duration", default: 0, in: 1...Int(Int32.max))
    let limit = args.string("messages") == nil ? nil : try args.int("messages", default: 0, in: 1...Int.max)
    let linger = try args.int("linger", default: 5, in: 0...86_400)
    let wait = try WaitFlag.strategy(args)
    let feedText = args.string("feed") ?? "sim"
    let source = try feedSource(feedText, args)
    let metricsText = args.string("metrics")
    let metricsAddress = try args.address("metrics")

    var output = FeedNodeOutput(group: group, interface: interface, ttl: ttl)
    output.windowMessages = 1_000_000
    output.payloadSize = try args.int("payload-size", default: MoldUDP64.defaultMaxPayloadSize,
                                      in: ChannelPublisherConfiguration.minimumPayload...65_000)
    // Below one full packet a second a budget could not send a packet at all.
    let lowestRate = UInt64(WireRateBucket.wireBytes(datagram: output.payloadSize) * 8)
    output.budget.channelBitsPerSecond = try args.bitsPerSecond("max-rate", in: lowestRate...400_000_000_000)
    output.budget.totalBitsPerSecond = try args.bitsPerSecond("max-rate-total", in: lowestRate...400_000_000_000)
    output.budget.burstPackets = try args.int("burst", default: 4, in: 1...1_000)
    guard output.group(ofChannel: channels - 1) != nil else {
        throw UsageError("--channels: \(channels) channels from \(group.host) leave the multicast range")
    }
    // A session name per start: "Q" and the start time in milliseconds, 7 base-36 digits (they repeat
    // after about 2.5 years). Seconds were not enough: a feed node restarted within the second it
    // stopped reused its predecessor's sessions, and gateways took the new day for old packets.
    let startMilliseconds = UInt64(Date().timeIntervalSince1970 * 1000) % 78_364_164_096  // 36^7
    let digits = String(startMilliseconds, radix: 36, uppercase: true)
    let sessionBase = "Q" + String(repeating: "0", count: 7 - digits.count) + digits

    var signals = StopSignals.block()

    let publisher: FeedNodePublisher
    let service: FeedNodeService
    do {
        publisher = try FeedNodePublisher(channels: channels, output: output, sessionBase: sessionBase) { event in
            switch event {
            case let .overBudget(channel, limit, rate):
                log(.warn, "over_budget", ["channel": channel, "limit": limit, "budget_bps": rate])
            case let .withinBudget(channel, seconds, conflated, longest):
                log(.info, "within_budget", ["channel": channel, "over_s": String(format: "%.3f", seconds),
                                             "quotes_conflated": conflated,
                                             "longest_delay_ms": String(format: "%.3f", Double(longest) / 1e6)])
            case let .unused(channel, nanoseconds, realtime):
                log(.debug, "budget_unused", ["channel": channel.map { "\($0)" } ?? "all",
                                              "lost_ms": String(format: "%.3f", Double(nanoseconds) / 1e6), "at_ns": realtime])
            }
        }
    } catch {
        throw RuntimeFailure("--interface: cannot send multicast from \(interface): \(error)")
    }
    do {
        service = try FeedNodeService(binding: serviceAddress, publisher: publisher)
    } catch {
        throw RuntimeFailure("--service: cannot listen on \(serviceText): \(error)")
    }

    // The publisher gates the ring: a tick is never overwritten before it is published.
    let ring = try BroadcastRing(RingConfiguration(capacity: capacity, readers: [.gating], wait: wait))
    let stop = StopFlag()
    let publisherDone = StopFlag()
    let counters = FeedCounters()
    let feedEnded = StopFlag()
    let feedFailed = StopFlag()
    // Bound before any thread starts, so an address in use fails at once (exit 1).
    var metrics: WebSocketServer?
    if let metricsAddress {
        do {
            metrics = try feedMetricsServer(metricsAddress, log: log, feedText: feedText, sessionBase: sessionBase,
                                            counters: counters, feedEnded: feedEnded, ring: ring,
                                            publisher: publisher, service: service)
        } catch {
            service.stop()
            throw RuntimeFailure("--metrics: cannot listen on \(metricsText!): \(error)")
        }
    }
    let publisherThread = NamedThread(name: "qc-publish") {
        var reader = ring.makeReader(0)
        publisher.run(reader: &reader, stop: publisherDone)
    }
    let feed = FeedLoop(rate: rate, messageLimit: limit, wait: wait)
    let metricsThread = metrics.map { server in NamedThread(name: "qc-metrics") { server.run() } }
    let feedThread = NamedThread(name: "qc-feed") {
        defer { feedEnded.raise() }
        do {
            try runFeed(source, loop: feed, engine: BookEngine(configuration: bookConfiguration), writer: ring.makeWriter(), ring: ring, stop: stop,
                        counters: counters, onEvent: feedEventLogger(log))
        } catch {
            feedFailed.raise()
            log(.error, "feed_failed", ["error": "\(error)", "messages": counters.messages])
            ring.close()
        }
    }
    log(.info, "feed_started", ["feed": feedText, "publish": "\(group)", "channels": channels, "interface": interface,
                                "ttl": ttl, "service": "\(service.address)", "session": sessionBase,
                                "payload_size": output.payloadSize, "wait": wait.rawValue,
                                "max_rate": output.budget.channelBitsPerSecond.map { "\($0)" } ?? "off",
                                "max_rate_total": output.budget.totalBitsPerSecond.map { "\($0)" } ?? "off",
                                "metrics": metrics.map { "\($0.localAddress)" } ?? "off",
                                "threads": "qc-feed,qc-publish,qc-service,qc-retransmit" + (metrics == nil ? "" : ",qc-metrics")])

    // Stop on a signal, after --duration, or --linger seconds after the input ended.
    var finishedAt: UInt64?
    let reason = signals.wait(duration: duration) {
        guard counters.finished else { return false }
        let now = Clock.monotonic()
        if finishedAt == nil {
            finishedAt = now
            log(.info, "feed_input_ended", ["messages": counters.messages, "published": publisher.counters.messagesPublished,
                                            "linger_s": linger])
        }
        return now - finishedAt! >= UInt64(linger) * 1_000_000_000
    } ?? "source_finished"
    stop.raise()
    feedThread.join()
    ring.close()
    publisherDone.raise()
    publisherThread.join()
    service.stop()
    metrics?.stop()
    metricsThread?.join()
    log(.info, "feed_stopped", ["reason": reason, "messages": counters.messages,
                                "published": publisher.counters.messagesPublished])
    return feedFailed.isRaised ? ExitStatus.failure : ExitStatus.success
}

/// The feed node's HTTP listener for monitoring: GET /metrics renders the feed's, the ring's, the
/// publisher's and the service's samples; GET /healthz is 200 with JSON while the input runs (and is
/// not stale or silent), 503 after it ended. No WebSocket routes.
private func feedMetricsServer(_ address: SocketAddress, log: Log, feedText: String, sessionBase: String,
                               counters: FeedCounters, feedEnded: StopFlag, ring: BroadcastRing,
                               publisher: FeedNodePublisher, service: FeedNodeService) throws(SystemError) -> WebSocketServer {
    var configuration = WebSocketServerConfiguration(listen: address)
    configuration.maxConnections = 64
    let router = HTTPRouter()
    let channels = publisher.publisher.configuration.channels
    router.get("/healthz") { _ in
        let state = counters.health
        let live = !feedEnded.isRaised && !counters.finished && state != .stale && state != .silent
        return .json(live ? .ok : .serviceUnavailable,
                     "{\"status\":\"\(live ? "live" : "down")\",\"feed\":\"\(jsonEscaped(feedText))\","
                        + "\"session\":\"\(jsonEscaped(sessionBase))\",\"channels\":\(channels),"
                        + "\"published\":\(publisher.counters.messagesPublished)," + counters.healthJSON().dropFirst())
    }
    let server = try WebSocketServer(configuration: configuration, delegate: router) { level, line in
        let mapped: LogLevel = level == .info ? .info : level == .warn ? .warn : .error
        if mapped >= log.minimum { printError("level=\(mapped.name) " + line) }
    }
    let providers: [() -> [MetricSample]] = [
        { feedSamples(counters) },
        { ring.metrics().samples(readerNames: ["publish"]) },
        { publisher.counters.samples() },
        { service.samples() },
        { server.statistics.samples() },
        { ProcessMetrics.read().samples() },
    ]
    router.get("/metrics") { _ in
        HTTPResponse(status: .ok, contentType: PrometheusText.contentType,
                     body: Array(PrometheusText.render(providers.flatMap { $0() }).utf8))
    }
    return server
}

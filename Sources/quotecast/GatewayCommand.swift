import Fanout
import Feed
import Foundation
import Gateway
import Market
import MoldUDP64
import Multicast
import Sockets
import Synchronization
import System

let gatewayCommand = Command(
    name: "gateway",
    summary: "gateway node: joins a feed node's multicast channels, serves WebSocket clients",
    usage: """
        usage: quotecast gateway --upstream GROUP:PORT [--channels K] [--interface ADDR] [--service HOST:PORT]
                                 [--listen HOST:PORT] [--receive-buffer BYTES] [--recovery-timeout MS]
                                 [--snapshot-timeout MS] [--max-datagram BYTES] [--ring-capacity N]
                                 [--duration SECONDS] [--drop RATE] [--drop-seed N]
                                 [--log-level debug|info|warn|error] [--wait blocking|adaptive|spinning]
                                 [client flags as for serve]

        A gateway node of a scale-out deployment (docs/operations.md): joins the K normalized
        channels a `quotecast feed` node publishes (channel i on GROUP+i), takes a snapshot of their
        state from the feed node's --service, then applies every channel's packets in sequence
        (qc-upstream) into its own ring, and serves WebSocket clients from it exactly as `serve` does
        (qc-gateway). Until the first snapshot of every channel is applied, /healthz answers 503 and
        stream clients get 503 `not_ready`. Gaps are filled by MoldUDP64 retransmission requests to the
        service; a gap not filled within --recovery-timeout, or a new session (the feed node restarted),
        resynchronizes that channel from a fresh snapshot, and its subscribers get `gap` + `snapshot`.
        Every gateway fed by the same feed node serves the same seq, prices, sizes, ts and rt.

          --upstream GROUP:PORT  the feed node's --publish group (required)
          --channels K           the feed node's --channels, 1..100 (default 4)
          --interface ADDR       address of the interface to join on and send requests from
                                 (default 127.0.0.1)
          --service HOST:PORT    the feed node's snapshot and retransmission service
                                 (default 127.0.0.1:26500)
          --receive-buffer BYTES receive buffer per channel socket (default 16777216; SO_RCVBUFFORCE as
                                 root, else capped by net.core.rmem_max; the granted size is logged)
          --recovery-timeout MS  a gap not filled by retransmission within MS is resynchronized from a
                                 snapshot (default 1000)
          --snapshot-timeout MS  one snapshot fetch may take this long before it is retried (default 5000)
          --max-datagram BYTES   largest packet accepted, 512..65507 (default 2048): at least the feed
                                 node's --payload-size; longer ones are counted as malformed and logged
                                 (upstream_oversize). Each channel buffers up to 4096 of them behind a gap
          --ring-capacity N      ring slots, a power of two (default 65536)
          --duration SECONDS     stop after this long (default: until SIGINT/SIGTERM)
          --drop RATE            fault injection for drills and tests: drop this fraction (0..1) of the
                                 channel datagrams received, before sequencing (default 0)
          --drop-seed N          seed of --drop's choices (default 1)
          --log-level LEVEL      debug, info (default), warn, error
        \(WaitFlag.usage)
        \(FrontEnd.usage)

        SIGINT or SIGTERM stops it: WebSocket clients get close code 1001 first.

        """,
    run: runGateway)

func runGateway(_ argv: [String]) throws -> Int32 {
    let args = try Arguments(argv, valueFlags: FrontEnd.valueFlags.union(["upstream", "channels", "interface", "service",
                                                                          "receive-buffer", "recovery-timeout",
                                                                          "snapshot-timeout", "ring-capacity", "duration", "max-datagram",
                                                                          "drop", "drop-seed", "log-level", WaitFlag.name]),
                             switchFlags: [])
    guard args.positionals.isEmpty else { throw UsageError("unexpected argument '\(args.positionals[0])'") }
    let levelName = try args.choice("log-level", ["debug", "info", "warn", "error"], default: "info")
    let log = Log(minimum: LogLevel(name: levelName)!)
    guard let upstreamText = args.string("upstream") else { throw UsageError("--upstream GROUP:PORT is required") }
    guard let group = SocketAddress(parsing: upstreamText), group.isMulticast, group.port != 0 else {
        throw UsageError("--upstream: expected a multicast GROUP:PORT (224.0.0.0/4), got '\(upstreamText)'")
    }
    let channels = try args.int("channels", default: 4, in: 1...100)
    let serviceText = args.string("service") ?? "127.0.0.1:26500"
    let service = try args.address("service", default: serviceText, anyPort: false)!
    guard !service.isMulticast else {
        throw UsageError("--service: expected the feed node's unicast HOST:PORT, got the multicast group '\(serviceText)'")
    }
    var upstream = UpstreamConfiguration(group: group, channels: channels, service: service)
    upstream.sequencing.interface = args.string("interface") ?? "127.0.0.1"
    guard SocketAddress(host: upstream.sequencing.interface, port: 0) != nil else {
        throw UsageError("--interface: expected an IPv4 address, got '\(upstream.sequencing.interface)'")
    }
    guard upstream.group(ofChannel: channels - 1) != nil else {
        throw UsageError("--channels: \(channels) channels from \(group.host) leave the multicast range")
    }
    upstream.sequencing.receiveBuffer = try args.int("receive-buffer", default: 16 << 20, in: 65_536...(1 << 30))
    upstream.sequencing.recoveryTimeoutNanoseconds = UInt64(try args.int("recovery-timeout", default: 1_000, in: 10...600_000)) * 1_000_000
    upstream.sequencing.maxDatagram = try args.int("max-datagram", default: 2048, in: 512...65_507)
    upstream.snapshotTimeoutMilliseconds = Int32(try args.int("snapshot-timeout", default: 5_000, in: 100...600_000))
    if let dropText = args.string("drop") {
        guard let rate = Double(dropText), (0...1).contains(rate) else { throw UsageError("--drop: expected a fraction 0..1, got '\(dropText)'") }
        upstream.dropRate = rate
    }
    upstream.dropSeed = UInt64(try args.int("drop-seed", default: 1, in: 0...Int.max))
    let capacity = try args.int("ring-capacity", default: 65_536, in: 2...(1 << 24))
    guard capacity & (capacity - 1) == 0 else { throw UsageError("--ring-capacity: expected a power of two, got \(capacity)") }
    let duration = args.string("duration") == nil ? nil : try args.int("duration", default: 0, in: 1...Int(Int32.max))
    let wait = try WaitFlag.strategy(args)
    upstream.wait = wait
    var frontEnd = try FrontEnd.settings(args, log: log)
    frontEnd.server.wait = wait

    var signals = StopSignals.block(hangup: true)

    let ring = try BroadcastRing(RingConfiguration(capacity: capacity, readers: [.nonGating], wait: wait))
    let stop = StopFlag()
    let ended = StopFlag()
    let failed = StopFlag()
    let counters = UpstreamCounters(channels: channels)
    // Clients are let in once the gateway has read the first complete snapshot out of the ring.
    let statistics = Mutex<GatewayStatistics?>(nil)
    let admitted: () -> Bool = {
        guard counters.isSynced else { return false }
        return (statistics.withLock { $0 }?.ringPosition.load(ordering: .relaxed) ?? 0) >= counters.readyRingPosition
    }
    let (server, gateway) = try FrontEnd.start(
        frontEnd, reader: ring.makeReader(0), log: log, admission: admitted,
        health: {
            let live = !ended.isRaised && counters.isHealthy && admitted()
            return (live, "{\"status\":\"\(live ? "live" : counters.isSynced ? "down" : "syncing")\",\"upstream\":\"\(upstreamText)\","
                          + counters.healthJSON().dropFirst())
        },
        metrics: [{ counters.metricSamples() }, { ring.metrics().samples(readerNames: ["gateway"]) }])
    statistics.withLock { $0 = gateway.statistics }

    // Snapshot candles and tapes go from the upstream thread to the gateway beside the ring.
    let series = SnapshotSeriesMailbox()
    gateway.snapshotSeries = series
    let receiver = UpstreamReceiver(configuration: upstream, onEvent: upstreamEventLogger(log), seriesMailbox: series)
    let gatewayThread = NamedThread(name: "qc-gateway") { server.run() }
    let receiverThread = NamedThread(name: "qc-upstream") {
        defer { ended.raise() }
        var writer = ring.makeWriter()
        do {
            try receiver.run(writer: &writer, stop: stop, counters: counters)
        } catch {
            failed.raise()
            log(.error, "upstream_failed", ["error": "\(error)",
                                            "hint": "check --interface and the multicast route (ip route add 224.0.0.0/4 dev IFACE)"])
        }
    }
    log(frontEnd.startupLevel, "gateway_started", ["url": "http://\(server.localAddress)/", "listen": "\(server.localAddress)",
                                   "stream": "ws://\(server.localAddress)\(frontEnd.gateway.streamPath)",
                                   "upstream": upstreamText, "channels": channels, "interface": upstream.sequencing.interface,
                                   "service": serviceText, "echo": frontEnd.echoPath ?? "off",
                                   "deflate": frontEnd.server.deflate.mode.rawValue, "wait": wait.rawValue,
                                   "threads": "qc-upstream,qc-gateway"], frontEnd.accessFields)

    let reason = signals.wait(duration: duration, onHangup: { AccessFlags.reload(frontEnd.keys, log: log) }) { ended.isRaised } ?? "upstream_failed"
    log(.info, "gateway_stopping", ["reason": reason])
    server.stop()
    gatewayThread.join()
    stop.raise()
    receiverThread.join()
    ring.close()
    log(.info, "gateway_stopped", ["reason": reason, "messages": counters.messages, "ticks": counters.ticks,
                                   "snapshots": counters.snapshots, "gaps": counters.receiver.gaps,
                                   "clients_served": gateway.statistics.connections.load(ordering: .relaxed)])
    return failed.isRaised ? ExitStatus.failure : ExitStatus.success
}

/// Logs the upstream receiver's events, one line each.
func upstreamEventLogger(_ log: Log) -> @Sendable (UpstreamEvent) -> Void {
    { event in
        switch event {
        case .joined(let channel, let group, let receiveBuffer):
            log(.info, "upstream_joined", ["channel": channel, "group": group, "rcvbuf": receiveBuffer])
        case .synced(let channel, let session, let next, let instruments, let reason):
            log(reason == .start ? .info : .warn, "upstream_synced",
                ["channel": channel, "session": session, "next": next, "instruments": instruments, "reason": reason.name])
        case .ready(let instruments, let milliseconds):
            log(.info, "upstream_ready", ["instruments": instruments, "ms": milliseconds])
        case .snapshotFailed(let error, let retry):
            log(.warn, "snapshot_failed", ["error": error, "retry_s": retry])
        case .resync(let channel, let reason, let detail):
            log(.warn, "upstream_resync", ["channel": channel, "reason": reason.name, "detail": detail])
        case .oversize(let channel, let maxDatagram):
            log(.error, "upstream_oversize", ["channel": channel.map { "\($0)" } ?? "retransmission", "max_datagram": maxDatagram,
                                              "detail": "a datagram longer than --max-datagram was cut and dropped: raise it to the feed node's --payload-size"])
        case .channel(let channel, let e):
            sessionEventLogger(log.with("channel", channel), prefix: "upstream")(e)
        }
    }
}

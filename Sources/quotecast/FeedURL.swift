import Fanout
import Feed
import Foundation
import ITCH
import KRXBook
import Market
import MoldUDP64
import OrderBook
import PacketCapture
import Simulator
import Sockets
import System

/// Where `serve` and `feed` take the exchange's messages from (`--feed`, `--market`), parsed and
/// checked once.
enum FeedSource: Sendable {
    /// The built-in Nasdaq exchange simulator.
    case simulator(SimulatorConfiguration)
    /// The built-in Korea Exchange simulator (`--market krx`): a simulated trading day's KOSCOM records.
    case krxSimulator(KRXSimulatorOptions)
    /// A day-file or pcap on disk (Nasdaq's or KOSCOM's), mapped and recognised by content at
    /// start-up, applied once from start to end (MoldUDP64 packets deduplicated by (session,
    /// sequence) as `book` does).
    case file(CaptureFile)
    /// MoldUDP64 over UDP multicast, lines A and B, with gap recovery (`--feed moldudp64://...`).
    case multicast(MoldUDP64FeedConfiguration)
    /// KOSCOM's real-time feed over UDP multicast, on several streams (`--feed krx://...`).
    case krx(KRXFeedConfiguration)
}

/// Parses `--feed` (`sim`, `file://PATH`, `moldudp64://GROUP:PORT[?...]` or
/// `krx://GROUP:PORT[,GROUP:PORT...][?...]`, docs/feed-input.md, docs/krx.md) and `--market`
/// (`nasdaq`, the default, or `krx`: which simulator `sim` is; a network feed's scheme must agree).
/// A malformed value is a `UsageError` (exit 2); a well-formed one the system cannot serve (a file
/// that cannot be read or is not a capture, a group that cannot be joined) a `RuntimeFailure` (exit 1).
func feedSource(_ text: String, _ args: Arguments) throws -> FeedSource {
    let market = try args.choice("market", ["nasdaq", "krx"], default: text.hasPrefix("krx://") ? "krx" : "nasdaq")
    if text == "sim" {
        return market == "krx" ? .krxSimulator(try KRXSimulatorOptions(args)) : .simulator(try simulatorConfiguration(args))
    }
    if market == "krx", args.string("time-compression") != nil || args.flag("bursty") {
        throw UsageError("--market krx: the simulator's pacing flags need --feed sim")
    }
    if text.hasPrefix("file://") {
        let path = String(text.dropFirst("file://".count))
        guard !path.isEmpty else { throw UsageError("--feed: expected file://PATH, got '\(text)'") }
        // Opened and recognised now, so a missing file or one that is no capture fails at start-up.
        do {
            return .file(try CaptureFile(path: path))
        } catch {
            throw RuntimeFailure("--feed: \(error)")
        }
    }
    if text.hasPrefix("moldudp64://") {
        guard market == "nasdaq" else { throw UsageError("--market krx: a moldudp64:// feed is Nasdaq's (KOSCOM's is krx://)") }
        let configuration: MoldUDP64FeedConfiguration
        do {
            configuration = try MoldUDP64FeedConfiguration(url: text)
        } catch {
            throw UsageError("--feed: \(error.message)")
        }
        try checkJoin(configuration.lineA, interface: configuration.sequencing.interface)
        return .multicast(configuration)
    }
    if text.hasPrefix("krx://") {
        guard market == "krx" else { throw UsageError("--market nasdaq: a krx:// feed is the Korea Exchange's") }
        let configuration: KRXFeedConfiguration
        do {
            configuration = try KRXFeedConfiguration(url: text)
        } catch {
            throw UsageError("--feed: \(error.message)")
        }
        try checkJoin(configuration.streams[0], interface: configuration.interface)
        return .krx(configuration)
    }
    throw UsageError("--feed: expected sim, file://PATH, moldudp64://GROUP:PORT or krx://GROUP:PORT[,GROUP:PORT...], got '\(text)'")
}

/// Joins `group` once and leaves, so a wrong interface (or a host that cannot join) fails at start-up
/// (a `RuntimeFailure`, exit 1) rather than as a feed thread that dies later.
private func checkJoin(_ group: SocketAddress, interface: String) throws(RuntimeFailure) {
    do {
        try UDPSocket.multicastReceiver(group: group, interface: interface, receiveBuffer: 65_536).close()
    } catch {
        throw RuntimeFailure("--feed: cannot join \(group) on \(interface): \(error)")
    }
}

/// What the feed thread leaves behind for the summary: Nasdaq's books are the caller's engine; the
/// Korea Exchange adapter's state is handed back.
enum FeedOutcome {
    /// The books are in the engine the caller passed.
    case nasdaq
    /// The KRX market state and the adapter's counters at the end.
    case krx(KRXMarketState, KRXReceiverTally)
}

/// The feed thread's work (qc-feed): `source`'s bytes through the exchange's adapter (Nasdaq ITCH into
/// `engine`'s books, or the Korea Exchange's) and into the ring, paced and limited by `loop`, until
/// `stop` is raised or the source ends (the ring is then closed). Throws when the source cannot be
/// opened or read; the caller closes the ring.
@discardableResult
func runFeed(_ source: FeedSource, loop: FeedLoop, engine: BookEngine, writer: consuming RingWriter, ring: BroadcastRing,
             stop: StopFlag, counters: FeedCounters, onEvent: @escaping @Sendable (FeedEvent) -> Void) throws -> FeedOutcome {
    switch source {
    case .simulator(let configuration):
        var exchange = SimulatedExchange(configuration)
        var adapter = NasdaqITCHAdapter(engine: engine, input: .orderedMessages, onEvent: onEvent)
        loop.run(messages: &exchange, adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
    case .krxSimulator(let options):
        var exchange = SimulatedKoreaExchange(options)
        var adapter = KRXAdapter(input: .datagrams, onEvent: onEvent)
        FeedLoop(rate: options.pacing.feedRate, messageLimit: loop.messageLimit, demand: loop.demand)
            .run(datagrams: &exchange, adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
        return .krx(adapter.market, adapter.statistics)
    case .file(let capture):
        switch capture.format {
        case .dayFile:
            var messages = DayFileReader(capture.file).makeIterator()
            var adapter = NasdaqITCHAdapter(engine: engine, input: .orderedMessages, onEvent: onEvent)
            loop.run(messages: &messages, adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
            // The ticks of the messages before the garbage were published; the caller reports the rest.
            if let garbage = messages.end?.garbage(in: capture.file.path) { throw garbage }
        case .pcap:
            var adapter = NasdaqITCHAdapter(engine: engine, input: .capture, onEvent: onEvent)
            loop.run(capture: try PcapReader(capture.file), adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
        case .krxCapture:
            var adapter = KRXAdapter(input: .datagrams, onEvent: onEvent)
            loop.run(capture: try PcapReader(capture.file), adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
            return .krx(adapter.market, adapter.statistics)
        }
    case .multicast(let configuration):
        let input = try configuration.openInput()
        defer { input.close() }
        var adapter = NasdaqITCHAdapter(engine: engine, input: .lines(configuration, input), onEvent: onEvent)
        try loop.run(input: input, adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
    case .krx(let configuration):
        let input = try configuration.openInput()
        defer { input.close() }
        var adapter = KRXAdapter(input: .streams(configuration, input), onEvent: onEvent)
        try loop.run(input: input, adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
        return .krx(adapter.market, adapter.statistics)
    }
    return .nasdaq
}

/// Logs what the exchange input notices, one `key=value` line per event.
func feedEventLogger(_ log: Log) -> @Sendable (FeedEvent) -> Void {
    let session = sessionEventLogger(log, prefix: "feed")
    return { event in
        switch event {
        case .joined(let line, let group, let bytes, let requested):
            log(.info, "feed_joined", ["line": line, "group": group, "rcvbuf_bytes": bytes])
            if bytes < 2 * requested {
                // The kernel reports twice the usable size; less than asked means rmem_max capped it.
                log(.warn, "feed_rcvbuf_capped", ["line": line, "requested": requested, "granted": bytes / 2,
                                                 "hint": "run as root, or: sysctl -w net.core.rmem_max=\(requested)"])
            }
        case .session(let event):
            session(event)
        case .stale(let from, let instruments):
            log(.error, "feed_stale", ["gap_from": from, "instruments": instruments])
        case .unstale(let instruments):
            log(.warn, "feed_unstale", ["instruments": instruments])
        case .instrumentGap(let symbol, let from, let to):
            log(.warn, "feed_instrument_gap", ["symbol": symbol, "from": from, "to": to, "records": to - from + 1])
        }
    }
}

/// Logs what the sequencing of a MoldUDP64 session notices (the exchange's, `feed_*`; a gateway
/// node's channels, `upstream_*`), one `key=value` line per event.
func sessionEventLogger(_ log: Log, prefix: String) -> @Sendable (SessionEvent) -> Void {
    { event in
        switch event {
        case .sessionStarted(let session, let sequence, let late):
            log(late ? .warn : .info, "\(prefix)_session_started", ["session": session, "sequence": sequence, "late_join": late])
        case .sessionChanged(let from, let to, let sequence):
            log(.warn, "\(prefix)_session_changed", ["from": from, "to": to, "sequence": sequence])
        case .gap(let from, let to):
            log(.warn, "\(prefix)_gap", ["from": from, "to": to, "messages": to - from])
        case .recovered(let from, let to, let requests):
            log(.info, "\(prefix)_gap_recovered", ["from": from, "to": to, "requests": requests])
        case .endOfSession(let session, let next):
            log(.info, "\(prefix)_end_of_session", ["session": session, "next_sequence": next])
        case .silent(let line, let seconds):
            log(.warn, "\(prefix)_silent", ["line": line?.name ?? "feed", "seconds": String(format: "%.1f", seconds)])
        case .resumed(let line):
            log(.info, "\(prefix)_resumed", ["line": line?.name ?? "feed"])
        }
    }
}

/// `serve --summary FILE`: the final books in `quotecast book`'s summary layout (the same per-symbol
/// table, so the two can be diffed), then the feed's receive counters.
func writeFeedSummary(_ outcome: FeedOutcome, engine: BookEngine, counters: FeedCounters, to path: String) throws {
    if case .krx(let market, let tally) = outcome {
        let text = krxBookSummary(market, tally: tally, filter: nil) + krxFeedLine(tally, counters: counters)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return
    }
    var text = bookSummary(engine, filter: nil, capture: CaptureStatistics(), sequencer: PacketSequencer(), kind: .dayFile)
    let t = counters.receiver
    let malformed = t.malformedShort + t.malformedFraming + t.malformedSession + t.malformedOversize
    let fields: [(String, Any)] = [
        ("state", counters.health.name), ("messages", counters.messages), ("ticks", counters.ticks),
        ("datagrams_a", t.datagrams[0]), ("datagrams_b", t.datagrams[1]), ("datagrams_retransmit", t.datagrams[2]),
        ("duplicate_packets", t.duplicatePackets), ("line_fills", t.lineFills), ("gaps", t.gaps),
        ("gap_messages", t.gapMessages), ("requests", t.requests), ("retries", t.requestRetries),
        ("recoveries", t.gapsRecovered), ("recovered_messages", t.recoveredMessages),
        ("unrecovered_gaps", t.unrecoveredGaps), ("stale_instruments", counters.staleInstruments), ("malformed", malformed),
        ("buffer_overflows", t.bufferOverflows), ("ends_of_session", t.endsOfSession), ("next_sequence", t.nextSequence),
    ]
    text += "feed: " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ") + "\n"
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

import Fanout
import Feed
import Foundation
import ITCH
import Market
import MoldUDP64
import OrderBook
import PacketCapture
import Simulator
import Sockets
import System

/// Where `serve` and `feed` take the exchange's messages from (`--feed`), parsed and checked once.
enum FeedSource: Sendable {
    /// The built-in exchange simulator.
    case simulator(SimulatorConfiguration)
    /// A day-file or pcap on disk, applied once from start to end (pcap packets deduplicated by
    /// (session, sequence) as `book` does).
    case file(path: String)
    /// MoldUDP64 over UDP multicast, lines A and B, with gap recovery (`--feed moldudp64://...`).
    case multicast(MoldUDP64FeedConfiguration)
}

/// Parses `--feed`: `sim`, `file://PATH` or `moldudp64://GROUP:PORT[?...]` (docs/feed-input.md).
func feedSource(_ text: String, _ args: Arguments) throws(UsageError) -> FeedSource {
    if text == "sim" { return .simulator(try simulatorConfiguration(args)) }
    if text.hasPrefix("file://") {
        let path = String(text.dropFirst("file://".count))
        guard FileManager.default.isReadableFile(atPath: path) else { throw UsageError("--feed: cannot read \(path)") }
        return .file(path: path)
    }
    if text.hasPrefix("moldudp64://") {
        let configuration: MoldUDP64FeedConfiguration
        do {
            configuration = try MoldUDP64FeedConfiguration(url: text)
        } catch {
            throw UsageError("--feed: \(error.message)")
        }
        // Join line A once now, so a wrong interface (or a host that cannot join) is a usage error at
        // start-up rather than a feed thread that dies later.
        do {
            try UDPSocket.multicastReceiver(group: configuration.lineA, interface: configuration.sequencing.interface,
                                            receiveBuffer: 65_536).close()
        } catch {
            throw UsageError("--feed: cannot join \(configuration.lineA) on \(configuration.sequencing.interface): \(error)")
        }
        return .multicast(configuration)
    }
    throw UsageError("--feed: expected sim, file://PATH or moldudp64://GROUP:PORT, got '\(text)'")
}

/// The feed thread's work (qc-feed): `source`'s bytes through the Nasdaq ITCH adapter into `engine`'s
/// books and the ring, paced and limited by `loop`, until `stop` is raised or the source ends (the
/// ring is then closed). Throws when the source cannot be opened or read; the caller closes the ring.
func runFeed(_ source: FeedSource, loop: FeedLoop, engine: BookEngine, writer: consuming RingWriter, ring: BroadcastRing,
             stop: StopFlag, counters: FeedCounters, onEvent: @escaping @Sendable (FeedEvent) -> Void) throws {
    switch source {
    case .simulator(let configuration):
        var exchange = SimulatedExchange(configuration)
        var adapter = NasdaqITCHAdapter(engine: engine, input: .orderedMessages, onEvent: onEvent)
        loop.run(messages: &exchange, adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
    case .file(let path):
        let capture = try CaptureFile(path: path)
        switch capture.kind {
        case .dayFile:
            var messages = DayFileReader(capture.file).makeIterator()
            var adapter = NasdaqITCHAdapter(engine: engine, input: .orderedMessages, onEvent: onEvent)
            loop.run(messages: &messages, adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
        case .pcap:
            var adapter = NasdaqITCHAdapter(engine: engine, input: .capture, onEvent: onEvent)
            loop.run(capture: try PcapReader(capture.file), adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
        }
    case .multicast(let configuration):
        let input = try configuration.openInput()
        defer { input.close() }
        var adapter = NasdaqITCHAdapter(engine: engine, input: .lines(configuration, input), onEvent: onEvent)
        try loop.run(input: input, adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
    }
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
func writeFeedSummary(_ engine: BookEngine, counters: FeedCounters, to path: String) throws {
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

import Feed
import Foundation
import ITCH
import Market
import MoldUDP64
import OrderBook
import PacketCapture
import System

let bookCommand = Command(
    name: "book",
    summary: "offline: run the feed handler over a day-file or pcap, print ticks or final books",
    usage: """
        usage: quotecast book FILE [--format summary|jsonl] [--symbols A,B,...] [--depth N] [--messages N]
                              [--progress|--quiet] [--reference-prices FILE]

        Runs the feed handler over FILE, an ITCH 5.0 day-file (2-byte big-endian length before each
        message), a pcap/pcapng of MoldUDP64 over UDP (Ethernet, 802.1Q VLAN tags allowed), or a
        pcap/pcapng of KOSCOM's Korea Exchange records (docs/krx.md). The format is recognised from
        the content: the file's first bytes, and for a capture its first UDP payload (a KOSCOM TR
        code with the end keyword where its length puts it; MoldUDP64 otherwise). `-` reads
        standard input.

          --format summary   (default) per-symbol final books (best bid/ask with sizes, last, volume,
                             messages) and decode statistics; for KOSCOM records per instrument the
                             best bid/ask, last, open/high/low, volume, value, change and its sign,
                             status and Korean name, then records by kind, refusals by reason, gaps
          --format jsonl     every tick as one JSON line, in the WebSocket API's message shapes
          --symbols LIST     only these symbols (comma-separated)
          --depth N          levels per side in jsonl quotes, 1..10 (default 10); a quote is printed
                             only when its top N changed
          --messages N       stop after applying the first N messages (N >= 1): the books, ticks and
                             statistics as they stand at that point (for comparing with another book
                             builder mid-file); the summary's input line says where it stopped
          --progress         a progress line on stderr every second (default for files over 64 MB)
          --quiet            no progress line
        \(ReferencePricesFlag.usage)

        Packets of a pcap are applied in capture order; a packet whose (session, sequence) was already
        applied is dropped (a capture may hold both lines), sequence 0 is applied as is, and gaps are
        counted and reported.

        Anything else (a text file, random bytes, an empty file) is refused with one line naming what
        was expected and the first bytes found, exit status 1. A day-file's every frame must be an
        ITCH 5.0 message of a known type at exactly that type's length: one that is not (a zero length,
        an unknown type, a length that is not its type's) means the file turns to garbage there. The
        output then holds what was applied before it (the summary says where it stopped), stderr names
        the byte offset and the message number, and the exit status is 1.

        """,
    run: runBook)

/// Applies a capture to a book engine and reports. Everything here is off the hot path but the loop.
func runBook(_ argv: [String]) throws -> Int32 {
    let args = try Arguments(argv, valueFlags: ["format", "symbols", "depth", "messages", ReferencePricesFlag.name],
                             switchFlags: ["progress", "quiet"])
    guard args.positionals.count == 1 else {
        throw UsageError(args.positionals.isEmpty ? "missing FILE" : "expected one FILE, got \(args.positionals.count)")
    }
    let format = try args.choice("format", ["summary", "jsonl"], default: "summary")
    let depth = try args.int("depth", default: 10, in: 1...10)
    // Messages to apply at most; a UInt64 like the count it is compared with.
    var limit = UInt64.max
    if let text = args.string("messages") {
        guard let n = UInt64(text.replacingOccurrences(of: "_", with: "")), n >= 1 else {
            throw UsageError("--messages: expected a number of messages, 1 or more, got '\(text)'")
        }
        limit = n
    }
    var filter: Set<Symbol>?
    if let list = args.string("symbols") {
        var set = Set<Symbol>()
        for name in list.split(separator: ",") {
            guard let s = Symbol(name) else { throw UsageError("--symbols: '\(name)' is not a symbol") }
            set.insert(s)
        }
        guard !set.isEmpty else { throw UsageError("--symbols: empty list") }
        filter = set
    }
    let bookConfiguration = try ReferencePricesFlag.bookConfiguration(args)
    let path = args.positionals[0]
    let capture = try CaptureFile(path: path)
    let showProgress = args.flag("progress") || (!args.flag("quiet") && capture.file.bytes.count > 64 << 20)
    if case .krxCapture = capture.format {
        return try KRXBookReport.run(capture.file, format: format, filter: filter, depth: depth,
                                     progress: ProgressLine(enabled: showProgress, total: capture.file.bytes.count))
    }

    let engine = BookEngine(configuration: bookConfiguration)
    let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
    let line = UnsafeMutablePointer<UInt8>.allocate(capacity: TickJSON.maxLength + 1)
    defer {
        out.deallocate()
        line.deallocate()
    }
    let stdout = BufferedFileOutput(fd: 1, path: "<stdout>")
    let jsonl = format == "jsonl"
    var sequencer = PacketSequencer()
    var applied: UInt64 = 0
    let progress = ProgressLine(enabled: showProgress, total: capture.file.bytes.count)

    func emit(_ n: Int) throws {
        for i in 0..<n {
            let tick = out[i]
            if let filter, !filter.contains(tick.symbol) { continue }
            if tick.kind == .quote, Int(tick.changedLevel) >= depth { continue }
            let len = TickJSON.encode(tick, depth: depth, into: line)
            line[len] = 0x0A
            try stdout.write(UnsafeRawBufferPointer(start: line, count: len + 1))
        }
    }

    var captureStats: CaptureStatistics
    switch capture.kind {
    case .dayFile:
        // The pipeline fetches ahead (order slots; books and ladders too with many instruments).
        // A day-file records no receive time: 0.
        var pipeline = ApplyPipeline(engine: engine, messages: DayFileReader(capture.file).makeIterator())
        let start = UnsafeRawPointer(capture.file.bytes.baseAddress)
        while applied < limit, let (m, n) = pipeline.applyNext(receiveTime: 0, into: out) {
            applied &+= 1
            if jsonl && n > 0 { try emit(n) }
            if applied & 0xFFFF == 0, let start { progress.update(messages: applied, position: m.base - start) }
        }
        captureStats = CaptureStatistics()
        captureStats.messages = Int(applied)
        captureStats.dayFileEnd = pipeline.source.end
    case .pcap:
        captureStats = try capture.forEachPacket { p in
            // With --messages, the packet holding message N is the last one sequenced.
            guard applied < limit else { return }
            let packet = p.packet
            try sequencer.forEachNewMessage(in: packet) { message in
                guard applied < limit else { return }
                let n = engine.apply(message.base, length: message.length, receiveTime: p.datagram.timestamp, into: out)
                applied &+= 1
                if jsonl && n > 0 { try emit(n) }
            }
            if applied & 0xFFF == 0 { progress.update(messages: applied, position: packet.base - UnsafeRawPointer(capture.file.bytes.baseAddress!)) }
        }
        captureStats.messages = Int(applied)
    }
    progress.finish(messages: applied)
    if !jsonl {
        try stdout.write(Array(bookSummary(engine, filter: filter, capture: captureStats, sequencer: sequencer,
                                           kind: capture.kind, stoppedAfter: applied == limit ? limit : nil).utf8))
    }
    try stdout.flush()
    // What was applied before the garbage is printed above; the exit status says the file is bad.
    if let garbage = captureStats.dayFileEnd?.garbage(in: path) { throw garbage }
    return 0
}

/// The `--format summary` report: one row per instrument, then what was decoded and refused.
/// `stoppedAfter` is the `--messages` limit when the run stopped there.
func bookSummary(_ engine: BookEngine, filter: Set<Symbol>?, capture: CaptureStatistics, sequencer: PacketSequencer,
                 kind: CaptureFile.Kind, stoppedAfter: UInt64? = nil) -> String {
    func level(_ l: PriceLevel?, bidFirst: Bool) -> String {
        guard let l else { return "-" }
        return bidFirst ? "\(l.size) x \(Price.text(UInt64(l.price)))" : "\(Price.text(UInt64(l.price))) x \(l.size)"
    }
    func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
        s.count >= n ? s : (right ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count))
    }
    var lines: [String] = []
    lines.append([pad("symbol", 8), pad("locate", 6, right: true), pad("bid", 22, right: true), pad("ask", 22),
                  pad("last", 12, right: true), pad("volume", 12, right: true), pad("messages", 10, right: true),
                  "status"].joined(separator: " "))
    let summaries = engine.locates.compactMap { engine.summary(locate: $0) }
        .filter { filter == nil || filter!.contains($0.symbol) }
        .sorted { $0.symbol < $1.symbol }
    for s in summaries {
        lines.append([pad(s.symbol.description, 8), pad(String(s.locate), 6, right: true),
                      pad(level(s.bestBid, bidFirst: true), 22, right: true), pad(level(s.bestAsk, bidFirst: false), 22),
                      pad(s.last.map { Price.text(UInt64($0.price)) } ?? "-", 12, right: true),
                      pad(String(s.volume), 12, right: true), pad(String(s.messages), 10, right: true),
                      s.status.name].joined(separator: " "))
    }
    let st = engine.statistics
    lines.append("")
    let session = st.systemEvent == 0 ? "none" : String(UnicodeScalar(st.systemEvent))
    lines.append("instruments \(summaries.count)  resting orders \(engine.restingOrders)  last system event \(session)")
    var byType: [String] = []
    for t in 0..<256 where st.byType[t] > 0 { byType.append("\(Character(UnicodeScalar(UInt8(t))))=\(st.byType[t])") }
    lines.append("messages \(st.messages)  decoded \(st.decoded)  by type: \(byType.joined(separator: " "))")
    lines.append("refused: unknown_type=\(st.unknownType) bad_length=\(st.badLength) empty=\(st.empty) "
                 + "unknown_reference=\(st.unknownReference) duplicate_reference=\(st.duplicateReference) "
                 + "unknown_locate=\(st.unknownLocate) zero_reference=\(st.zeroReference) zero_shares=\(st.zeroShares) over_execution=\(st.overExecution) "
                 + "order_table_full=\(st.orderTableFull) reference_out_of_range=\(st.referenceOutOfRange) "
                 + "level_missing=\(st.levelMissing)")
    lines.append("ticks: quotes=\(st.quotes) trades=\(st.trades) status=\(st.statusChanges) trade_breaks=\(st.tradeBreaks) "
                 + "quiet_book_changes=\(st.quietBookChanges) non_printable=\(st.nonPrintable)")
    switch kind {
    case .dayFile:
        if let stoppedAfter {
            lines.append("input: day-file, stopped after \(stoppedAfter) messages (--messages)")
            break
        }
        switch capture.dayFileEnd {
        case .truncated(let offset, _, let available)?:
            lines.append("input: day-file, final message truncated at byte \(offset) (\(available) bytes left over)")
        case .garbage(let offset, let index, let reason)?:
            lines.append("input: day-file, GARBAGE at byte \(offset) (message \(index)): \(reason); "
                         + "stopped there: the books above hold the \(index - 1) messages before it")
        case .complete?, nil:
            lines.append("input: day-file, complete")
        }
    case .pcap(let f):
        lines.append("input: \(f) packets=\(capture.packets) heartbeats=\(capture.heartbeats) "
                     + "end_of_session=\(capture.endsOfSession) truncated_packets=\(capture.truncatedPackets) "
                     + "count_mismatches=\(capture.countMismatches) short_datagrams=\(capture.shortDatagrams) "
                     + "non_udp=\(capture.pcap.nonUDP) fragments=\(capture.pcap.fragments) bad_records=\(capture.pcap.badRecords)"
                     + (stoppedAfter.map { " stopped_after=\($0) (--messages)" } ?? ""))
        lines.append("sequencing: sessions=\(sequencer.sessions) duplicate_packets=\(sequencer.duplicatePackets) "
                     + "duplicate_messages=\(sequencer.duplicateMessages) gaps=\(sequencer.gaps) "
                     + "gap_messages=\(sequencer.gapMessages) unsequenced_packets=\(sequencer.unsequencedPackets)")
    }
    return lines.joined(separator: "\n") + "\n"
}

/// A progress line on stderr, at most once a second: messages, share of the file, rate.
final class ProgressLine {
    private let enabled: Bool
    private let total: Int
    private let start = Clock.monotonic()
    private var last: UInt64 = 0

    init(enabled: Bool, total: Int) {
        self.enabled = enabled
        self.total = max(total, 1)
    }

    func update(messages: UInt64, position: Int) {
        guard enabled else { return }
        let now = Clock.monotonic()
        guard now - last >= 1_000_000_000 else { return }
        last = now
        let seconds = Double(now - start) / 1e9
        let line = String(format: "book: %.1fM messages, %.0f%% of the file, %.1fM msgs/s",
                          Double(messages) / 1e6, 100 * Double(position) / Double(total), Double(messages) / 1e6 / seconds)
        printError(line)
    }

    func finish(messages: UInt64) {
        guard enabled else { return }
        let seconds = Double(Clock.monotonic() - start) / 1e9
        printError(String(format: "book: done, %.1fM messages in %.1f s (%.1fM msgs/s)",
                          Double(messages) / 1e6, seconds, Double(messages) / 1e6 / max(seconds, 1e-9)))
    }
}

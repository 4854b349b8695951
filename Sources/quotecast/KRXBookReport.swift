import Fanout
import Feed
import Foundation
import KRX
import KRXBook
import Market
import PacketCapture
import System

/// `quotecast book` over a capture of KOSCOM records: the datagrams through the KRX adapter (as
/// `serve --feed file://` reads them), every tick as a JSON line or the final state per instrument.
enum KRXBookReport {
    /// Runs the capture in `file` through the adapter; prints what `format` asks for.
    static func run(_ file: MappedFile, format: String, filter: Set<Symbol>?, depth: Int, progress: ProgressLine) throws -> Int32 {
        let reader = try PcapReader(file)
        // The adapter writes into a ring; this thread is also its one reader, draining it after every
        // datagram (a datagram makes a few dozen ticks at most, far below the capacity).
        let ring = try BroadcastRing(RingConfiguration(capacity: 4_096, readers: [.gating]))
        var ticks = TickSink(writer: ring.makeWriter(), messageLimit: nil)
        var ringReader = ring.makeReader(0)
        var adapter = KRXAdapter(input: .datagrams)
        let counters = FeedCounters()
        let stdout = BufferedFileOutput(fd: 1, path: "<stdout>")
        let line = UnsafeMutablePointer<UInt8>.allocate(capacity: TickJSON.maxLength + 1)
        defer { line.deallocate() }
        let jsonl = format == "jsonl"
        var tick = Tick()
        var datagrams = reader.makeIterator()
        var count: UInt64 = 0
        let start = UnsafeRawPointer(file.bytes.baseAddress!)
        while let datagram = datagrams.next() {
            adapter.receive(datagram.payload, stream: 0, now: 0, receiveTime: datagram.timestamp, into: &ticks)
            ticks.publish(to: counters)
            while case .tick = ringReader.poll(into: &tick) {
                guard jsonl else { continue }
                if let filter, !filter.contains(tick.symbol) { continue }
                if tick.kind == .quote, Int(tick.changedLevel) >= depth { continue }
                let n = TickJSON.encode(tick, depth: depth, decimals: 0, into: line)
                line[n] = 0x0A
                try stdout.write(UnsafeRawBufferPointer(start: line, count: n + 1))
            }
            count += 1
            if count & 0xFFF == 0, let base = datagram.payload.baseAddress {
                progress.update(messages: UInt64(ticks.messages), position: base - start)
            }
        }
        progress.finish(messages: UInt64(ticks.messages))
        if !jsonl {
            let tally = adapter.statistics
            let capture = "input: \(reader.format) of KOSCOM records, datagrams=\(datagrams.statistics.datagrams) "
                + "non_udp=\(datagrams.statistics.nonUDP) fragments=\(datagrams.statistics.fragments) "
                + "bad_records=\(datagrams.statistics.badRecords)\n"
            try stdout.write(Array((krxBookSummary(adapter.market, tally: tally, filter: filter) + capture).utf8))
        }
        try stdout.flush()
        return 0
    }
}

/// The `--format summary` report of a KRX capture (and `serve --summary` of a KRX feed): one row per
/// instrument (best bid and ask, last, open/high/low, cumulative volume and value, change and its
/// sign, status), then what was decoded, refused and lost.
func krxBookSummary(_ market: KRXMarketState, tally: KRXReceiverTally, filter: Set<Symbol>?) -> String {
    func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
        s.count >= n ? s : (right ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count))
    }
    func number(_ v: Int64?) -> String { v.map(String.init) ?? "-" }
    func level(_ l: KRXBookLevel, bidFirst: Bool) -> String {
        guard l.price > 0 else { return "-" }
        return bidFirst ? "\(l.quantity) x \(l.price)" : "\(l.price) x \(l.quantity)"
    }
    let signs: [KRXChangeSign: String] = [.upperLimit: "상한", .up: "상승", .unchanged: "보합", .lowerLimit: "하한", .down: "하락",
                                          .notApplicable: "-"]
    var lines = [[pad("symbol", 7), pad("isin", 12), pad("bid", 18, right: true), pad("ask", 18), pad("last", 8, right: true),
                  pad("open", 8, right: true), pad("high", 8, right: true), pad("low", 8, right: true),
                  pad("volume", 11, right: true), pad("value", 15, right: true), pad("change", 8, right: true), "sign",
                  pad("status", 9), "name"].joined(separator: " ")]
    let rows = market.instruments.indices
        .filter { filter == nil || filter!.contains(market.instruments[$0].symbol) }
        .sorted { market.instruments[$0].isin.description < market.instruments[$1].isin.description }
    for i in rows {
        let s = market.instruments[i]
        let change = s.change.map { (s.changeSign == .down || s.changeSign == .lowerLimit ? "-" : "+") + String($0) } ?? "-"
        lines.append([pad(s.symbol.description, 7), pad(s.isin.description, 12), pad(level(s.bids[0], bidFirst: true), 18, right: true),
                      pad(level(s.asks[0], bidFirst: false), 18), pad(number(s.last), 8, right: true),
                      pad(number(s.open), 8, right: true), pad(number(s.high), 8, right: true), pad(number(s.low), 8, right: true),
                      pad(String(s.cumulativeVolume), 11, right: true), pad(s.cumulativeValue.map { String($0.wholePart) } ?? "-", 15, right: true),
                      pad(change, 8, right: true), pad(s.changeSign.flatMap { signs[$0] } ?? "-", 4),
                      pad(KRXAdapter.status(of: s).name, 9), market.names[i].korean ?? "-"].joined(separator: " "))
    }
    let d = tally.decode
    let byCode = KRXRecordKind.allCases.map { "\($0.name)=\(d.accepted($0))" }.joined(separator: " ")
    let refused = KRXRecordError.allCases.map { "\($0.label)=\(d.refused($0))" }.joined(separator: " ")
    lines.append("")
    lines.append("instruments \(rows.count)  records \(d.acceptedTotal)  by kind: \(byCode) end_of_batch=\(d.endOfBatch)")
    lines.append("refused: \(refused) skipped_bytes=\(d.skippedBytes)")
    lines.append("state: other_board=\(tally.state.otherBoard) invalid_isin=\(tally.state.invalidISIN) "
                 + "instruments_full=\(tally.state.directoryFull) completed_batches=\(tally.state.completedBatches)")
    lines.append("sequencing: gaps=\(tally.gaps) missing_records=\(tally.missingRecords) duplicate_records=\(tally.duplicateRecords) "
                 + "untracked_records=\(tally.untrackedRecords) stale_instruments=\(tally.staleInstruments) heals=\(tally.heals)")
    return lines.joined(separator: "\n") + "\n"
}

/// `serve --summary`'s `feed:` line for a KRX feed.
func krxFeedLine(_ tally: KRXReceiverTally, counters: FeedCounters) -> String {
    let datagrams = (0..<tally.datagrams.count).reduce(0) { $0 + tally.datagrams[$1] }
    let fields: [(String, Any)] = [
        ("state", counters.health.name), ("messages", counters.messages), ("ticks", counters.ticks), ("datagrams", datagrams),
        ("oversize", tally.oversize), ("refused", tally.decode.refusedTotal), ("gaps", tally.gaps),
        ("missing_records", tally.missingRecords), ("duplicate_records", tally.duplicateRecords),
        ("stale_instruments", tally.staleInstruments), ("heals", tally.heals),
    ]
    return "feed: " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ") + "\n"
}

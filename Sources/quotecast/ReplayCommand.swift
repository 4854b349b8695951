import Feed
import Foundation
import ITCH
import Market
import MoldUDP64
import Sockets
import System

let replayCommand = Command(
    name: "replay",
    summary: "replay a day-file or pcap onto multicast (recorded pace, --speed N or --max)",
    usage: """
        usage: quotecast replay FILE [--speed N | --max] [--line-a GROUP:PORT] [--line-b GROUP:PORT]
                                [--interface ADDR] [--ttl N] [--retransmit HOST:PORT] [fault injection flags]

        Puts a capture back on the wire. A day-file (ITCH 5.0, 2-byte length prefixes) goes out as new
        MoldUDP64 packets (session --session, default REPLAY, numbered from 1, up to --payload-size bytes),
        paced by the messages' ITCH timestamps. A pcap/pcapng of MoldUDP64 over UDP goes out as the
        original UDP payloads (sessions and sequence numbers as captured), paced by the capture times;
        every payload goes to line A (and B), so a capture holding both lines sends each packet twice
        per line, which a receiver drops as duplicates. The end of session closes a day-file replay (a
        pcap carries its own). A progress line goes to stderr every second. A file that is none of
        these is refused (exit status 1); a day-file that turns to garbage part-way is sent up to the
        garbage, its session ended, and the status is 1 with where it stopped.

          --speed N         N times the recorded pace (default 1)
          --max             as fast as the socket takes
          --log-level LEVEL debug|info|warn|error (default info)
        \(WireOptions.usage)
        """,
    run: runReplay)

func runReplay(_ argv: [String]) throws -> Int32 {
    let args = try Arguments(argv, valueFlags: Set(["speed", "log-level"]).union(WireOptions.valueFlags), switchFlags: ["max"])
    guard args.positionals.count == 1 else {
        throw UsageError(args.positionals.isEmpty ? "missing FILE" : "expected one FILE, got \(args.positionals.count)")
    }
    let log = Log(minimum: LogLevel(name: try args.choice("log-level", ["debug", "info", "warn", "error"], default: "info"))!)
    let speed = Double(try args.int("speed", default: 1, in: 1...1_000_000))
    if args.flag("max") && args.string("speed") != nil { throw UsageError("--speed: give either --speed or --max") }
    let unpaced = args.flag("max")
    let path = args.positionals[0]
    let capture = try CaptureFile(path: path)
    var sessionName = "REPLAY"
    if case .pcap = capture.kind {
        // The retransmission window answers for the capture's own session: the first packet's.
        struct Found: Error { let session: MoldUDP64Session }
        do { _ = try capture.forEachPacket { throw Found(session: $0.packet.session) } } catch let f as Found {
            sessionName = f.session.description
        }
    }
    var options = try WireOptions(args, defaultSession: sessionName, seed: 1)
    if case .pcap = capture.kind, args.string("session") != nil {
        throw UsageError("--session: a pcap is replayed with its own sessions")
    }
    if case .pcap = capture.kind { options.session = MoldUDP64Session(sessionName) ?? options.session }
    let wire = try ExchangeWire(options, log: log)
    installStopHandlers()
    log(.info, "replay_started", ["file": path, "line_a": options.lineA, "line_b": options.lineB.map { "\($0)" } ?? "off",
                                  "pace": unpaced ? "max" : "x\(Int(speed))",
                                  "retransmit": wire.server.map { "\($0.address)" } ?? "off"])
    var progress = SendProgress(label: "replay", total: nil)
    let start = Clock.monotonic()
    var firstTime: UInt64?
    var sent = 0
    struct Stop: Error {}

    /// Waits until `time` (recorded, ns) is due at the chosen pace; sends what is pending first.
    func pace(_ time: UInt64, flush: () throws -> Void) throws {
        guard !unpaced else { return }
        guard let first = firstTime else { firstTime = time; return }
        let due = start + UInt64(Double(time &- first) / speed)
        var now = Clock.monotonic()
        // What is due within one batch interval goes now, with the batch; a later message waits for
        // its own time (an absolute deadline, at most 100 ms at a time so a stop is not held up).
        if due > now + Pacer.defaultBatchInterval { try flush() }
        while due > now + Pacer.defaultBatchInterval && !sendingStop.isRaised {
            DeadlineSleeper.sleep(until: min(due, now + 100_000_000))
            now = Clock.monotonic()
        }
    }

    var dayFileEnd: DayFileEnd?
    do {
        switch capture.kind {
        case .dayFile:
            dayFileEnd = try capture.forEachMessage { m in
                if sendingStop.isRaised { throw Stop() }
                let bytes = UnsafeRawBufferPointer(start: m.message.base, count: m.message.length)
                if m.message.length >= 11 {
                    try pace(WireBytes(m.message.base).u48(CommonLayout.timestamp)) { try wire.flush() }
                }
                try wire.publisher.append(bytes)
                sent += 1
                if sent & 0x3FFF == 0 { progress.update(sent) }
            }.dayFileEnd
            try wire.flush()
        case .pcap:
            _ = try capture.forEachPacket { p in
                if sendingStop.isRaised { throw Stop() }
                try pace(p.datagram.timestamp) {}
                try wire.sendRaw(UnsafeRawBufferPointer(start: p.packet.base, count: p.packet.length))
                sent += p.packet.announcedBlocks
                if wire.rawDatagrams & 0x3FF == 0 { progress.update(sent) }
            }
        }
    } catch is Stop {
        // SIGINT/SIGTERM: end the session cleanly below.
    }
    progress.update(sent, force: true)
    if case .dayFile = capture.kind {
        log(.info, "end_of_session", ["session": options.session, "next_sequence": wire.publisher.nextSequenceNumber])
        try wire.finish()
    } else {
        try wire.flush()
        try wire.finishWithoutEndOfSession()
    }
    log(.info, "replay_stopped", wire.report())
    // The messages before the garbage went out and the session was ended cleanly; the status says
    // the file is bad.
    if let garbage = dayFileEnd?.garbage(in: path) { throw garbage }
    return 0
}

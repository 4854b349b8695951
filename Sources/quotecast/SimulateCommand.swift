import Feed
import Foundation
import ITCH
import Market
import MoldUDP64
import PacketCapture
import Simulator
import Sockets
import System

let simulateCommand = Command(
    name: "simulate",
    summary: "the exchange: a deterministic ITCH 5.0 stream on multicast (MoldUDP64, lines A/B, retransmission), or KOSCOM's with --market krx",
    usage: """
        usage: quotecast simulate [--market nasdaq|krx] [--messages N] [--symbols N|A,B,...] [--seed N] [--rate R] [--max] [--bursty]
                                  [--line-a GROUP:PORT] [--line-b GROUP:PORT] [--interface ADDR] [--ttl N]
                                  [--retransmit HOST:PORT] [--payload-size BYTES] [fault injection flags]
               quotecast simulate --output FILE --messages N [--symbols ...] [--seed N] [--rate R] [--bursty]
                                  [--output-format dayfile|pcap] [--line-a GROUP:PORT] [--line-b GROUP:PORT]
                                  [--vlan ID] [--payload-size BYTES]
               quotecast simulate --market krx [--output FILE] [--symbols N] [--seed N] [--rate N|--bursty|--time-compression X]
                                  [--kospi LIST] [--kosdaq LIST] [--interface ADDR] [--ttl N] [--payload-size BYTES]
                                  [--drop R] [--duplicate R] [--reorder R] [--malformed R] [--faults-until HH:MM]

        Generates the built-in exchange simulator's order flow: system events, a stock directory, then
        adds, cancels, executions, replaces and deletes around a random walk, with occasional halts.
        Deterministic: the same --seed, --symbols and --messages give the same bytes.

        Without --output it is the exchange on the wire: the messages go out as MoldUDP64 packets (up to
        --payload-size bytes, 1400 by default) on multicast line A and, with --line-b, line B, paced at
        --rate messages per second (or --max: as fast as the socket takes), with heartbeats when idle,
        the end of session after --messages N (without it: until SIGINT/SIGTERM, then the end of
        session), and a MoldUDP64 retransmission request server with --retransmit. With the same --seed,
        --symbols, --rate and --messages, the messages sent are exactly those --output writes.
        A progress line goes to stderr every second; a final line reports what was sent.

          --max             send as fast as the socket takes (timestamps still follow --rate)
          --bursty          (on the wire) send on the clustered timestamps: bursts like a market open
          --log-level LEVEL debug|info|warn|error (default info)
        \(WireOptions.usage)

        The day (both modes), and writing it to a file (--output):

          --output FILE     write the messages as an ITCH day-file (2-byte big-endian length prefixes)
          --messages N      how many messages in all (the start-of-day preamble and the closing system
                            events included), at least 2 x symbols + 6
          --symbols N|LIST  how many instruments (default 100), or their names, comma-separated
          --seed N          random seed (default 1)
          --rate R          messages per second, spaces the ITCH timestamps (default 10000)
          --bursty          cluster timestamps like a market open
          --output-format   dayfile (default; pcap when FILE ends in .pcap): pcap writes the messages
                            as MoldUDP64 packets (session SIM<seed>, up to --payload-size bytes, 1400
                            by default) in Ethernet/IPv4/UDP frames to --line-a (239.192.0.1:26400),
                            each packet twice when --line-b is given (A then B), 802.1Q-tagged with
                            --vlan ID; capture times are the ITCH timestamps on 2026-01-02 (UTC)

        \(KRXSimulateCommand.usage)
        """,
    run: runSimulate)

/// Parses the simulator's flags shared by `simulate` and `serve`.
func simulatorConfiguration(_ args: Arguments) throws(UsageError) -> SimulatorConfiguration {
    var configuration = SimulatorConfiguration()
    configuration.seed = UInt64(try args.int("seed", default: 1, in: 0...Int.max))
    if let text = args.string("symbols") {
        if let n = Int(text) {
            guard (1...65_000).contains(n) else { throw UsageError("--symbols: expected 1...65000 instruments, got \(n)") }
            configuration.symbols = .generated(count: n)
        } else {
            var names: [String] = []
            for part in text.split(separator: ",") {
                guard let s = Symbol(part) else { throw UsageError("--symbols: '\(part)' is not a symbol") }
                guard !names.contains(s.description) else { throw UsageError("--symbols: '\(part)' appears twice") }
                names.append(s.description)
            }
            guard !names.isEmpty else { throw UsageError("--symbols: empty list") }
            configuration.symbols = .named(names)
        }
    }
    configuration.messageRate = Double(try args.int("rate", default: 10_000, in: 1...100_000_000))
    configuration.bursty = args.flag("bursty")
    do {
        try configuration.validate()
    } catch {
        throw UsageError("\(error)")
    }
    return configuration
}

func runSimulate(_ argv: [String]) throws -> Int32 {
    let args = try Arguments(argv, valueFlags: Set(["output", "messages", "symbols", "seed", "rate", "output-format",
                                                    "vlan", "log-level", "market"]).union(WireOptions.valueFlags)
                                                    .union(KRXSimulateCommand.valueFlags),
                             switchFlags: ["bursty", "max"])
    guard args.positionals.isEmpty else { throw UsageError("unexpected argument '\(args.positionals[0])'") }
    if try args.choice("market", ["nasdaq", "krx"], default: "nasdaq") == "krx" { return try KRXSimulateCommand.run(args) }
    for flag in KRXSimulateCommand.valueFlags where args.string(flag) != nil {
        throw UsageError("--\(flag): only with --market krx")
    }
    let configuration = try simulatorConfiguration(args)
    guard let path = args.string("output") else { return try runSimulateOnWire(args, configuration) }
    guard args.string("messages") != nil else { throw UsageError("--messages N is required with --output") }
    let minimum = configuration.minimumDayMessageCount
    let messages = try args.int("messages", default: 0, in: minimum...Int.max)
    let defaultFormat = path.hasSuffix(".pcap") ? "pcap" : "dayfile"
    let format = try args.choice("output-format", ["dayfile", "pcap"], default: defaultFormat)
    var simulator = OrderFlowSimulator(configuration)
    let flow = messages - OrderFlowSimulator.endOfDayMessageCount
    let sink: MessageSink
    do {
        if format == "pcap" {
            let lineA = try endpoint(args, "line-a", default: "239.192.0.1:26400")
            let lineB = args.string("line-b") == nil ? nil : try endpoint(args, "line-b", default: "")
            let vlan = args.string("vlan") == nil ? nil : UInt16(try args.int("vlan", default: 0, in: 1...4094))
            let payload = try args.int("payload-size", default: MoldUDP64.defaultMaxPayloadSize, in: 100...65_000)
            sink = try PcapSink(path: path, session: MoldUDP64Session("SIM\(configuration.seed % 10_000_000)")!,
                                lineA: lineA, lineB: lineB, vlan: vlan, payloadSize: payload)
        } else {
            sink = try DayFileSink(writer: DayFileWriter(path: path))
        }
    } catch let error as UsageError {
        throw error
    } catch {
        printError("quotecast simulate: cannot write \(path): \(error)")
        return 1
    }
    try simulator.generate(messages: flow) { try sink.append($0) }
    try withUnsafeTemporaryAllocation(byteCount: OrderFlowSimulator.maxMessageLength, alignment: 8) { buffer in
        for _ in 0..<OrderFlowSimulator.endOfDayMessageCount {
            let n = simulator.nextEndOfDay(into: buffer.baseAddress!)
            try sink.append(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: n))
        }
    }
    try sink.close()
    printError("simulate: wrote \(messages) messages to \(path) (\(format))")
    return 0
}

/// `simulate` without `--output`: the simulator's day on multicast.
func runSimulateOnWire(_ args: Arguments, _ configuration: SimulatorConfiguration) throws -> Int32 {
    let levelName = try args.choice("log-level", ["debug", "info", "warn", "error"], default: "info")
    let log = Log(minimum: LogLevel(name: levelName)!)
    let limit = args.string("messages") == nil ? nil
        : try args.int("messages", default: 0, in: configuration.minimumDayMessageCount...Int.max)
    let options = try WireOptions(args, defaultSession: "SIM\(configuration.seed % 10_000_000)", seed: configuration.seed)
    let wire = try ExchangeWire(options, log: log)
    installStopHandlers()
    log(.info, "simulate_started", ["line_a": options.lineA, "line_b": options.lineB.map { "\($0)" } ?? "off",
                                    "interface": options.interface, "session": options.session,
                                    "retransmit": wire.server.map { "\($0.address)" } ?? "off",
                                    "rate": args.flag("max") ? "max" : "\(Int(configuration.messageRate))",
                                    "messages": limit.map { "\($0)" } ?? "unlimited"])
    var simulator = OrderFlowSimulator(configuration)
    var pacer = Pacer(rate: args.flag("max") ? 0 : Int(configuration.messageRate))
    var progress = SendProgress(label: "simulate", total: limit)
    let flow = limit.map { $0 - OrderFlowSimulator.endOfDayMessageCount } ?? Int.max
    var sent = 0
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: OrderFlowSimulator.maxMessageLength, alignment: 8)
    defer { buffer.deallocate() }
    if configuration.bursty && !args.flag("max") {
        // Bursty: send on the messages' own (clustered) timestamps, so the wire sees the bursts.
        let start = Clock.monotonic()
        var firstTimestamp: UInt64?
        while sent < flow && !sendingStop.isRaised {
            let n = simulator.next(into: buffer)
            if n >= 11 {
                let ts = WireBytes(buffer).u48(CommonLayout.timestamp)
                let first = firstTimestamp ?? ts
                firstTimestamp = first
                let due = start + (ts &- first)
                var now = Clock.monotonic()
                // What is due within one batch interval goes now, with the batch; a later message waits
                // for its own time (an absolute deadline, at most 10 ms at a time for heartbeats and stops).
                if due > now + Pacer.defaultBatchInterval { try wire.flush() }
                while due > now + Pacer.defaultBatchInterval && !sendingStop.isRaised {
                    try wire.heartbeatIfIdle()
                    DeadlineSleeper.sleep(until: min(due, now + 10_000_000))
                    now = Clock.monotonic()
                }
            }
            try wire.publisher.append(UnsafeRawBufferPointer(start: buffer, count: n))
            sent += 1
            if sent & 0x3FF == 0 { progress.update(sent) }
        }
    }
    while sent < flow && !sendingStop.isRaised {
        let due = min(pacer.due(maxBatch: 4096), flow - sent)
        if due == 0 {
            try wire.heartbeatIfIdle()
            pacer.sleepUntilNextBatch()
            continue
        }
        for _ in 0..<due {
            let n = simulator.next(into: buffer)
            try wire.publisher.append(UnsafeRawBufferPointer(start: buffer, count: n))
        }
        sent += due
        pacer.consumed(due)
        try wire.flush()
        progress.update(sent)
    }
    // The day's closing system events, then the end of session.
    while true {
        let n = simulator.nextEndOfDay(into: buffer)
        if n == 0 { break }
        try wire.publisher.append(UnsafeRawBufferPointer(start: buffer, count: n))
        sent += 1
    }
    try wire.flush()
    progress.update(sent, force: true)
    log(.info, "end_of_session", ["session": options.session, "next_sequence": wire.publisher.nextSequenceNumber,
                                  "linger_s": options.lingerSeconds])
    try wire.finish()
    log(.info, "simulate_stopped", wire.report())
    return 0
}

/// Parses a `GROUP:PORT` flag.
func endpoint(_ args: Arguments, _ name: String, default defaultValue: String) throws(UsageError) -> IPv4Endpoint {
    let text = args.string(name) ?? defaultValue
    guard let e = IPv4Endpoint(text) else { throw UsageError("--\(name): expected IPv4ADDRESS:PORT, got '\(text)'") }
    return e
}

/// Where `simulate --output` puts the messages.
protocol MessageSink {
    func append(_ message: UnsafeRawBufferPointer) throws
    func close() throws
}

struct DayFileSink: MessageSink {
    let writer: DayFileWriter
    func append(_ message: UnsafeRawBufferPointer) throws { try writer.append(message) }
    func close() throws { try writer.close() }
}

/// Packs messages into MoldUDP64 packets and writes each as a captured UDP datagram (twice with a
/// B line), stamped with the ITCH timestamp of its last message on a fixed day, so the file is a pure
/// function of the simulator's configuration.
final class PcapSink: MessageSink {
    /// 2026-01-02 00:00:00 UTC in nanoseconds since the epoch.
    static let day: UInt64 = 1_767_312_000 * 1_000_000_000
    let writer: PcapWriter
    let lineA: IPv4Endpoint
    let lineB: IPv4Endpoint?
    let vlan: [UInt16]
    let source = IPv4Endpoint(address: 0x7F00_0001, port: 26_399)
    let buffer: UnsafeMutableRawBufferPointer
    var builder: MoldUDP64PacketBuilder
    var lastTimestamp: UInt64 = 0

    init(path: String, session: MoldUDP64Session, lineA: IPv4Endpoint, lineB: IPv4Endpoint?, vlan: UInt16?,
         payloadSize: Int) throws {
        writer = try PcapWriter(path: path)
        self.lineA = lineA
        self.lineB = lineB
        self.vlan = vlan.map { [$0] } ?? []
        buffer = .allocate(byteCount: payloadSize, alignment: 8)
        builder = MoldUDP64PacketBuilder(buffer: buffer, session: session)
    }

    deinit { buffer.deallocate() }

    func append(_ message: UnsafeRawBufferPointer) throws {
        if message.count >= 11 { lastTimestamp = WireBytes(message.baseAddress!).u48(CommonLayout.timestamp) }
        if builder.append(message) == .full {
            try send()
            _ = builder.append(message)
        }
    }

    private func send() throws {
        guard !builder.isEmpty else { return }
        let time = Self.day + lastTimestamp
        try writer.write(payload: builder.packet, timestamp: time, source: source, destination: lineA, vlanTags: vlan)
        if let lineB {
            try writer.write(payload: builder.packet, timestamp: time, source: source, destination: lineB, vlanTags: vlan)
        }
        builder.reset()
    }

    func close() throws {
        try send()
        // End of session, announcing the sequence number after the last message.
        var end = [UInt8](repeating: 0, count: MoldUDP64.headerLength)
        _ = end.withUnsafeMutableBytes {
            MoldUDP64.encodeEndOfSession(session: builder.session, nextSequenceNumber: builder.sequenceNumber,
                                                      into: $0.baseAddress!)
        }
        try writer.write(payload: end, timestamp: Self.day + lastTimestamp, source: source, destination: lineA, vlanTags: vlan)
        try writer.close()
    }
}

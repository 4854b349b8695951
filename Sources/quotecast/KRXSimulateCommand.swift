import Feed
import Foundation
import KRX
import KRXSimulator
import Market
import PacketCapture
import Sockets
import System

/// `simulate --market krx`: the Korea Exchange's day as KOSCOM sends it (docs/krx.md, "simulate
/// --market krx").
enum KRXSimulateCommand {
    static let valueFlags: Set<String> = ["kospi", "kosdaq", "time-compression", "faults-until"]

    /// The flags of `simulate` that only the Nasdaq simulator has.
    static let nasdaqOnlyFlags = ["line-a", "line-b", "retransmit", "retransmit-window", "heartbeat-interval", "linger",
                                  "drop-every", "drop-line", "session", "messages", "max", "output-format", "vlan"]

    static let usage = """
        With --market krx, a simulated Korean trading day instead (docs/krx.md): KOSCOM's records for
        --symbols listed stocks (default 40; real-looking 6-digit codes, ISINs, Korean and English
        names), following KRX's rules: the master batch (three times, as KOSCOM sends it), base
        prices and limits, the opening single-price auction from 08:30 with its estimated price in
        every quote, the 09:00 uncross, continuous trading on the tick grid inside the ±30 % limits,
        static and dynamic VIs, halts, the closing auction 15:20-15:30, issue closing. Securities A
        (KOSPI) goes to --kospi, Securities B (KOSDAQ, KONEX) to --kosdaq, each over several ports:
        an instrument's records always take the same port of its product, polling goes to every port.
        Deterministic: the same --seed and --symbols give the same bytes (faults are seeded too).

          --output FILE          write a pcap instead (frames stamped at the simulated times of
                                 2026-01-05 KST)
          --kospi LIST           Securities A's GROUP:PORT,... (default 239.255.190.1:10031,239.255.190.1:10032)
          --kosdaq LIST          Securities B's GROUP:PORT,... (default 239.255.190.2:10141,239.255.190.2:10142)
          --interface ADDR       interface to send from (default 127.0.0.1)
          --ttl N                multicast TTL (default 1)
          --payload-size BYTES   largest UDP payload, 632..65507 (default 1400)
        \(KRXSimulatorOptions.usage)
        Fault injection, per port (seeded; counted in the final line):
          --drop RATE            drop a datagram with probability RATE (0..1)
          --duplicate RATE       send a datagram twice
          --reorder RATE         swap a datagram with the next one of its port
          --malformed RATE       also send a damaged copy (cut, a non-digit, no end keyword, an unknown TR code)
          --faults-until HH:MM   no faults from this simulated time on (a receiver heals an instrument at
                                 its next quote and trade; the day's last ones have no successor)

        The final line (event=simulate_stopped) counts the records sent per TR code (sent=CODE:N,...;
        a polling record once per port), the datagrams and the faults.

        """

    /// Runs `simulate --market krx` with `args`.
    static func run(_ args: Arguments) throws -> Int32 {
        for flag in nasdaqOnlyFlags where args.string(flag) != nil || args.flag(flag) {
            throw UsageError("--\(flag): not with --market krx (see --help)")
        }
        let levelName = try args.choice("log-level", ["debug", "info", "warn", "error"], default: "info")
        let log = Log(minimum: LogLevel(name: levelName)!)
        var options = try KRXSimulatorOptions(args)
        options.configuration.maxPayloadSize = try args.int("payload-size", default: 1_400, in: 632...65_507)
        let kospi = try groups(args, "kospi", default: "239.255.190.1:10031,239.255.190.1:10032")
        let kosdaq = try groups(args, "kosdaq", default: "239.255.190.2:10141,239.255.190.2:10142")
        let destinations = kospi + kosdaq
        guard Set(destinations).count == destinations.count else { throw UsageError("--kospi/--kosdaq: a GROUP:PORT given twice") }
        var faults = KRXFaults()
        faults.dropRate = try probability(args, "drop")
        faults.duplicateRate = try probability(args, "duplicate")
        faults.reorderRate = try probability(args, "reorder")
        faults.malformedRate = try probability(args, "malformed")
        let faultsUntil = try args.string("faults-until").map { text throws(UsageError) -> Int64 in
            let parts = text.split(separator: ":")
            guard parts.count == 2, let h = Int64(parts[0]), let m = Int64(parts[1]), (0...23).contains(h), (0...59).contains(m) else {
                throw UsageError("--faults-until: expected HH:MM, got '\(text)'")
            }
            return KRXSchedule.time(h, m)
        }

        var sender = KRXSender(options: options, layout: KRXChannelLayout(securitiesAPorts: kospi.count, securitiesBPorts: kosdaq.count),
                               faults: faults, faultsUntil: faultsUntil)
        let output: KRXOutput
        let path = args.string("output")
        if let path {
            do {
                output = .pcap(try PcapWriter(path: path), destinations.map { IPv4Endpoint($0.description)! })
            } catch {
                printError("quotecast simulate: cannot write \(path): \(error)")
                return 1
            }
        } else {
            let interface = args.string("interface") ?? "127.0.0.1"
            let ttl = try args.int("ttl", default: 1, in: 0...255)
            do {
                output = .wire(try UDPSocket.multicastSender(interface: interface, ttl: ttl), destinations)
            } catch {
                throw UsageError("--interface: cannot send multicast from \(interface): \(error)")
            }
            installStopHandlers()
        }
        log(.info, "simulate_started", ["market": "krx", "kospi": kospi.map(\.description).joined(separator: ","),
                                        "kosdaq": kosdaq.map(\.description).joined(separator: ","),
                                        "output": path ?? "multicast", "instruments": options.configuration.instrumentCount,
                                        "seed": options.configuration.seed, "pacing": "\(options.pacing)"])
        do {
            try sender.run(into: output, paced: path == nil)
        } catch {
            printError("quotecast simulate: \(error)")
            return 1
        }
        log(.info, "simulate_stopped", sender.report())
        return 0
    }

    /// A `--kospi`/`--kosdaq` list of multicast `GROUP:PORT`s.
    static func groups(_ args: Arguments, _ name: String, default defaultValue: String) throws(UsageError) -> [SocketAddress] {
        let text = args.string(name) ?? defaultValue
        var out: [SocketAddress] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let a = SocketAddress(parsing: String(part)), a.isMulticast, a.port != 0 else {
                throw UsageError("--\(name): expected multicast GROUP:PORT[,GROUP:PORT...], got '\(text)'")
            }
            out.append(a)
        }
        guard out.count <= KRXFeedConfiguration.maxStreams else {
            throw UsageError("--\(name): at most \(KRXFeedConfiguration.maxStreams) ports, got \(out.count)")
        }
        return out
    }
}

/// Where `simulate --market krx` sends: multicast (a socket and the destinations), or a pcap (the
/// writer and the destinations its frames are addressed to).
enum KRXOutput {
    case wire(UDPSocket, [SocketAddress])
    case pcap(PcapWriter, [IPv4Endpoint])
}

/// The day, routed to its ports, damaged as asked, paced and sent; counts what it did.
struct KRXSender {
    /// 2026-01-05 00:00 KST (15:00 UTC the day before), nanoseconds since the epoch: the pcap's day.
    static let dayStart: UInt64 = 1_767_571_200_000_000_000 - 9 * 3_600_000_000_000
    /// The frames' source address in a pcap.
    static let source = IPv4Endpoint("10.1.1.1:20000")!

    var day: KRXTradingDay
    var layout: KRXChannelLayout
    var injectors: [KRXFaultInjector]
    let faultsUntil: Int64?
    let pacing: KRXPacing
    var datagrams = 0
    var sendErrors = 0

    init(options: KRXSimulatorOptions, layout: KRXChannelLayout, faults: KRXFaults, faultsUntil: Int64?) {
        day = KRXTradingDay(options.configuration)
        self.layout = layout
        injectors = (0..<layout.destinationCount).map { d in
            var f = faults
            f.seed = options.configuration.seed &* 31 &+ UInt64(d)
            return KRXFaultInjector(f)
        }
        self.faultsUntil = faultsUntil
        pacing = options.pacing
    }

    /// Sends the whole day (until SIGINT/SIGTERM on the wire), each payload when due when `paced`.
    mutating func run(into output: KRXOutput, paced: Bool) throws {
        let start = Clock.monotonic()
        var pacer = Pacer(rate: paced ? pacing.feedRate : 0)
        var progress = SendProgress(label: "simulate", total: nil)
        var records = 0
        while !sendingStop.isRaised, let payload = day.nextPayload() {
            if paced {
                switch pacing {
                case .clock:
                    let due = start &+ day.wallOffset(of: payload)
                    while !sendingStop.isRaised, case let now = Clock.monotonic(), now < due {
                        usleep(UInt32(min(due - now, 10_000_000) / 1_000))
                    }
                case .steady:
                    while !sendingStop.isRaised, pacer.due(maxBatch: 1) == 0 { pacer.sleepUntilNextBatch() }
                }
            }
            let before = layout.recordsRouted
            for (destination, part) in layout.route(payload) {
                let faulty = faultsUntil.map { payload.time < $0 } ?? true
                let out = faulty ? injectors[destination].process(part) : injectors[destination].finish() + [part]
                for p in out { try send(p, to: destination, via: output) }
            }
            records += layout.recordsRouted - before
            pacer.consumed(layout.recordsRouted - before)
            if paced { progress.update(records) }
        }
        for destination in injectors.indices {
            for p in injectors[destination].finish() { try send(p, to: destination, via: output) }
        }
        if case .pcap(let writer, _) = output { try writer.close() }
        if paced { progress.update(records, force: true) }
    }

    mutating func send(_ payload: KRXPayload, to destination: Int, via output: KRXOutput) throws {
        datagrams += 1
        switch output {
        case .wire(let socket, let groups):
            let sent = try payload.bytes.withUnsafeBytes { try socket.send($0, to: groups[destination]) }
            if !sent { sendErrors += 1 }
        case .pcap(let writer, let endpoints):
            try writer.write(payload: payload.bytes, timestamp: Self.dayStart + UInt64(max(0, payload.time)) * 1_000,
                             source: Self.source, destination: endpoints[destination])
        }
    }

    /// The final line's fields.
    func report() -> KeyValuePairs<String, Any> {
        let s = day.statistics
        var f = KRXFaultStatistics()
        for i in injectors { f.add(i.statistics) }
        let sent = layout.recordsSent.sorted { $0.key.description < $1.key.description }
            .map { "\($0.key):\($0.value)" }.joined(separator: ",")
        return ["records": layout.recordsRouted, "datagrams": datagrams, "payloads": s.payloads, "sent": sent,
                "dropped": f.dropped, "duplicated": f.duplicated, "reordered": f.reordered, "malformed": f.malformed,
                "vis": s.staticVIs + s.dynamicVIs + s.bothVIs, "halts": s.halts, "uncrosses": s.uncrosses,
                "send_errors": sendErrors]
    }
}

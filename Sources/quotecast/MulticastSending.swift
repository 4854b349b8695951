import Feed
import Foundation
import ITCH
import MoldUDP64
import Sockets
import Synchronization
import System

/// The flags `simulate` and `replay` share for putting MoldUDP64 on the wire, parsed once.
struct WireOptions {
    var lineA: SocketAddress
    var lineB: SocketAddress?
    var interface: String
    var ttl: Int
    var retransmit: SocketAddress?
    var windowMessages: Int
    var payloadSize: Int
    var heartbeatNanoseconds: UInt64
    var lingerSeconds: Int
    var faults: FaultInjection
    var session: MoldUDP64Session

    static let valueFlags: Set<String> = ["line-a", "line-b", "interface", "ttl", "retransmit", "retransmit-window",
                                          "payload-size", "heartbeat-interval", "linger", "drop", "drop-every",
                                          "drop-line", "reorder", "duplicate", "malformed", "session"]

    static let usage = """
          --line-a GROUP:PORT    line A (default 239.192.0.1:26400)
          --line-b GROUP:PORT    line B, a second copy of every packet (off by default)
          --interface ADDR       interface to send from (default 127.0.0.1; no multicast route needed)
          --ttl N                multicast TTL, 0..255 (default 1: the local network only)
          --retransmit HOST:PORT MoldUDP64 retransmission request server (off by default; port 0 picks one,
                                 logged as retransmit=)
          --retransmit-window N  messages the server remembers (default 1000000)
          --payload-size BYTES   largest MoldUDP64 packet, 100..65000 (default 1400)
          --heartbeat-interval MS  heartbeat after this long without a packet (default 1000)
          --linger S             seconds the retransmission server stays up after the end of session,
                                 repeating the end of session each second (default 5)
          --session NAME         MoldUDP64 session, up to 10 characters (default SIM<seed>, or REPLAY)
        Fault injection (for testing receivers; decisions are seeded, so runs repeat):
          --drop RATE            drop each packet with probability RATE (0..1) on --drop-line
          --drop-every N         drop every Nth packet on --drop-line (with both: the same packets on both)
          --drop-line a|b|both   which line(s) the faults hit (default a; both = each line independently)
          --reorder RATE         swap a packet with the next one, probability RATE
          --duplicate RATE       send a packet twice, probability RATE
          --malformed RATE       after a packet, also send a malformed datagram (cut, wrong count, short,
                                 garbage), probability RATE
        """

    init(_ args: Arguments, defaultSession: String, seed: UInt64) throws(UsageError) {
        lineA = try multicastEndpoint(args, "line-a", default: "239.192.0.1:26400")
        lineB = args.string("line-b") == nil ? nil : try multicastEndpoint(args, "line-b", default: "")
        if let lineB, lineB == lineA { throw UsageError("--line-b: must differ from --line-a") }
        interface = args.string("interface") ?? "127.0.0.1"
        guard SocketAddress(host: interface, port: 0) != nil else {
            throw UsageError("--interface: expected an IPv4 address, got '\(interface)'")
        }
        ttl = try args.int("ttl", default: 1, in: 0...255)
        if let text = args.string("retransmit") {
            guard let r = SocketAddress(parsing: text), !r.isMulticast else {
                throw UsageError("--retransmit: expected a unicast HOST:PORT, got '\(text)'")
            }
            retransmit = r
        }
        windowMessages = try args.int("retransmit-window", default: 1_000_000, in: 1...100_000_000)
        payloadSize = try args.int("payload-size", default: MoldUDP64.defaultMaxPayloadSize, in: 100...65_000)
        heartbeatNanoseconds = UInt64(try args.int("heartbeat-interval", default: 1000, in: 10...3_600_000)) * 1_000_000
        lingerSeconds = try args.int("linger", default: 5, in: 0...86_400)
        let name = args.string("session") ?? defaultSession
        guard let s = MoldUDP64Session(name) else { throw UsageError("--session: expected up to 10 printable characters, got '\(name)'") }
        session = s
        var f = FaultInjection()
        f.dropRate = try probability(args, "drop")
        f.dropEvery = try args.int("drop-every", default: 0, in: 0...Int(Int32.max))
        f.reorderRate = try probability(args, "reorder")
        f.duplicateRate = try probability(args, "duplicate")
        f.malformedRate = try probability(args, "malformed")
        f.lines = FaultInjection.Lines(rawValue: try args.choice("drop-line", ["a", "b", "both"], default: "a"))!
        if f.lines != .a && lineB == nil { throw UsageError("--drop-line: there is no line B (give --line-b)") }
        f.seed = seed
        faults = f
    }
}

/// A multicast `GROUP:PORT` flag.
func multicastEndpoint(_ args: Arguments, _ name: String, default defaultValue: String) throws(UsageError) -> SocketAddress {
    let text = args.string(name) ?? defaultValue
    guard let a = SocketAddress(parsing: text), a.isMulticast, a.port != 0 else {
        throw UsageError("--\(name): expected a multicast GROUP:PORT (224.0.0.0-239.255.255.255), got '\(text)'")
    }
    return a
}

/// A probability flag in 0...1.
func probability(_ args: Arguments, _ name: String) throws(UsageError) -> Double {
    guard let text = args.string(name) else { return 0 }
    guard let v = Double(text), v >= 0, v <= 1 else { throw UsageError("--\(name): expected a probability in 0...1, got '\(text)'") }
    return v
}

/// SIGINT/SIGTERM for the sending commands: a handler raises this flag; the loops poll it.
let sendingStop = StopFlag()

func installStopHandlers() {
    signal(SIGINT) { _ in sendingStop.raise() }
    signal(SIGTERM) { _ in sendingStop.raise() }
}

/// The exchange's wire: a publisher on lines A/B plus the optional retransmission server, set up from
/// `WireOptions`, with the heartbeat clock, the end of session and the linger.
final class ExchangeWire {
    let options: WireOptions
    let publisher: MoldUDP64Publisher
    let server: RetransmissionServer?
    let log: Log
    private let socket: UDPSocket
    private let window: RetransmissionWindow?
    private var lastSend = Clock.monotonic()
    /// Datagrams sent as they were (replay of a pcap), per line.
    private(set) var rawDatagrams = 0

    init(_ options: WireOptions, log: Log) throws {
        self.options = options
        self.log = log
        do {
            socket = try UDPSocket.multicastSender(interface: options.interface, ttl: options.ttl)
        } catch {
            throw RuntimeFailure("--interface: cannot send multicast from \(options.interface): \(error)")
        }
        if let address = options.retransmit {
            let w = RetransmissionWindow(session: options.session, capacityMessages: options.windowMessages,
                                         capacityBytes: max(1 << 20, options.windowMessages * 48))
            window = w
            do {
                server = try RetransmissionServer(binding: address, window: w, payloadSize: options.payloadSize)
            } catch {
                socket.close()
                throw RuntimeFailure("--retransmit: cannot bind \(address): \(error)")
            }
        } else {
            server = nil
            window = nil
        }
        publisher = MoldUDP64Publisher(socket: socket, lines: [options.lineA] + (options.lineB.map { [$0] } ?? []),
                                       session: options.session, payloadSize: options.payloadSize, window: window,
                                       faults: options.faults)
    }

    /// Sends what was appended since the last call (with reordering injected, a lone packet may wait
    /// for the next call).
    func flush() throws {
        try publisher.flush(force: false)
        lastSend = Clock.monotonic()
    }

    /// Sends a captured MoldUDP64 datagram as it is on every line (and remembers it for retransmission).
    func sendRaw(_ datagram: UnsafeRawBufferPointer) throws {
        for line in [options.lineA] + (options.lineB.map { [$0] } ?? []) { _ = try socket.send(datagram, to: line) }
        var pointer: UnsafeRawPointer? = datagram.baseAddress
        var length = UInt32(datagram.count)
        window?.append(&pointer, lengths: &length, count: 1)
        rawDatagrams += 1
        lastSend = Clock.monotonic()
    }

    /// Sends a heartbeat if nothing went out for the heartbeat interval.
    func heartbeatIfIdle() throws {
        if Clock.monotonic() - lastSend >= options.heartbeatNanoseconds {
            try publisher.heartbeat()
            lastSend = Clock.monotonic()
        }
    }

    /// Ends the session, then keeps the retransmission server up for the linger (repeating the end of
    /// session every second so a receiver that lost it still learns it), then stops it.
    func finish() throws {
        try publisher.endOfSession()
        if server != nil || options.lingerSeconds > 0 {
            let until = Clock.monotonic() + UInt64(options.lingerSeconds) * 1_000_000_000
            var nextEnd = Clock.monotonic() + 1_000_000_000
            while Clock.monotonic() < until && !sendingStop.isRaised {
                usleep(20_000)
                if Clock.monotonic() >= nextEnd {
                    try publisher.endOfSession()
                    nextEnd += 1_000_000_000
                }
            }
        }
        server?.stop()
        socket.close()
    }

    /// Keeps the retransmission server up for the linger without sending anything (a replayed pcap
    /// carries its own end of session), then stops it.
    func finishWithoutEndOfSession() throws {
        if server != nil {
            let until = Clock.monotonic() + UInt64(options.lingerSeconds) * 1_000_000_000
            while Clock.monotonic() < until && !sendingStop.isRaised { usleep(20_000) }
        }
        server?.stop()
        socket.close()
    }

    /// The final `key=value` report fields.
    func report() -> KeyValuePairs<String, Any> {
        let s = publisher.statistics
        let r = server?.statistics
        return ["messages": s.messages, "packets": s.packets, "raw_datagrams": rawDatagrams, "datagrams_a": s.datagrams[0], "datagrams_b": s.datagrams[1],
                "dropped_a": s.dropped[0], "dropped_b": s.dropped[1], "duplicated": s.duplicated[0] + s.duplicated[1],
                "reordered": s.reordered[0] + s.reordered[1], "malformed": s.malformed[0] + s.malformed[1],
                "heartbeats": s.heartbeats, "requests": r?.requests ?? 0, "retransmitted_messages": r?.messages ?? 0,
                "unanswered": r?.unanswered ?? 0, "send_errors_a": s.sendErrors[0], "send_errors_b": s.sendErrors[1],
                "last_send_error": s.lastSendError ?? "none"]
    }
}

/// A progress line on stderr at most once a second, for the sending commands.
struct SendProgress {
    let label: String
    let total: Int?
    let start = Clock.monotonic()
    var last: UInt64 = 0

    mutating func update(_ sent: Int, force: Bool = false) {
        let now = Clock.monotonic()
        guard force || now - last >= 1_000_000_000 else { return }
        last = now
        let seconds = Double(now - start) / 1e9
        let share = total.map { String(format: " (%.0f%%)", 100 * Double(sent) / Double(max($0, 1))) } ?? ""
        printError(String(format: "%@: %d messages%@, %.0f msgs/s", label, sent, share, Double(sent) / max(seconds, 1e-9)))
    }
}

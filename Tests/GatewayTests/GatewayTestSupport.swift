import Fanout
import Foundation
import Gateway
import Glibc
import Market
import Sockets
import Synchronization
import System
import Testing
import WebSocket

/// A gateway on a real loopback listener (port 0) with its own ring, whose ticks the test writes:
/// the server loop runs on a thread of its own, as in `serve`.
final class GatewayHarness: @unchecked Sendable {
    // @unchecked: `writer` is used by the test's thread only; the server and gateway by the loop thread.
    let ring: BroadcastRing
    let server: WebSocketServer
    let gateway: Gateway
    let router = HTTPRouter()
    private var writer: RingWriter
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)
    /// Per-locate seq of the next tick.
    private var seqs: [UInt16: UInt64] = [:]
    /// Per-locate running volume and last trade, carried by every tick as the feed does.
    private var volumes: [UInt16: UInt64] = [:]
    private var lasts: [UInt16: (UInt32, UInt32)] = [:]
    /// Ticks written (and flushed or not) so far.
    private(set) var written = 0
    private let stall = LoopStall()
    var address: SocketAddress { server.localAddress }
    /// The gateway's log lines (`event=… key=value`).
    let logLines = LogLines()
    var log: [String] { logLines.lines.withLock { $0 } }

    init(configuration: GatewayConfiguration = GatewayConfiguration(), ringCapacity: Int = 4096, demand: StreamDemand? = nil,
         server serverConfiguration: ((inout WebSocketServerConfiguration) -> Void)? = nil) throws {
        ignoreBrokenPipes()
        ring = try BroadcastRing(RingConfiguration(capacity: ringCapacity, readers: [.nonGating], wait: .blocking))
        writer = ring.makeWriter()
        let lines = logLines
        gateway = Gateway(reader: ring.makeReader(0), configuration: configuration) { line in lines.lines.withLock { $0.append(line) } }
        gateway.demand = demand
        var c = WebSocketServerConfiguration(listen: SocketAddress(host: "127.0.0.1", port: 0)!)
        c.maxPendingBytes = configuration.clientBufferMax + (1 << 20)
        serverConfiguration?(&c)
        router.webSocket(configuration.streamPath, gateway)
        let g = gateway
        router.get("/v1/symbols") { request in g.symbolsResponse(request) }
        // Test-only: holds the loop thread (until `endStall`, at most 10 s), so the ring can lap the gateway.
        let stall = stall
        router.get("/stall") { _ in
            stall.holding.store(true, ordering: .releasing)
            _ = stall.release.wait(timeout: .now() + 10)
            stall.holding.store(false, ordering: .releasing)
            return .text(.ok)
        }
        server = try WebSocketServer(configuration: c, delegate: router)
        try gateway.attach(to: server)
        let s = server
        let t = Thread { [done] in
            s.run()
            done.signal()
        }
        thread = t
        t.start()
    }

    /// Stops the server (bounded) and waits for its thread.
    func stop() {
        stall.release.signal()
        server.stop()
        ring.close()
        _ = done.wait(timeout: .now() + 10)
    }

    /// Writes one tick of `symbol` (locate = index + 1) and publishes it.
    @discardableResult
    func write(_ kind: TickKind, _ symbol: String, locate: UInt16, bids: [(UInt32, UInt32)] = [], asks: [(UInt32, UInt32)] = [],
               changedLevel: Int = 0, price: UInt32 = 0, size: UInt32 = 0, side: UInt8 = 0x42,
               status: TradingStatus = .trading, statistics: DayStatistics = DayStatistics(),
               instrument: InstrumentReference? = nil, timestamp: UInt64? = nil, flush: Bool = true) -> UInt64 {
        var t = Tick()
        t.symbol = Symbol(symbol)!
        t.locate = locate
        let seq = (seqs[locate] ?? 0) + 1
        seqs[locate] = seq
        t.seq = seq
        t.timestamp = timestamp ?? 34_200_000_000_000 + seq
        t.receiveTime = 1_700_000_000_000_000_000 + seq
        t.kind = kind
        t.status = status
        if kind == .trade {
            volumes[locate, default: 0] += UInt64(size)
            lasts[locate] = (price, size)
        }
        t.volume = volumes[locate] ?? 0
        t.tradePrice = lasts[locate]?.0 ?? 0
        t.tradeSize = lasts[locate]?.1 ?? 0
        t.side = kind == .trade ? side : 0
        t.changedLevel = UInt8(changedLevel)
        t.bidCount = UInt8(bids.count)
        t.askCount = UInt8(asks.count)
        for (i, l) in bids.enumerated() { t.bids[i] = PriceLevel(price: l.0, size: l.1) }
        for (i, l) in asks.enumerated() { t.asks[i] = PriceLevel(price: l.0, size: l.1) }
        if kind == .trade { t.statistics = statistics }
        if let instrument { t.instrument = instrument }
        _ = writer.write(t)
        written += 1
        if flush { writer.flush() }
        return seq
    }

    func flush() { writer.flush() }

    /// Skips `n` seqs of `locate` (as if those ticks were lost).
    func skip(_ locate: UInt16, _ n: UInt64) { seqs[locate, default: 0] += n }

    func seq(of locate: UInt16) -> UInt64 { seqs[locate] ?? 0 }

    /// Waits (bounded) until the gateway has taken every tick written so far from the ring: then
    /// every symbol written is known to it and every subscriber has had its frames queued.
    func waitForGateway(timeout: Double = 20) throws {
        let n = written
        try waitUntil("the gateway read \(n) ticks", timeout: timeout) {
            gateway.statistics.ticks.load(ordering: .relaxed) >= n
        }
    }

    /// Waits (bounded) until the gateway counts `n` subscriptions (for clients that read nothing).
    func waitForSubscriptions(_ n: Int, timeout: Double = 20) throws {
        try waitUntil("\(n) subscriptions", timeout: timeout) { gateway.statistics.subscriptions.load(ordering: .relaxed) == n }
    }

    /// Holds the gateway's loop thread (from another connection) until `endStall()` (or 10 s); returns
    /// once the loop is held, so ticks written now pile up in the ring.
    func stallLoop() throws -> TCPConnection {
        let c = try TCPConnection.connect(to: address, blocking: true)
        try c.writeAll(Array("GET /stall HTTP/1.1\r\nHost: t\r\n\r\n".utf8))
        try waitUntil("the loop thread held by /stall") { stall.holding.load(ordering: .acquiring) }
        return c
    }

    /// Lets the loop thread held by `stallLoop()` go on.
    func endStall() { stall.release.signal() }
}

/// Lines a gateway logged, from any thread.
final class LogLines: Sendable {
    let lines = Mutex<[String]>([])
}

/// The test-only `/stall` handler's state: whether it holds the loop thread, and what lets it go.
final class LoopStall: Sendable {
    let holding = Atomic<Bool>(false)
    let release = DispatchSemaphore(value: 0)
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    let seconds: Double
    var description: String { "timed out after \(seconds) s waiting for \(what)" }
}

/// Polls `condition` every millisecond until it holds; throws `TimedOut` after `timeout` seconds (a
/// bound for a broken build, not an expected duration: under load the condition just takes longer).
func waitUntil(_ what: String, timeout: Double = 20, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        guard Date() < deadline else { throw TimedOut(what: what, seconds: timeout) }
        usleep(1000)
    }
}

/// A blocking WebSocket test client over a raw socket: handshake, masked text frames out, server
/// frames in, decoded as JSON objects. Every wait is bounded.
final class TestClient {
    let tcp: TCPConnection
    private var buffer: [UInt8] = []
    private(set) var closeCode: UInt16?
    /// The reason text of the server's close frame.
    private(set) var closeReason: String?
    /// The handshake response's head (status line and headers).
    private(set) var head = ""
    /// Inflates the server's compressed messages, when the handshake agreed permessage-deflate (with
    /// the server's context kept unless it answered `server_no_context_takeover`).
    private(set) var inflater: MessageInflater?
    /// Every text or binary message received, as it came (compressed or not) and as read.
    private(set) var frames: [ReceivedFrame] = []
    /// Compressed messages that could not be inflated (or came without permessage-deflate agreed).
    private(set) var undecodable = 0

    /// One message from the server: its payload on the wire and the message it carried.
    struct ReceivedFrame {
        /// RSV1 was set: `wire` is permessage-deflate data.
        let compressed: Bool
        let wire: [UInt8]
        let message: [UInt8]
    }

    init(_ address: SocketAddress, path: String = "/v1/stream", receiveBuffer: Int32? = nil, headers: [String] = []) throws {
        if let size = receiveBuffer {
            // Set before connect so the window is small from the start.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var v = size
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, socklen_t(MemoryLayout<Int32>.size))
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = address.port.bigEndian
            a.sin_addr.s_addr = inet_addr(address.host)
            let rc = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0 else { Glibc.close(fd); throw SystemError("connect", errno: errno) }
            tcp = TCPConnection(descriptor: Descriptor(rawValue: fd), peer: address)
        } else {
            tcp = try TCPConnection.connect(to: address, blocking: true)
        }
        try tcp.writeAll(Array(("GET \(path) HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                                + headers.map { $0 + "\r\n" }.joined() + "\r\n").utf8))
        let deadline = Date().addingTimeInterval(5)
        while !buffer.contains(13) || findHeadEnd() == nil {
            guard Date() < deadline, fill(timeout: 0.1) != false else { break }
        }
        guard let end = findHeadEnd() else { throw SystemError("handshake", errno: ETIMEDOUT) }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end)
        self.head = head
        let extensions = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-extensions:") }
        if let answer = extensions, answer.contains("permessage-deflate") {
            inflater = MessageInflater(contextTakeover: !answer.contains("server_no_context_takeover"))
        }
        guard head.hasPrefix("HTTP/1.1 101") else {
            let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            while buffer.count < length, Date() < deadline, fill(timeout: 0.1) != false {}
            throw HandshakeRefused(head: head, body: String(decoding: buffer.prefix(length), as: UTF8.self))
        }
    }

    /// The server's answer to the upgrade request did not switch protocols: its head and body.
    struct HandshakeRefused: Error {
        let head: String
        var body = ""
        /// The status code.
        var status: Int { Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0 }
        /// The body as a JSON object.
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:] }
    }

    private var closed = false

    /// Closes the connection, once: its descriptor number may already be another test's socket after
    /// the first close (tests share one process), so a second close must not reach the kernel.
    func close() {
        guard !closed else { return }
        closed = true
        tcp.close()
    }

    deinit { close() }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    /// Reads what is there (waiting up to `timeout`); false on end of stream or error, nil on timeout.
    @discardableResult
    func fill(timeout: Double, max: Int = 65_536) -> Bool? {
        var p = pollfd(fd: tcp.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, Int32(timeout * 1000)) <= 0 { return nil }
        var chunk = [UInt8](repeating: 0, count: max)
        let n = chunk.withUnsafeMutableBytes { recv(tcp.descriptor.rawValue, $0.baseAddress, max, 0) }
        if n <= 0 { return false }
        buffer += chunk[0..<n]
        return true
    }

    func send(_ json: String) throws {
        let payload = Array(json.utf8)
        var f: [UInt8] = [0x81]
        if payload.count < 126 { f.append(0x80 | UInt8(payload.count)) } else { f += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] }
        let key: [UInt8] = [1, 2, 3, 4]
        f += key
        f += payload.enumerated().map { $0.element ^ key[$0.offset & 3] }
        try tcp.writeAll(f)
    }

    func sendBinary(_ payload: [UInt8]) throws {
        var f: [UInt8] = [0x82, 0x80 | UInt8(payload.count)]
        f += [0, 0, 0, 0]
        f += payload
        try tcp.writeAll(f)
    }

    /// The next complete frame in the buffer, if any: (first byte: FIN, RSV bits, opcode; payload).
    private func takeFrame() -> (UInt8, [UInt8])? {
        guard buffer.count >= 2 else { return nil }
        var n = Int(buffer[1] & 0x7F)
        var header = 2
        if n == 126 {
            guard buffer.count >= 4 else { return nil }
            n = Int(buffer[2]) << 8 | Int(buffer[3])
            header = 4
        } else if n == 127 {
            guard buffer.count >= 10 else { return nil }
            n = (2..<10).reduce(0) { $0 << 8 | Int(buffer[$1]) }
            header = 10
        }
        guard buffer.count >= header + n else { return nil }
        let frame = (buffer[0], Array(buffer[header..<(header + n)]))
        buffer.removeFirst(header + n)
        return frame
    }

    /// The next message as a JSON object (nil on timeout, close or end of stream). The default timeout
    /// is a bound for a message that should come (a loaded machine may take seconds), not a pause.
    func next(timeout: Double = 20) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let (first, payload) = takeFrame() {
                let op = first & 0x0F
                if op == 8 {
                    closeCode = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005
                    closeReason = payload.count > 2 ? String(decoding: payload[2...], as: UTF8.self) : ""
                    return nil
                }
                guard op == 1 || op == 2 else { continue }
                var message = payload
                let compressed = first & 0x40 != 0
                if compressed {
                    guard let inflated = try? inflater?.inflate(payload, text: op == 1).get() else { undecodable += 1; continue }
                    message = inflated
                }
                frames.append(ReceivedFrame(compressed: compressed, wire: payload, message: message))
                if op == 1, let o = try? JSONSerialization.jsonObject(with: Data(message)) as? [String: Any] { return o }
                continue
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0, fill(timeout: min(left, 0.1)) != false else {
                if left > 0 { return nil }
                return nil
            }
        }
    }

    /// Messages until one satisfies `match` (returned) or the timeout; the others are collected.
    func until(timeout: Double = 20, _ match: ([String: Any]) -> Bool) -> (found: [String: Any]?, before: [[String: Any]]) {
        var before: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(timeout)
        while deadline.timeIntervalSinceNow > 0 {
            guard let m = next(timeout: deadline.timeIntervalSinceNow) else { break }
            if match(m) { return (m, before) }
            before.append(m)
        }
        return (nil, before)
    }

    /// Everything that arrives within `seconds`.
    func drain(_ seconds: Double) -> [[String: Any]] {
        var out: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(seconds)
        while deadline.timeIntervalSinceNow > 0, let m = next(timeout: deadline.timeIntervalSinceNow) { out.append(m) }
        return out
    }

    /// Waits for a close frame (or end of stream); returns its code.
    func waitForClose(timeout: Double = 10) -> UInt16? {
        let deadline = Date().addingTimeInterval(timeout)
        while closeCode == nil, deadline.timeIntervalSinceNow > 0 {
            if next(timeout: deadline.timeIntervalSinceNow) == nil, closeCode == nil, fill(timeout: 0.05) == false { break }
        }
        return closeCode
    }
}

extension Dictionary where Key == String, Value == Any {
    var type: String? { self["type"] as? String }
    var symbol: String? { self["symbol"] as? String }
    var seq: Int? { (self["seq"] as? NSNumber)?.intValue }
    var levels: (bids: [[Any]], asks: [[Any]]) { ((self["bids"] as? [[Any]]) ?? [], (self["asks"] as? [[Any]]) ?? []) }
}

/// Writes a quote of `symbol` with 10 levels a side around `bid` (sizes fixed), changing `changedLevel`.
@discardableResult
func quote10(_ h: GatewayHarness, _ locate: UInt16 = 1, bid: UInt32, changedLevel: Int = 0, symbol: String = "AAPL") -> UInt64 {
    let bids = (0..<10).map { (bid - UInt32($0) * 100, UInt32(100 + $0)) }
    let asks = (0..<10).map { (bid + 100 + UInt32($0) * 100, UInt32(200 + $0)) }
    return h.write(.quote, symbol, locate: locate, bids: bids, asks: asks, changedLevel: changedLevel)
}

/// The messages `c` gets up to the answer to a ping sent now (everything queued before it), without the pong.
func untilPong(_ c: TestClient) throws -> [[String: Any]] {
    try c.send(#"{"op":"ping","id":"barrier"}"#)
    let (found, before) = c.until { $0.type == "pong" && $0["id"] as? String == "barrier" }
    try #require(found != nil)
    return before
}

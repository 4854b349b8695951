// Benchmarks of the gateway (issue 6): ring → gateway (last-value cache, per-depth encode-once,
// coalesced writev) → 1 000 real WebSocket client sockets on loopback, each subscribed to 10 of 100
// symbols, read by an epoll drain thread in this process that counts whole frames. Producer, gateway
// and drain thread share the machine (2 vCPUs here): the figure is the whole loopback path.
import CShim
import Fanout
import Foundation
import Gateway
import Glibc
import Market
import Sockets
import StreamClient
import Synchronization
import System
import WebSocket

/// The gateway suite: `gateway.fanout` (reports `gateway.fanout.msgs`, `gateway.fanout.bytes` and
/// `gateway.fanout.memory_per_client`).
let gatewaySuite: [Benchmark] = [
    Benchmark(name: "gateway.fanout") {
        gatewayFanout(clients: isOptimizedBuild ? 1000 : 50, ticks: isOptimizedBuild ? 40_000 : 2_000)
    },
]

private let gatewayRuns = 3
private let symbolCount = 100
private let symbolsPerClient = 10

/// Resident set size of this process, KiB.
private func residentKiB() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

/// Counts whole server frames per connection (header parsed, payload skipped) on its own thread;
/// with `frame`, also hands it each frame whole (connection index, first byte, header length, payload).
final class FrameCounter: @unchecked Sendable {
    // @unchecked: the per-connection state is touched by the drain thread only; `frames` is atomic.
    let loop: EventLoop
    let fds: [Int32]
    let frames = Atomic<Int>(0)
    let bytes = Atomic<Int>(0)
    private let stopFlag = Atomic<Bool>(false)
    /// Per connection: bytes of the current frame still to skip, and a partial header.
    private var skip: [Int]
    private var header: [[UInt8]]
    private let done = DispatchSemaphore(value: 0)
    /// Called on the drain thread for every whole frame; nil: payloads are skipped unread.
    typealias FrameHandler = (_ connection: Int, _ first: UInt8, _ headerBytes: Int, _ payload: [UInt8]) -> Void
    private let frameHandler: FrameHandler?
    /// Per connection, with a handler: the current frame's first byte, header length and payload so far.
    private var partial: [(first: UInt8, headerBytes: Int, payload: [UInt8])]

    init(fds: [Int32], frame: FrameHandler? = nil) throws {
        loop = try EventLoop(batch: 1024)
        self.fds = fds
        frameHandler = frame
        skip = Array(repeating: 0, count: fds.count)
        header = Array(repeating: [], count: fds.count)
        partial = Array(repeating: (0, 0, []), count: frame == nil ? 0 : fds.count)
        for (i, fd) in fds.enumerated() {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            try loop.add(Descriptor(rawValue: fd), events: .readable, token: UInt64(i))
        }
    }

    func start() {
        let thread = Thread { [self] in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
            defer { buffer.deallocate() }
            while !stopFlag.load(ordering: .relaxed) {
                _ = try? loop.wait(timeoutMilliseconds: 50) { token, _ in
                    guard token != EventLoop.wakeToken else { return }
                    let i = Int(token)
                    while true {
                        let n = read(fds[i], buffer.baseAddress, buffer.count)
                        guard n > 0 else { break }
                        count(i, UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                        if n < buffer.count { break }
                    }
                }
            }
            done.signal()
        }
        thread.name = "bench-gw-drain"
        thread.start()
    }

    private func count(_ i: Int, _ data: UnsafeRawBufferPointer) {
        bytes.wrappingAdd(data.count, ordering: .relaxed)
        var p = 0
        var n = 0
        while p < data.count {
            if skip[i] > 0 {
                let take = min(skip[i], data.count - p)
                if let frameHandler {
                    partial[i].payload.append(contentsOf: data[p..<(p + take)])
                    if take == skip[i] { frameHandler(i, partial[i].first, partial[i].headerBytes, partial[i].payload) }
                }
                skip[i] -= take
                p += take
                continue
            }
            header[i].append(data[p])
            p += 1
            let h = header[i]
            guard h.count >= 2 else { continue }
            let l = Int(h[1] & 0x7F)
            let need = l < 126 ? 2 : l == 126 ? 4 : 10
            guard h.count >= need else { continue }
            let length = l < 126 ? l : l == 126 ? Int(h[2]) << 8 | Int(h[3]) : (2..<10).reduce(0) { $0 << 8 | Int(h[$1]) }
            if let frameHandler {
                partial[i] = (h[0], need, [])
                if length == 0 { frameHandler(i, h[0], need, []) }
            }
            header[i].removeAll(keepingCapacity: true)
            skip[i] = length
            n += 1
        }
        frames.wrappingAdd(n, ordering: .relaxed)
    }

    /// Waits until at least `target` frames were counted (or `seconds` passed); returns whether they were.
    func wait(for target: Int, seconds: Double) -> Bool {
        let deadline = Clock.monotonic() + UInt64(seconds * 1e9)
        while frames.load(ordering: .relaxed) < target {
            if Clock.monotonic() > deadline { return false }
            usleep(200)
        }
        return true
    }

    func stop() {
        stopFlag.store(true, ordering: .relaxed)
        loop.wake()
        done.wait()
    }
}

func benchSymbol(_ i: Int) -> Symbol { Symbol("S\(i)")! }

/// A quote of symbol `i` with 10 levels a side, moved by `step`.
func benchQuote(_ i: Int, seq: UInt64, step: Int) -> Tick {
    var t = Tick()
    t.symbol = benchSymbol(i)
    t.locate = UInt16(i + 1)
    t.seq = seq
    t.timestamp = 34_200_000_000_000 + seq
    t.receiveTime = Clock.realtime()
    t.kind = .quote
    t.status = .trading
    t.bidCount = 10
    t.askCount = 10
    t.changedLevel = 0
    let base = UInt32(1_000_000 + i * 10_000 + (step % 64) * 100)
    for l in 0..<10 {
        t.bids[l] = PriceLevel(price: base - UInt32(l) * 100, size: UInt32(100 + l))
        t.asks[l] = PriceLevel(price: base + 100 + UInt32(l) * 100, size: UInt32(200 + l))
    }
    return t
}

/// Ring → gateway → `clients` sockets. Each run writes `ticks` quotes round-robin over 100 symbols
/// (each symbol has clients × 10 / 100 subscribers) and times until every subscriber read its copy.
private func gatewayFanout(clients: Int, ticks: Int) -> [BenchmarkResult] {
    let names = ["gateway.fanout.msgs", "gateway.fanout.bytes", "gateway.fanout.memory_per_client"]
    let symbols = (0..<symbolCount).map(benchSymbol)
    guard let rig = FanOutRig(name: "gateway.fanout", clients: FanOutClient.spread(clients, over: symbolCount), symbols: symbols) else {
        return names.map { BenchmarkResult(name: $0, value: .nan, unit: "", runs: 0) }
    }
    defer { rig.stop() }
    var byteRates: [Double] = []
    let rate = medianOf(runs: gatewayRuns) {
        guard let run = rig.run(ticks: ticks, { k in benchQuote(k % symbolCount, seq: 0, step: k / symbolCount + 1) }) else { return .nan }
        byteRates.append(run.bytesPerSecond)
        return run.messagesPerSecond
    }
    rig.warnIfConflated()
    return [BenchmarkResult(name: "gateway.fanout.msgs", value: rate, unit: "msgs/s", runs: gatewayRuns),
            BenchmarkResult(name: "gateway.fanout.bytes", value: median(byteRates), unit: "bytes/s", runs: byteRates.count),
            BenchmarkResult(name: "gateway.fanout.memory_per_client", value: rig.memoryPerClient(), unit: "bytes", runs: 1)]
}

/// One client of a `FanOutRig`: what it offers, the depth and the symbols (indexes) it subscribes to.
struct FanOutClient {
    /// Its `Sec-WebSocket-Extensions` offer (nil: none).
    var offer: String?
    var depth = 10
    var symbols: [Int]
    /// More subscribe fields, each with its leading comma (e.g. `,"channels":["stats"]`).
    var requestFields = ""

    /// `count` clients on 10 symbols each, spread so every one of `symbols` has count × 10 / symbols subscribers.
    static func spread(_ count: Int, over symbols: Int, offer: String? = nil) -> [FanOutClient] {
        (0..<count).map { c in
            FanOutClient(offer: offer, symbols: (0..<symbolsPerClient).map { (c + $0 * (symbols / symbolsPerClient)) % symbols })
        }
    }
}

/// One timed run of a `FanOutRig`.
struct FanOutRun {
    /// Messages the clients read per second (every subscriber's copy counts).
    var messagesPerSecond: Double
    /// Bytes they read per second.
    var bytesPerSecond: Double
    /// Bytes read per message (frame headers included).
    var bytesPerMessage: Double
    /// CPU time of the server's loop thread (the gateway and the server) per message delivered, ns.
    var serverNanosecondsPerMessage: Double
    /// Messages delivered (every subscriber's copy counts) and ticks written.
    var messages = 0
    var ticks = 0
}

/// Ring → gateway (last-value cache, per-depth encode-once, coalesced writev) → real WebSocket client
/// sockets on loopback, subscribed as their `FanOutClient`s say, read by a `FrameCounter` thread
/// (which hands whole frames to `frame` when given). A gating ring reader: the producer waits for the
/// gateway rather than lapping it, so nothing is lost. `deflate` is what the server answers offers with.
final class FanOutRig {
    let server: WebSocketServer
    let gateway: Gateway
    /// The clients connected (fewer than asked when descriptors ran short), in connection order.
    private(set) var clients: [FanOutClient]
    private let name: String
    private let ring: BroadcastRing
    private let box: WriterBox
    private var seqs: [UInt16: UInt64] = [:]
    /// Per locate, per depth 1...10: how many clients subscribed at that depth.
    private var subscribers: [UInt16: [Int]] = [:]
    private var fds: [Int32] = []
    private var counter: FrameCounter?
    private let finished = DispatchSemaphore(value: 0)
    /// The server loop thread's CPU time.
    private let serverClock = ThreadCPUClock()
    private var residentBefore = 0
    /// Resident growth per client once every client has its snapshots, bytes.
    private(set) var memoryAfterSubscribing = 0.0

    private final class WriterBox: @unchecked Sendable {
        // @unchecked: used by the benchmark's thread only.
        var writer: RingWriter
        init(_ w: consuming RingWriter) { writer = w }
    }

    /// Starts the server, primes one tick per symbol (symbol i gets locate i + 1), connects and
    /// subscribes the clients and waits for their snapshots; nil (after saying why) when any of it fails.
    init?(name: String, clients wanted: [FanOutClient], symbols: [Symbol], deflate: DeflateConfiguration = DeflateConfiguration(),
          frame: FrameCounter.FrameHandler? = nil) {
        self.name = name
        clients = Array(wanted.prefix((raiseOpenFileLimit(to: 2 * wanted.count + 256) - 256) / 2))
        guard let ring = try? BroadcastRing(RingConfiguration(capacity: 1 << 14, readers: [.gating])) else { return nil }
        self.ring = ring
        var configuration = GatewayConfiguration()
        configuration.clientBuffer = 8 << 20
        configuration.clientBufferMax = 64 << 20
        if let text = ProcessInfo.processInfo.environment["QC_MESSAGES_PER_TURN"], let n = Int(text) { configuration.messagesPerTurn = n }
        gateway = Gateway(reader: ring.makeReader(0), configuration: configuration)
        let router = HTTPRouter()
        router.webSocket("/v1/stream", gateway)
        var serverConfiguration = WebSocketServerConfiguration(listen: SocketAddress(host: "127.0.0.1", port: 0)!)
        serverConfiguration.maxConnections = clients.count + 64
        serverConfiguration.maxPendingBytes = 128 << 20
        serverConfiguration.pingInterval = 3600
        serverConfiguration.deflate = deflate
        guard let server = try? WebSocketServer(configuration: serverConfiguration, delegate: router),
              (try? gateway.attach(to: server)) != nil else {
            printError("\(name): server did not start")
            return nil
        }
        self.server = server
        box = WriterBox(ring.makeWriter())
        let clock = serverClock
        let thread = Thread { [finished] in
            clock.attachToCurrentThread()
            server.run()
            finished.signal()
        }
        thread.name = "bench-gateway"
        thread.start()
        for (i, symbol) in symbols.enumerated() {
            var t = benchQuote(0, seq: 0, step: 0)
            t.symbol = symbol
            t.locate = UInt16(i + 1)
            write(t)
        }
        box.writer.flush()
        usleep(100_000)
        residentBefore = residentKiB()
        for client in clients {
            let extra = client.offer.map { "Sec-WebSocket-Extensions: \($0)\r\n" } ?? ""
            guard let fd = wsConnect(port: server.localAddress.port, path: "/v1/stream", extraHeaders: extra) else {
                printError("\(name): connect failed (errno \(errno))")
                stop()
                return nil
            }
            fds.append(fd)
            for i in client.symbols { subscribers[UInt16(i + 1), default: Array(repeating: 0, count: Tick.depth)][client.depth - 1] += 1 }
            let names = client.symbols.map { "\"\(symbols[$0])\"" }.joined(separator: ",")
            let request = ClientFrame.text("{\"op\":\"subscribe\",\"symbols\":[\(names)],\"depth\":\(client.depth)\(client.requestFields)}", maskKey: 0x4433_2211)
            guard request.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == request.count else { stop(); return nil }
        }
        guard let counter = try? FrameCounter(fds: fds, frame: frame) else { stop(); return nil }
        self.counter = counter
        counter.start()
        // subscribed + a snapshot per symbol, per client.
        let expected = clients.reduce(0) { $0 + 1 + $1.symbols.count }
        guard counter.wait(for: expected, seconds: 60) else {
            printError("\(name): snapshots missing (\(counter.frames.load(ordering: .relaxed)) of \(expected) frames)")
            stop()
            return nil
        }
        memoryAfterSubscribing = Double(residentKiB() - residentBefore) * 1024 / Double(clients.count)
    }

    /// Stops the drain thread and the server, closes the clients.
    func stop() {
        counter?.stop()
        counter = nil
        server.stop()
        ring.close()
        finished.wait()
        for fd in fds { close(fd) }
        fds = []
    }

    /// Writes `tick` with the next seq of its locate; returns how many clients it goes to.
    @discardableResult
    private func write(_ tick: Tick) -> Int {
        var t = tick
        let seq = (seqs[t.locate] ?? 0) + 1
        seqs[t.locate] = seq
        t.seq = seq
        t.receiveTime = Clock.realtime()
        _ = box.writer.write(t)
        guard let perDepth = subscribers[t.locate] else { return 0 }
        // A quote reaches the depths deeper than its changed level; trades and status reach every depth.
        let first = t.kind == .quote ? Int(t.changedLevel) : 0
        return first < Tick.depth ? perDepth[first...].reduce(0, +) : 0
    }

    /// Writes `tick` (with the next seq of its locate) and publishes it, without waiting for delivery.
    func publish(_ tick: Tick) {
        write(tick)
        box.writer.flush()
    }

    /// Frames the clients read so far.
    var framesRead: Int { counter?.frames.load(ordering: .relaxed) ?? 0 }

    /// Writes `ticks` ticks (`tick(k)`; its seq and receive time are set here) and times until every
    /// subscriber read its copy; nil when they did not within two minutes.
    func run(ticks: Int, _ tick: (Int) -> Tick) -> FanOutRun? {
        guard let counter else { return nil }
        let startFrames = counter.frames.load(ordering: .relaxed)
        let startBytes = counter.bytes.load(ordering: .relaxed)
        let startCPU = serverClock.nanoseconds()
        let start = Clock.monotonic()
        var messages = 0
        for k in 0..<ticks { messages += write(tick(k)) }
        box.writer.flush()
        guard counter.wait(for: startFrames + messages, seconds: 120) else {
            printError("\(name): clients read \(counter.frames.load(ordering: .relaxed) - startFrames) of \(messages) messages")
            return nil
        }
        let seconds = Double(Clock.monotonic() - start) / 1e9
        let bytes = Double(counter.bytes.load(ordering: .relaxed) - startBytes)
        return FanOutRun(messagesPerSecond: Double(messages) / seconds, bytesPerSecond: bytes / seconds,
                         bytesPerMessage: bytes / Double(max(1, messages)),
                         serverNanosecondsPerMessage: Double(serverClock.nanoseconds() - startCPU) / Double(max(1, messages)),
                         messages: messages, ticks: ticks)
    }

    /// Resident growth per client: the larger of after-subscribe and now (queues, allocator growth), bytes.
    func memoryPerClient() -> Double {
        max(memoryAfterSubscribing, Double(residentKiB() - residentBefore) * 1024 / Double(clients.count))
    }

    /// Says so when some clients were conflated (the figures count frames anyway).
    func warnIfConflated() {
        if gateway.statistics.clientsConflating.load(ordering: .relaxed) != 0 || gateway.statistics.conflatedQuotes.load(ordering: .relaxed) != 0 {
            printError("\(name): some clients were conflated; the figure counts frames anyway")
        }
    }
}

/// Another thread's CPU time, readable from any thread (`pthread_getcpuclockid`): the thread calls
/// `attachToCurrentThread()` once; until then it reads 0.
final class ThreadCPUClock: Sendable {
    private let id = Mutex<clockid_t?>(nil)

    /// Makes this the clock of the calling thread.
    func attachToCurrentThread() {
        var clock = clockid_t()
        if pthread_getcpuclockid(pthread_self(), &clock) == 0 { id.withLock { $0 = clock } }
    }

    /// The thread's CPU time so far, nanoseconds.
    func nanoseconds() -> UInt64 {
        guard let clock = id.withLock({ $0 }) else { return 0 }
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

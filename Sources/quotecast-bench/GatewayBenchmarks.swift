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

/// Counts whole server frames per connection (header parsed, payload skipped) on its own thread.
private final class FrameCounter: @unchecked Sendable {
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

    init(fds: [Int32]) throws {
        loop = try EventLoop(batch: 1024)
        self.fds = fds
        skip = Array(repeating: 0, count: fds.count)
        header = Array(repeating: [], count: fds.count)
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

private func benchSymbol(_ i: Int) -> Symbol { Symbol("S\(i)")! }

/// A quote of symbol `i` with 10 levels a side, moved by `step`.
private func benchQuote(_ i: Int, seq: UInt64, step: Int) -> Tick {
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
private func gatewayFanout(clients requested: Int, ticks: Int) -> [BenchmarkResult] {
    let names = ["gateway.fanout.msgs", "gateway.fanout.bytes", "gateway.fanout.memory_per_client"]
    let failed = names.map { BenchmarkResult(name: $0, value: .nan, unit: "", runs: 0) }
    let clients = min(requested, (raiseOpenFileLimit(to: 2 * requested + 256) - 256) / 2)
    // A gating reader: the producer waits for the gateway instead of lapping it, so nothing is lost.
    guard let ring = try? BroadcastRing(RingConfiguration(capacity: 1 << 14, readers: [.gating])) else { return failed }
    var configuration = GatewayConfiguration()
    configuration.clientBuffer = 8 << 20
    configuration.clientBufferMax = 64 << 20
    if let text = ProcessInfo.processInfo.environment["QC_MESSAGES_PER_TURN"], let n = Int(text) { configuration.messagesPerTurn = n }
    let gateway = Gateway(reader: ring.makeReader(0), configuration: configuration)
    let router = HTTPRouter()
    router.webSocket("/v1/stream", gateway)
    var serverConfiguration = WebSocketServerConfiguration(listen: SocketAddress(host: "127.0.0.1", port: 0)!)
    serverConfiguration.maxConnections = clients + 64
    serverConfiguration.maxPendingBytes = 128 << 20
    serverConfiguration.pingInterval = 3600
    guard let server = try? WebSocketServer(configuration: serverConfiguration, delegate: router),
          (try? gateway.attach(to: server)) != nil else { printError("gateway.fanout: server did not start"); return failed }
    let finished = DispatchSemaphore(value: 0)
    let serverThread = Thread {
        server.run()
        finished.signal()
    }
    serverThread.name = "bench-gateway"
    serverThread.start()
    final class WriterBox: @unchecked Sendable { var writer: RingWriter; init(_ w: consuming RingWriter) { writer = w } }
    let box = WriterBox(ring.makeWriter())
    var seqs = [UInt64](repeating: 0, count: symbolCount)
    func writeQuote(_ i: Int, step: Int) {
        seqs[i] += 1
        _ = box.writer.write(benchQuote(i, seq: seqs[i], step: step))
    }
    for i in 0..<symbolCount { writeQuote(i, step: 0) }
    box.writer.flush()
    usleep(100_000)

    let before = residentKiB()
    var fds: [Int32] = []
    defer {
        server.stop()
        ring.close()
        finished.wait()
        for fd in fds { close(fd) }
    }
    for c in 0..<clients {
        guard let fd = wsConnect(port: server.localAddress.port, path: "/v1/stream") else { printError("gateway.fanout: connect failed (errno \(errno))"); return failed }
        let symbols = (0..<symbolsPerClient).map { "\"\(benchSymbol((c + $0 * (symbolCount / symbolsPerClient)) % symbolCount))\"" }
        let request = ClientFrame.text("{\"op\":\"subscribe\",\"symbols\":[\(symbols.joined(separator: ","))]}", maskKey: 0x4433_2211)
        guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else { return failed }
        fds.append(fd)
    }
    guard let counter = try? FrameCounter(fds: fds) else { return failed }
    counter.start()
    defer { counter.stop() }
    // subscribed + 10 snapshots per client.
    guard counter.wait(for: clients * (1 + symbolsPerClient), seconds: 60) else {
        printError("gateway.fanout: snapshots missing (\(counter.frames.load(ordering: .relaxed)))")
        return failed
    }
    let perClient = Double(residentKiB() - before) * 1024 / Double(clients)
    let subscribersPerSymbol = clients * symbolsPerClient / symbolCount

    var byteRates: [Double] = []
    let rate = medianOf(runs: gatewayRuns) {
        let startFrames = counter.frames.load(ordering: .relaxed)
        let startBytes = counter.bytes.load(ordering: .relaxed)
        let start = Clock.monotonic()
        for k in 0..<ticks { writeQuote(k % symbolCount, step: k / symbolCount + 1) }
        box.writer.flush()
        let target = startFrames + ticks * subscribersPerSymbol
        guard counter.wait(for: target, seconds: 120) else {
            printError("gateway.fanout: clients read \(counter.frames.load(ordering: .relaxed) - startFrames) of \(ticks * subscribersPerSymbol) messages")
            return .nan
        }
        let seconds = Double(Clock.monotonic() - start) / 1e9
        byteRates.append(Double(counter.bytes.load(ordering: .relaxed) - startBytes) / seconds)
        return Double(ticks * subscribersPerSymbol) / seconds
    }
    // Memory per client: the larger of after-subscribe and after-load (queues, allocator growth).
    let perClientLoaded = Double(residentKiB() - before) * 1024 / Double(clients)
    if gateway.statistics.clientsConflating.load(ordering: .relaxed) != 0 || gateway.statistics.conflatedQuotes.load(ordering: .relaxed) != 0 {
        printError("gateway.fanout: some clients were conflated; the figure counts frames anyway")
    }
    return [BenchmarkResult(name: "gateway.fanout.msgs", value: rate, unit: "msgs/s", runs: gatewayRuns),
            BenchmarkResult(name: "gateway.fanout.bytes", value: median(byteRates), unit: "bytes/s", runs: byteRates.count),
            BenchmarkResult(name: "gateway.fanout.memory_per_client", value: max(perClient, perClientLoaded), unit: "bytes", runs: 1)]
}

// Benchmarks of the WebSocket server (issue 5): fan-out of one shared ~100-byte text frame to 1 000
// raw-socket clients on loopback, and echo round trips of one client. Server and clients share the
// machine (2 vCPUs here): the figures are the whole loopback path, not the server alone.
import CShim
import Foundation
import Glibc
import Sockets
import StreamClient
import Synchronization
import System
import WebSocket

/// The WebSocket suite: `ws.fanout` (reports `ws.fanout.frames` and `ws.fanout.bytes`), `ws.echo`.
let webSocketSuite: [Benchmark] = [
    Benchmark(name: "ws.fanout") {
        wsFanout(clients: isOptimizedBuild ? 1000 : 100, rounds: isOptimizedBuild ? 200 : 20)
    },
    Benchmark(name: "ws.echo") { wsEcho(roundTrips: isOptimizedBuild ? 50_000 : 1000) },
]

private let wsRuns = 5

// MARK: the in-process server

/// Upgrades `/feed` (fan-out targets), `/control` (the benchmark's trigger) and `/echo`. A message
/// on `/control` carrying a decimal count R makes the server send the shared frame R times to every
/// `/feed` client, from the loop thread (where `send` must be called).
private final class FanoutBenchDelegate: WebSocketServerDelegate {
    let frame: WebSocketFrame
    private(set) var feeds: [WebSocketClient] = []
    let opened = Atomic<Int>(0)

    init(frame: WebSocketFrame) { self.frame = frame }

    func route(_ request: HTTPRequest, server: WebSocketServer) -> HTTPRoute {
        ["/feed", "/control", "/echo"].contains(request.path) ? .upgrade : .respond(.text(.notFound))
    }

    func webSocketDidOpen(_ client: WebSocketClient, server: WebSocketServer) {
        if client.path == "/feed" { feeds.append(client) }
        opened.wrappingAdd(1, ordering: .releasing)
    }

    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, server: WebSocketServer) {
        switch client.path {
        case "/echo":
            server.send(WebSocketFrame(opcode: isText ? .text : .binary, payload: payload), to: client)
        case "/control":
            let rounds = Int(String(decoding: payload, as: UTF8.self)) ?? 0
            for _ in 0..<rounds {
                for feed in feeds { server.send(frame, to: feed) }
            }
        default:
            break
        }
    }

    func webSocketDidClose(_ client: WebSocketClient, code: WebSocketCloseCode, server: WebSocketServer) {}
}

/// A server running on its own thread until `shutdown()`.
private final class RunningServer: @unchecked Sendable {
    // @unchecked: `server` is thread-safe for `stop()`/`localAddress`; the delegate is touched by
    // the loop thread only, apart from its atomic `opened`.
    let server: WebSocketServer
    let delegate: FanoutBenchDelegate
    private let finished = DispatchSemaphore(value: 0)

    init(frame: WebSocketFrame) throws {
        delegate = FanoutBenchDelegate(frame: frame)
        var configuration = WebSocketServerConfiguration(listen: SocketAddress(host: "127.0.0.1", port: 0)!)
        configuration.maxConnections = 100_000
        configuration.maxPendingBytes = 256 << 20
        configuration.pingInterval = 3600
        server = try WebSocketServer(configuration: configuration, delegate: delegate)
        let thread = Thread { [self] in
            server.run()
            finished.signal()
        }
        thread.name = "bench-ws-server"
        thread.start()
    }

    func shutdown() {
        server.stop()
        finished.wait()
    }
}

// MARK: raw clients


/// Connects (blocking) to 127.0.0.1:`port`, performs the opening handshake for `path` (with
/// `extraHeaders`, CRLF-terminated header lines) and returns the socket (still blocking), or nil on failure.
func wsConnect(port: UInt16, path: String, extraHeaders: String = "") -> Int32? {
    guard let fd = connectLoopback(port: port) else { return nil }
    var one: Int32 = 1
    _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n"
    guard writeAll(fd, Array(request.utf8)) else { close(fd); return nil }
    // Read the response head byte by byte so nothing after it is consumed.
    var head: [UInt8] = []
    var byte: UInt8 = 0
    while !(head.count >= 4 && head.suffix(4).elementsEqual([13, 10, 13, 10])) {
        guard read(fd, &byte, 1) == 1, head.count < 4096 else { close(fd); return nil }
        head.append(byte)
    }
    guard String(decoding: head.prefix(12), as: UTF8.self).hasPrefix("HTTP/1.1 101") else { close(fd); return nil }
    return fd
}

/// A blocking TCP socket connected to 127.0.0.1:`port`, nil when the connect failed.
func connectLoopback(port: UInt16) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { close(fd); return nil }
    return fd
}

private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        offset += n
    }
    return true
}

private func readExactly(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ count: Int) -> Bool {
    var offset = 0
    while offset < count {
        let n = read(fd, buffer.baseAddress! + offset, count - offset)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        offset += n
    }
    return true
}

/// Drains the fan-out clients on its own thread with an epoll loop until `target` bytes arrived
/// (or 60 s passed) and records when.
private final class Drainer: @unchecked Sendable {
    // @unchecked: `loop` and `fds` are used by one thread at a time (the semaphore orders them);
    // `endNanoseconds`/`received` are written by the drain thread before it signals.
    let loop: EventLoop
    let fds: [Int32]
    var endNanoseconds: UInt64 = 0
    var received = 0
    private let done = DispatchSemaphore(value: 0)

    init(fds: [Int32]) throws {
        loop = try EventLoop(batch: 1024)
        self.fds = fds
        for (index, fd) in fds.enumerated() {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            try loop.add(Descriptor(rawValue: fd), events: .readable, token: UInt64(index))
        }
    }

    func start(target: Int) {
        received = 0
        endNanoseconds = 0
        let thread = Thread { [self] in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
            defer { buffer.deallocate() }
            let deadline = Clock.monotonic() + 60_000_000_000
            var total = 0
            while total < target && Clock.monotonic() < deadline {
                _ = try? loop.wait(timeoutMilliseconds: 100) { token, _ in
                    guard token != EventLoop.wakeToken else { return }
                    let fd = fds[Int(token)]
                    while true {
                        let n = read(fd, buffer.baseAddress, buffer.count)
                        if n > 0 { total += n; if n < buffer.count { break } else { continue } }
                        break
                    }
                }
            }
            received = total
            endNanoseconds = Clock.monotonic()
            done.signal()
        }
        thread.name = "bench-ws-drain"
        thread.start()
    }

    func wait() { done.wait() }
}

// MARK: benchmarks

/// `clients` connections on `/feed`; each run asks the server (through `/control`) to send the
/// shared frame `rounds` times to every one, and times until the clients have read all of it.
private func wsFanout(clients requested: Int, rounds: Int) -> [BenchmarkResult] {
    let payload = String(repeating: "q", count: 98)                // 2-byte header: 100 bytes on the wire
    let frame = WebSocketFrame.text(payload)
    let limit = raiseOpenFileLimit(to: 2 * requested + 256)
    let clients = min(requested, max(1, (limit - 256) / 2))
    if clients < requested { printError("ws.fanout: descriptor limit \(limit): \(clients) clients instead of \(requested)") }
    let failed = [BenchmarkResult(name: "ws.fanout.frames", value: .nan, unit: "frames/s", runs: 0),
                  BenchmarkResult(name: "ws.fanout.bytes", value: .nan, unit: "bytes/s", runs: 0)]
    guard let running = try? RunningServer(frame: frame) else { printError("ws.fanout: server did not start"); return failed }
    defer { running.shutdown() }
    let port = running.server.localAddress.port
    var fds: [Int32] = []
    defer { for fd in fds { close(fd) } }
    for _ in 0..<clients {
        guard let fd = wsConnect(port: port, path: "/feed") else { printError("ws.fanout: handshake failed (errno \(errno))"); return failed }
        fds.append(fd)
    }
    guard let control = wsConnect(port: port, path: "/control") else { printError("ws.fanout: control handshake failed"); return failed }
    defer { close(control) }
    // Wait until the server has registered every client (the 101 is queued before the delegate runs).
    while running.delegate.opened.load(ordering: .acquiring) < clients + 1 { usleep(1000) }
    guard let drainer = try? Drainer(fds: fds) else { printError("ws.fanout: epoll failed"); return failed }
    let trigger = ClientFrame.text(String(rounds), maskKey: 0x7856_3412)
    let target = clients * rounds * frame.bytes.count
    var byteRates: [Double] = []
    let frameRate = medianOf(runs: wsRuns) {
        drainer.start(target: target)
        let start = Clock.monotonic()
        guard writeAll(control, trigger) else { drainer.wait(); return .nan }
        drainer.wait()
        guard drainer.received == target else {
            printError("ws.fanout: clients read \(drainer.received) of \(target) bytes")
            return .nan
        }
        let seconds = Double(drainer.endNanoseconds - start) / 1e9
        byteRates.append(Double(target) / seconds)
        return Double(clients * rounds) / seconds
    }
    return [BenchmarkResult(name: "ws.fanout.frames", value: frameRate, unit: "frames/s", runs: wsRuns),
            BenchmarkResult(name: "ws.fanout.bytes", value: median(byteRates), unit: "bytes/s", runs: byteRates.count)]
}

/// One client on `/echo` sending a 16-byte text message and waiting for its echo, `roundTrips` times.
private func wsEcho(roundTrips: Int) -> [BenchmarkResult] {
    let frame = WebSocketFrame.text("")
    guard let running = try? RunningServer(frame: frame) else { printError("ws.echo: server did not start"); return [] }
    defer { running.shutdown() }
    guard let fd = wsConnect(port: running.server.localAddress.port, path: "/echo") else {
        printError("ws.echo: handshake failed")
        return [BenchmarkResult(name: "ws.echo", value: .nan, unit: "round trips/s", runs: 0)]
    }
    defer { close(fd) }
    let message = Array("0123456789abcdef".utf8)
    let request = ClientFrame.text(String(decoding: message, as: UTF8.self), maskKey: 0x7856_3412)
    let expected: [UInt8] = [0x81, UInt8(message.count)] + message
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: expected.count, alignment: 16)
    defer { buffer.deallocate() }
    let rate = medianOf(runs: wsRuns) {
        let start = Clock.monotonic()
        for _ in 0..<roundTrips {
            guard writeAll(fd, request), readExactly(fd, buffer, expected.count),
                  buffer.elementsEqual(expected) else {
                printError("ws.echo: bad or missing echo")
                return .nan
            }
        }
        return Double(roundTrips) / (Double(Clock.monotonic() - start) / 1e9)
    }
    return [BenchmarkResult(name: "ws.echo", value: rate, unit: "round trips/s", runs: wsRuns)]
}

import Foundation
import Sockets
import Testing
@testable import WebSocket

/// A `WebSocketServer` running on its own thread for one test, on an ephemeral loopback port.
final class RunningServer: @unchecked Sendable {
    let server: WebSocketServer
    private let done = DispatchSemaphore(value: 0)

    init(delegate: WebSocketServerDelegate = EchoHandler(path: "/echo"), configure: (inout WebSocketServerConfiguration) -> Void = { _ in }) throws {
        var configuration = WebSocketServerConfiguration(listen: SocketAddress(host: "127.0.0.1", port: 0)!)
        configure(&configuration)
        server = try WebSocketServer(configuration: configuration, delegate: delegate)
        let server = self.server
        let done = self.done
        let thread = Thread {
            server.run()
            done.signal()
        }
        thread.start()
    }

    var address: SocketAddress { server.localAddress }

    /// Stops the server and waits (bounded) for its loop to return.
    func stop() {
        server.stop()
        #expect(done.wait(timeout: .now() + 10) == .success, "server loop did not stop")
    }
}

/// A blocking test client over a raw socket: writes what it is told, reads with timeouts.
///
/// A class whose `close()` closes its descriptor once, however often it is called (a test's explicit
/// close and its `defer`): tests run in parallel in one process, and a second `close` of a number the
/// kernel has since given to another test's socket closes that one instead ("write: Bad file
/// descriptor" in an unrelated test, seen in a flake hunt).
final class RawClient {
    let tcp: TCPConnection
    private var closed = false

    init(_ address: SocketAddress) throws {
        tcp = try TCPConnection.connect(to: address, blocking: true)
    }

    /// A client over a connection made elsewhere (from a chosen source address).
    init(tcp: TCPConnection) { self.tcp = tcp }

    func close() {
        guard !closed else { return }
        closed = true
        tcp.close()
    }

    /// Sets the socket's receive buffer (SO_RCVBUF) to `bytes`, before the upgrade: a client that
    /// reads slowly, whose window fills after a few kilobytes.
    func shrinkReceiveBuffer(to bytes: Int32 = 4096) {
        var size = bytes
        setsockopt(tcp.descriptor.rawValue, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    func write(_ bytes: [UInt8]) throws { try tcp.writeAll(bytes) }

    func write(_ text: String) throws { try tcp.writeAll(Array(text.utf8)) }

    /// Reads exactly `count` bytes, or fewer if the stream ends or `timeout` passes.
    func read(_ count: Int, timeout: Double = 5) -> [UInt8] {
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while out.count < count {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { break }
            var p = pollfd(fd: tcp.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, Int32(left * 1000) + 1) <= 0 { continue }
            let n = chunk.withUnsafeMutableBytes { recv(tcp.descriptor.rawValue, $0.baseAddress, min(65536, count - out.count), 0) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    /// Whether the server closed the stream (EOF or reset) within `timeout`.
    func closedByServer(timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while deadline.timeIntervalSinceNow > 0 {
            var p = pollfd(fd: tcp.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 50) <= 0 { continue }
            let n = chunk.withUnsafeMutableBytes { recv(tcp.descriptor.rawValue, $0.baseAddress, 4096, 0) }
            if n <= 0 { return true }
        }
        return false
    }

    /// Reads one HTTP response head (up to the blank line) and returns it as text.
    func readHead(timeout: Double = 5) -> String {
        var head: [UInt8] = []
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let b = read(1, timeout: timeout)
            if b.isEmpty { break }
            head += b
        }
        return String(decoding: head, as: UTF8.self)
    }

    /// Reads one HTTP response with its Content-Length body.
    func readResponse(timeout: Double = 5) -> (head: String, body: String) {
        let head = readHead(timeout: timeout)
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        return (head, String(decoding: read(length, timeout: timeout), as: UTF8.self))
    }

    /// Performs the opening handshake on `path`; returns the response head.
    @discardableResult
    func upgrade(_ path: String = "/echo", extra: String = "") throws -> String {
        try write("GET \(path) HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extra)\r\n")
        return readHead()
    }

    /// Reads one server frame: opcode and payload (nil on timeout or end of stream). Server frames
    /// must be unmasked; a masked one is a test failure.
    func readFrame(timeout: Double = 5) -> (opcode: UInt8, payload: [UInt8])? {
        let h = read(2, timeout: timeout)
        guard h.count == 2 else { return nil }
        #expect(h[1] & 0x80 == 0, "server frames must not be masked")
        var length = Int(h[1] & 0x7F)
        if length == 126 {
            let e = read(2, timeout: timeout)
            guard e.count == 2 else { return nil }
            length = Int(e[0]) << 8 | Int(e[1])
        } else if length == 127 {
            let e = read(8, timeout: timeout)
            guard e.count == 8 else { return nil }
            length = e.reduce(0) { $0 << 8 | Int($1) }
        }
        let payload = read(length, timeout: timeout)
        guard payload.count == length else { return nil }
        return (h[0] & 0x0F, payload)
    }

    /// Reads frames until a close frame and returns its code (nil if none arrived).
    func readCloseCode(timeout: Double = 5) -> UInt16? {
        while let f = readFrame(timeout: timeout) {
            if f.opcode == 8 { return f.payload.count >= 2 ? UInt16(f.payload[0]) << 8 | UInt16(f.payload[1]) : 1005 }
        }
        return nil
    }
}

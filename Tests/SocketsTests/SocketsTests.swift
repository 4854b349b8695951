import Foundation
import Sockets
import Testing

/// The typed socket layer: addresses, errors, a listener, a connection and the epoll loop, on
/// real loopback sockets with ephemeral ports.
@Suite struct SocketsTests {
    @Test func parsesHostPort() {
        #expect(SocketAddress(parsing: "127.0.0.1:8080")?.port == 8080)
        #expect(SocketAddress(parsing: "localhost:1")?.host == "127.0.0.1")
        #expect(SocketAddress(parsing: ":9")?.host == "0.0.0.0")
        #expect(SocketAddress(parsing: "127.0.0.1") == nil)
        #expect(SocketAddress(parsing: "300.0.0.1:80") == nil)
        #expect(SocketAddress(parsing: "127.0.0.1:65536") == nil)
        #expect(SocketAddress(parsing: "example.com:80") == nil)
    }

    @Test func aSystemErrorNamesTheCallAndErrno() {
        let e = SystemError("bind", errno: EADDRINUSE)
        #expect(e.description.hasPrefix("bind: "))
        #expect(e.description.contains("errno \(EADDRINUSE)"))
        #expect(SystemError("read", errno: EAGAIN).wouldBlock)
    }

    @Test func bindingABusyPortThrowsEADDRINUSE() throws {
        let first = try TCPListener(binding: SocketAddress(host: "127.0.0.1", port: 0)!)
        defer { first.close() }
        #expect(throws: SystemError("bind", errno: EADDRINUSE)) {
            _ = try TCPListener(binding: first.localAddress)
        }
    }

    @Test func listenerConnectionAndLoopMoveBytesBothWays() throws {
        let listener = try TCPListener(binding: SocketAddress(host: "127.0.0.1", port: 0)!)
        defer { listener.close() }
        #expect(listener.localAddress.port != 0)
        #expect(try listener.accept() == nil)  // nothing pending: non-blocking
        let loop = try EventLoop()
        try loop.add(listener.descriptor, events: .readable, token: 1)
        let client = try TCPConnection.connect(to: listener.localAddress, blocking: true)
        defer { client.close() }

        var acceptable = false
        for _ in 0..<20 where !acceptable {
            try loop.wait(timeoutMilliseconds: 100) { token, events in
                if token == 1 && events.contains(.readable) { acceptable = true }
            }
        }
        #expect(acceptable)
        let server = try #require(try listener.accept())
        defer { server.close() }
        try loop.add(server.descriptor, events: .readable, token: 2)

        try client.writeAll(Array("hello".utf8))
        var readable = false
        for _ in 0..<20 where !readable {
            try loop.wait(timeoutMilliseconds: 100) { token, _ in if token == 2 { readable = true } }
        }
        #expect(readable)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buffer.deallocate() }
        #expect(server.read(into: buffer) == .bytes(5))
        #expect(server.read(into: buffer) == .wouldBlock)

        // writev gathers several buffers into one write.
        let parts: [[UInt8]] = [Array("ab".utf8), Array("cd".utf8), Array("e".utf8)]
        let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: 3)
        defer { vectors.deallocate() }
        var result = IOResult.wouldBlock
        parts[0].withUnsafeBytes { a in parts[1].withUnsafeBytes { b in parts[2].withUnsafeBytes { c in
            for (i, p) in [a, b, c].enumerated() {
                vectors[i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: p.baseAddress!), iov_len: p.count)
            }
            result = server.write(vectors: vectors, count: 3)
        } } }
        #expect(result == .bytes(5))
        var got = [UInt8](repeating: 0, count: 5)
        let n = got.withUnsafeMutableBytes { recv(client.descriptor.rawValue, $0.baseAddress, 5, Int32(MSG_WAITALL)) }
        #expect(n == 5 && got == Array("abcde".utf8))

        client.shutdownWrite()
        var eof = IOResult.wouldBlock
        for _ in 0..<20 where eof == .wouldBlock {
            try loop.wait(timeoutMilliseconds: 100) { _, _ in }
            eof = server.read(into: buffer)
        }
        #expect(eof == .endOfStream)
    }

    @Test func wakeInterruptsAWaitFromAnotherThread() throws {
        let loop = try EventLoop()
        let waker = Thread { usleep(50_000); loop.wake() }
        waker.start()
        var woken = false
        for _ in 0..<40 where !woken {
            try loop.wait(timeoutMilliseconds: 100) { token, _ in if token == EventLoop.wakeToken { woken = true } }
        }
        #expect(woken)
    }
}

import Glibc
import Sockets
import Testing
@testable import WebSocket

/// A connection's queued frames go out in as few `writev` calls as the socket allows, and the calls
/// are counted (the server's `quotecast_websocket_write_calls_total`).
@Suite struct OutboundQueueTests {
    /// A connected pair of stream sockets: the queue writes to `writer`, the test reads `reader`.
    func socketPair() throws -> (writer: TCPConnection, reader: Int32) {
        var fds: [Int32] = [0, 0]
        let rc = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds)
        try #require(rc == 0, "socketpair errno \(errno)")
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (TCPConnection(descriptor: Descriptor(rawValue: fds[0]), peer: SocketAddress(host: "127.0.0.1", port: 1)!), fds[1])
    }

    func readAll(_ fd: Int32, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while out.count < count {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65_536, 0) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    /// Queues `count` small text frames and flushes them with `vectorCount` vectors per `writev`:
    /// the calls counted, and whether the reader got exactly the frames' bytes in order.
    func flush(frames count: Int, vectorCount: Int) throws -> (calls: Int, inOrder: Bool) {
        let (writer, reader) = try socketPair()
        defer { writer.close(); close(reader) }
        var queue = OutboundQueue()
        var expected: [UInt8] = []
        for i in 0..<count {
            let frame = WebSocketFrame.text("{\"n\":\(i)}")
            queue.append(frame)
            expected += frame.bytes
        }
        let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: vectorCount)
        defer { vectors.deallocate() }
        var calls = 0
        guard case .done = queue.flush(to: writer, vectors: vectors, vectorCount: vectorCount, writeCalls: &calls) else {
            Issue.record("the socket did not take \(count) small frames")
            return (calls, false)
        }
        #expect(queue.isEmpty && queue.pendingBytes == 0)
        return (calls, readAll(reader, count: expected.count) == expected)
    }

    @Test func fiftyQueuedFramesGoOutInOneWriteAndInOrder() throws {
        let result = try flush(frames: 50, vectorCount: 1024)
        #expect(result.calls == 1)
        #expect(result.inOrder)
    }

    @Test func theVectorLimitSplitsTheWritesAndEveryCallIsCounted() throws {
        let result = try flush(frames: 10, vectorCount: 4)
        #expect(result.calls == 3)  // 4 + 4 + 2 frames
        #expect(result.inOrder)
    }

    /// A queue of `count` frames of exactly `length` bytes on the wire each (2-byte header, text
    /// payload), and the bytes they make together.
    func queued(_ count: Int, framesOf length: Int) -> (OutboundQueue, [UInt8]) {
        var queue = OutboundQueue()
        var expected: [UInt8] = []
        for _ in 0..<count {
            let frame = WebSocketFrame.text(String(repeating: "a", count: length - 2))
            queue.append(frame)
            expected += frame.bytes
        }
        return (queue, expected)
    }

    @Test func oneWriteCarriesAboutTheByteLimitAndNotTheWholeQueue() throws {
        let (writer, reader) = try socketPair()
        defer { writer.close(); close(reader) }
        let (filled, expected) = queued(50, framesOf: 100)
        var queue = filled
        let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: 1024)
        defer { vectors.deallocate() }
        var calls = 0
        let result = queue.flush(to: writer, vectors: vectors, vectorCount: 1024, byteLimit: 1000, writeCalls: &calls)
        guard case .done = result else { Issue.record("5 000 bytes not taken by the socket: \(result)"); return }
        #expect(calls == 5)  // 10 frames of 100 bytes reach the limit: 5 calls for 50
        #expect(readAll(reader, count: expected.count) == expected)
    }

    @Test func aWriteTheSocketTakesOnlyPartOfEndsTheFlush() throws {
        // A socket with a small send buffer and a reader that has not read: the first `writev` is
        // short, and the queue waits for the kernel (EPOLLOUT) rather than calling again for EAGAIN.
        let (writer, reader) = try socketPair()
        defer { writer.close(); close(reader) }
        var small: Int32 = 8192
        setsockopt(writer.descriptor.rawValue, SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let (filled, expected) = queued(200, framesOf: 1000)
        var queue = filled
        let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: 1024)
        defer { vectors.deallocate() }
        var calls = 0
        guard case .pending = queue.flush(to: writer, vectors: vectors, vectorCount: 1024, writeCalls: &calls) else {
            Issue.record("a socket with an 8 KiB send buffer took 200 000 bytes")
            return
        }
        #expect(calls == 1, "\(calls) writev calls for a socket that was full after the first")
        #expect(queue.pendingBytes > 0 && queue.pendingBytes < expected.count)
        // Read and flush in turns until everything is through: the bytes arrive whole and in order,
        // across the partial writes.
        var received: [UInt8] = []
        var rounds = 0
        while received.count < expected.count && rounds < 10_000 {
            rounds += 1
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { recv(reader, $0.baseAddress, 65_536, Int32(MSG_DONTWAIT)) }
            if n > 0 { received += chunk[0..<n] }
            if case .failed(let error) = queue.flush(to: writer, vectors: vectors, vectorCount: 1024, writeCalls: &calls) {
                Issue.record("flush failed: \(error)")
                return
            }
        }
        #expect(received == expected)
        #expect(queue.isEmpty && queue.pendingBytes == 0)
    }
}

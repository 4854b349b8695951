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

    @Test func fiftyQueuedFramesGoOutInOneWriteAndInOrder() throws {
        let (writer, reader) = try socketPair()
        defer { writer.close(); close(reader) }
        var queue = OutboundQueue()
        var expected: [UInt8] = []
        for i in 0..<50 {
            let frame = WebSocketFrame.text("{\"n\":\(i)}")
            queue.append(frame)
            expected += frame.bytes
        }
        let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: 1024)
        defer { vectors.deallocate() }
        var calls = 0
        guard case .done = queue.flush(to: writer, vectors: vectors, vectorCount: 1024, writeCalls: &calls) else {
            Issue.record("the socket took less than 50 small frames"); return
        }
        #expect(calls == 1)
        #expect(queue.isEmpty && queue.pendingBytes == 0)
        #expect(readAll(reader, count: expected.count) == expected)
    }

    @Test func theVectorLimitSplitsTheWritesAndEveryCallIsCounted() throws {
        let (writer, reader) = try socketPair()
        defer { writer.close(); close(reader) }
        var queue = OutboundQueue()
        var expected: [UInt8] = []
        for i in 0..<10 {
            let frame = WebSocketFrame.text("frame \(i)")
            queue.append(frame)
            expected += frame.bytes
        }
        let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: 4)
        defer { vectors.deallocate() }
        var calls = 0
        guard case .done = queue.flush(to: writer, vectors: vectors, vectorCount: 4, writeCalls: &calls) else {
            Issue.record("not all written"); return
        }
        #expect(calls == 3)  // 4 + 4 + 2 frames
        #expect(readAll(reader, count: expected.count) == expected)
    }
}

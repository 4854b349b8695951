import Foundation
import Glibc
import Testing
@testable import WebSocket

/// A client that does not read costs the server nothing per loop turn once its socket is full: its
/// backlog waits for the kernel's EPOLLOUT instead of being offered again (and refused) every turn.
@Suite struct BacklogWriteTests {
    @Test func aClientWhoseSocketIsFullIsNotOfferedItsBacklogEveryTurn() throws {
        // Every "go" from `trigger` broadcasts one 1 KiB frame to both clients; `slow` never reads.
        let handler = BroadcastHandler(message: [UInt8](repeating: 0x61, count: 1024))
        let s = try RunningServer(delegate: handler) { $0.sendBufferBytes = 16_384; $0.pingInterval = 600 }
        defer { s.stop() }
        let slow = try RawClient(s.address)
        defer { slow.close() }
        slow.shrinkReceiveBuffer(to: 4096)
        try slow.upgrade()
        let trigger = try RawClient(s.address)
        defer { trigger.close() }
        try trigger.upgrade()
        /// One broadcast, waited for: `trigger` reads its copy, so the loop turn that queued it is over.
        func broadcast() throws {
            try trigger.write(clientFrame(1, Array("go".utf8)))
            let frame = try #require(trigger.readFrame(timeout: 60), "no broadcast came back")
            #expect(frame.payload.count == 1024)
        }
        // 100 KiB for `slow`: far more than its socket holds (16 KiB sent buffer, 4 KiB received), so
        // the rest waits in the server's queue.
        for _ in 0..<100 { try broadcast() }
        let statistics = s.server.statistics
        // Both clients were sent 100 frames of 1 028 bytes; `trigger` read all of its own.
        #expect(statistics.bytesOut.load(ordering: .relaxed) < 2 * 100 * 1028, "the slow client's socket took every frame")
        // The count of the 100th write may still be on its way (see below): start from a count that
        // has stopped moving.
        var before = -1
        _ = eventually { let now = statistics.writeCalls.load(ordering: .relaxed); defer { before = now }; usleep(50_000); return now == before }
        for _ in 0..<50 { try broadcast() }
        // The server counts a write after it returns, so `trigger` can read its last frame first:
        // wait for the 50th count, then see that no more came.
        var calls = 0
        _ = eventually { calls = statistics.writeCalls.load(ordering: .relaxed) - before; return calls >= 50 }
        usleep(100_000)
        calls = statistics.writeCalls.load(ordering: .relaxed) - before
        // One `writev` per broadcast, to `trigger`; none to `slow`, whose socket stays full.
        #expect(calls == 50, "\(calls) writev calls for 50 broadcasts")
    }
}

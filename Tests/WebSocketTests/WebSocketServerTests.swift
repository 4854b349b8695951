import Foundation
import Sockets
import Testing
@testable import WebSocket

/// The server on real loopback sockets: echo, control frames, protocol violations answered with
/// their close codes, and hostile clients (slowloris, never-reading, many half-open) that must not
/// disturb a well-behaved client.
@Suite struct WebSocketServerTests {
    /// One echo round trip for a well-behaved client: proves the loop is responsive.
    /// A well-behaved client still gets its upgrade and an echo. No time bound (a loaded machine is
    /// slow): a starved client waits out the deadline and fails here; how fast is quotecast-bench's.
    func assertResponsive(_ address: SocketAddress) throws {
        let good = try RawClient(address)
        defer { good.close() }
        #expect(try good.upgrade().hasPrefix("HTTP/1.1 101"))
        try good.write(clientFrame(1, Array("ping?".utf8)))
        let echo = good.readFrame(timeout: 60)
        #expect(echo?.opcode == 1 && echo?.payload == Array("ping?".utf8))
    }

    @Test func echoesTextBinaryAndFragmentsAndAnswersPings() throws {
        let s = try RunningServer()
        defer { s.stop() }
        let c = try RawClient(s.address)
        defer { c.close() }
        let head = try c.upgrade()
        #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
        try c.write(clientFrame(1, Array("héllo".utf8)))
        #expect(c.readFrame()?.payload == Array("héllo".utf8))
        let big = [UInt8](repeating: 0xAB, count: 70_000)
        try c.write(clientFrame(2, big))
        let echoed = c.readFrame()
        #expect(echoed?.opcode == 2 && echoed?.payload == big)
        try c.write(clientFrame(1, Array("frag".utf8), fin: false) + clientFrame(9, Array("p".utf8)) + clientFrame(0, Array("ment".utf8)))
        let pong = c.readFrame()
        #expect(pong?.opcode == 10 && pong?.payload == Array("p".utf8))
        #expect(c.readFrame()?.payload == Array("fragment".utf8))
        try c.write(clientFrame(8, [0x03, 0xE8]))
        #expect(c.readCloseCode() == 1000)
        #expect(c.closedByServer())
    }

    @Test(arguments: [
        ("unmasked frame", clientFrame(1, Array("x".utf8), masked: false), UInt16(1002)),
        ("64-bit length with the top bit set", clientFrame(2, [], forceLength64: 1 << 63), UInt16(1002)),
        ("oversized length", clientFrame(2, [], forceLength64: 1 << 40), UInt16(1009)),
        ("reserved opcode", clientFrame(5, []), UInt16(1002)),
        ("reserved bit", clientFrame(1, Array("x".utf8), rsv: 2), UInt16(1002)),
        ("bad UTF-8 across fragments", clientFrame(1, [0xF0, 0x9F], fin: false) + clientFrame(0, [0x41], fin: true), UInt16(1007)),
        ("invalid close code", clientFrame(8, [0x03, 0xED]), UInt16(1002)),
    ])
    func protocolViolationsAreClosedWithTheirCode(what: String, bytes: [UInt8], code: UInt16) throws {
        let s = try RunningServer { $0.maxMessageBytes = 4096 }
        defer { s.stop() }
        let c = try RawClient(s.address)
        defer { c.close() }
        try c.upgrade()
        try c.write(bytes)
        #expect(c.readCloseCode() == code, "\(what)")
        #expect(c.closedByServer(), "\(what)")
        try assertResponsive(s.address)
    }

    @Test func plainHTTPRequestsKeepAliveAndPipeline() throws {
        let router = HTTPRouter()
        router.get("/healthz") { _ in .json(.ok, "{\"status\":\"live\"}") }
        router.webSocket("/echo", EchoHandler(path: "/echo"))
        let s = try RunningServer(delegate: router)
        defer { s.stop() }
        let c = try RawClient(s.address)
        defer { c.close() }
        try c.write("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\n\r\nPOST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi")
        let first = c.readResponse()
        #expect(first.head.hasPrefix("HTTP/1.1 200 OK") && first.body == "{\"status\":\"live\"}\n")
        #expect(c.readResponse().head.hasPrefix("HTTP/1.1 404"))
        #expect(c.readResponse().head.hasPrefix("HTTP/1.1 405"))
        try c.write("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(c.readResponse().head.hasPrefix("HTTP/1.1 426"))
        try c.write("GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
        let version = c.readResponse()
        #expect(version.head.hasPrefix("HTTP/1.1 426") && version.head.contains("Sec-WebSocket-Version: 13"))
        try c.write("GET /healthz HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "y", count: 20_000) + "\r\n\r\n")
        #expect(c.readResponse().head.hasPrefix("HTTP/1.1 431"))
        #expect(c.closedByServer())
    }

    @Test func aSlowlorisIsDroppedAtTheHandshakeTimeoutWhileOthersAreServed() throws {
        let s = try RunningServer { $0.handshakeTimeout = 1 }
        defer { s.stop() }
        let slow = try RawClient(s.address)
        defer { slow.close() }
        // It never stops sending (a byte every 0.1 s, 600 at most), so only the handshake's own
        // deadline can drop it: the counter says which limit did, not how fast it came.
        var dropped = false
        var responsiveChecked = false
        let head = Array("GET /echo HTTP/1.1\r\nHost: a\r\nX-Slow: ".utf8)
        for i in 0..<600 {
            let byte = i < head.count ? head[i] : 0x61
            if (try? slow.write([byte])) == nil { dropped = true; break }
            if slow.closedByServer(timeout: 0.1) { dropped = true; break }
            if byte == 0x48, !responsiveChecked { responsiveChecked = true; try assertResponsive(s.address) }
        }
        #expect(dropped)
        #expect(s.server.statistics.handshakeTimeouts.load(ordering: .relaxed) == 1)
    }

    @Test func aClientThatNeverReadsIsClosedAndDoesNotSlowOthers() throws {
        let s = try RunningServer { $0.maxPendingBytes = 256 * 1024; $0.closeTimeout = 1; $0.sendBufferBytes = 16 * 1024 }
        defer { s.stop() }
        let greedy = try RawClient(s.address)
        defer { greedy.close() }
        try greedy.upgrade()
        let message = clientFrame(2, [UInt8](repeating: 7, count: 32 * 1024))
        // Non-blocking writes against a deadline, so the test is bounded however slow the machine is.
        // (Shrinking the client's SO_RCVBUF after connecting stalled loopback TCP here: do not.)
        let deadline = Date().addingTimeInterval(30)
        var offset = 0
        while s.server.statistics.slowClientCloses.load(ordering: .relaxed) == 0 && Date() < deadline {
            let n = message.withUnsafeBytes {
                send(greedy.tcp.descriptor.rawValue, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            }
            if n > 0 {
                offset = (offset + n) % message.count
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                usleep(1_000)
            } else {
                break
            }
        }
        let st = s.server.statistics
        #expect(st.slowClientCloses.load(ordering: .relaxed) == 1,
                "in \(st.bytesIn.load(ordering: .relaxed)) B, \(st.messagesIn.load(ordering: .relaxed)) messages, out \(st.bytesOut.load(ordering: .relaxed)) B, \(st.framesOut.load(ordering: .relaxed)) frames, \(st.protocolErrors.load(ordering: .relaxed)) protocol errors")
        try assertResponsive(s.address)
    }

    @Test func manyHalfOpenConnectionsDoNotStarveAWellBehavedClient() throws {
        let s = try RunningServer { $0.handshakeTimeout = 2; $0.maxConnections = 3_000 }
        defer { s.stop() }
        var idle: [RawClient] = []
        defer { idle.forEach { $0.close() } }
        for _ in 0..<1_000 { idle.append(try RawClient(s.address)) }
        // Half of them send half a request head.
        for c in idle.prefix(500) { try c.write("GET / HTTP/1.1\r\nHo") }
        try assertResponsive(s.address)
        let deadline = Date().addingTimeInterval(60)
        while s.server.statistics.handshakeTimeouts.load(ordering: .relaxed) < 1_000 && Date() < deadline { usleep(100_000) }
        #expect(s.server.statistics.handshakeTimeouts.load(ordering: .relaxed) == 1_000)
        try assertResponsive(s.address)
    }

    @Test func overMaxConnectionsNewcomersGet503() throws {
        let s = try RunningServer { $0.maxConnections = 2 }
        defer { s.stop() }
        let a = try RawClient(s.address), b = try RawClient(s.address)
        defer { a.close(); b.close() }
        try a.upgrade()
        try b.upgrade()
        let c = try RawClient(s.address)
        defer { c.close() }
        #expect(c.readResponse().head.hasPrefix("HTTP/1.1 503"))
    }

    @Test func idleClientsArePingedAndClosedWhenTheyStopAnswering() throws {
        // A 5 s answer time (0.5 s lost answers on a loaded machine): the server pings one at a time,
        // so a second ping shows the first answer was taken.
        let s = try RunningServer { $0.pingInterval = 0.5; $0.pingTimeout = 5 }
        defer { s.stop() }
        let c = try RawClient(s.address)
        defer { c.close() }
        try c.upgrade()
        let ping = c.readFrame(timeout: 60)
        #expect(ping?.opcode == 9)
        try c.write(clientFrame(10, ping?.payload ?? []))   // answered: stays open
        let second = c.readFrame(timeout: 60)
        #expect(second?.opcode == 9)                          // pinged again later, not answered
        #expect(c.readCloseCode(timeout: 60) == 1001)
        #expect(s.server.statistics.pingTimeouts.load(ordering: .relaxed) == 1)
    }

    @Test func aPingGoesAheadOfTheBacklogOfAClientThatReadsSlowly() throws {
        // 100 echoes of 8 KiB (800 KiB) wait for a client that has not read yet; the server's kernel
        // buffers are small, so they wait in the server's queue. The ping the server then sends goes
        // right after the frame in flight: the client meets it early in its reading, not after all
        // 100 echoes (where a slow reader would find it past the ping timeout).
        let s = try RunningServer { $0.pingInterval = 0.5; $0.pingTimeout = 60; $0.sendBufferBytes = 4096; $0.unsentLimitBytes = 1024 }
        defer { s.stop() }
        let c = try RawClient(s.address)
        defer { c.close() }
        c.shrinkReceiveBuffer(to: 4096)
        try c.upgrade()
        let payload = [UInt8](repeating: 0x61, count: 8192)
        for _ in 0..<100 { try c.write(clientFrame(1, payload)) }
        // Queued: the 100 echoes and then (the client silent for 0.5 s) the ping.
        let queued = Date().addingTimeInterval(60)
        while s.server.statistics.framesOut.load(ordering: .relaxed) < 101, Date() < queued { usleep(10_000) }
        #expect(s.server.statistics.framesOut.load(ordering: .relaxed) >= 101, "the ping was never queued")
        var echoesBeforePing = 0
        var pinged = false
        while !pinged, let frame = c.readFrame(timeout: 60) {
            if frame.opcode == 9 { pinged = true } else { echoesBeforePing += 1 }
        }
        #expect(pinged)
        #expect(echoesBeforePing < 50, "the ping came after \(echoesBeforePing) of the 100 queued echoes")
    }

    @Test func stoppingTheServerClosesClientsWith1001() throws {
        let s = try RunningServer()
        let c = try RawClient(s.address)
        defer { c.close() }
        try c.upgrade()
        s.stop()
        #expect(c.readCloseCode() == 1001)
    }
}

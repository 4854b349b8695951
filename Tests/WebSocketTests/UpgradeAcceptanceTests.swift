import Foundation
import Glibc
import RateLimit
import Sockets
import Synchronization
import Testing
@testable import WebSocket

/// A delegate that accepts every upgrade with a subprotocol and a context (what an authenticating
/// route does), and records the contexts its connections open with.
final class AcceptingDelegate: WebSocketServerDelegate, @unchecked Sendable {
    // @unchecked: `opened` is behind a Mutex; everything else is immutable.
    struct Identity: Sendable, Equatable { let credential: String }

    let subprotocol: String?
    let opened = Mutex<[Identity?]>([])

    init(subprotocol: String?) { self.subprotocol = subprotocol }

    func route(_ request: HTTPRequest, server: WebSocketServer) -> HTTPRoute {
        let credential = WebSocketHandshake.offeredSubprotocols(request).first { $0.hasPrefix("bearer.") } ?? "none"
        return .upgradeAccepting(WebSocketAcceptance(subprotocol: subprotocol, context: Identity(credential: credential)))
    }

    func webSocketDidOpen(_ client: WebSocketClient, server: WebSocketServer) {
        Issue.record("the server must call the acceptance form for .upgradeAccepting")
    }

    func webSocketDidOpen(_ client: WebSocketClient, acceptance: WebSocketAcceptance, server: WebSocketServer) {
        opened.withLock { $0.append(acceptance.context as? Identity) }
    }

    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, server: WebSocketServer) {
        server.send(WebSocketFrame(opcode: .text, payload: payload), to: client)
    }

    func webSocketDidClose(_ client: WebSocketClient, code: WebSocketCloseCode, server: WebSocketServer) {}
}

/// The hooks an authenticating gateway needs from the server: a route that accepts an upgrade with
/// a chosen subprotocol (echoed only when offered, as browsers require) and a context handed back
/// when the connection opens; and the per-source-address limit on new connections (429 with a JSON
/// body, counted), on real sockets.
@Suite struct UpgradeAcceptanceTests {
    func head(_ text: String, _ name: String) -> String? {
        text.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
    }

    @Test func theChosenSubprotocolIsEchoedAndTheContextReachesTheOpenConnection() throws {
        let delegate = AcceptingDelegate(subprotocol: "quotecast.v1")
        let s = try RunningServer(delegate: delegate)
        defer { s.stop() }
        let browser = try RawClient(s.address)
        defer { browser.close() }
        let answer = try browser.upgrade("/stream", extra: "Sec-WebSocket-Protocol: quotecast.v1, bearer.abc.DEF-_ghi\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 101"))
        #expect(head(answer, "Sec-WebSocket-Protocol") == "quotecast.v1")
        try browser.write(clientFrame(1, Array("hello".utf8)))
        #expect(browser.readFrame()?.payload == Array("hello".utf8))
        #expect(delegate.opened.withLock { $0 } == [AcceptingDelegate.Identity(credential: "bearer.abc.DEF-_ghi")])

        // A client that offered nothing gets no Sec-WebSocket-Protocol (RFC 6455 §4.2.2).
        let native = try RawClient(s.address)
        defer { native.close() }
        let plain = try native.upgrade("/stream")
        #expect(plain.hasPrefix("HTTP/1.1 101") && head(plain, "Sec-WebSocket-Protocol") == nil)
        // Nor does one that offered only other protocols.
        let other = try RawClient(s.address)
        defer { other.close() }
        let declined = try other.upgrade("/stream", extra: "Sec-WebSocket-Protocol: chat, QUOTECAST.V1\r\n")
        #expect(declined.hasPrefix("HTTP/1.1 101") && head(declined, "Sec-WebSocket-Protocol") == nil)
        // The 101 is written before the delegate hears of the connection: wait for it (bounded).
        let deadline = Date().addingTimeInterval(10)
        while delegate.opened.withLock({ $0.count }) < 3 && Date() < deadline { usleep(10_000) }
        #expect(delegate.opened.withLock { $0.count } == 3)
    }

    @Test func aFailedHandshakeDropsTheContextWithoutOpening() throws {
        let delegate = AcceptingDelegate(subprotocol: nil)
        let s = try RunningServer(delegate: delegate)
        defer { s.stop() }
        let c = try RawClient(s.address)
        defer { c.close() }
        try c.write("GET /stream HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n")
        #expect(c.readResponse().head.hasPrefix("HTTP/1.1 400"))
        let ok = try RawClient(s.address)
        defer { ok.close() }
        #expect(try ok.upgrade("/stream").hasPrefix("HTTP/1.1 101"))
        try ok.write(clientFrame(1, Array("x".utf8)))
        #expect(ok.readFrame()?.payload == Array("x".utf8))  // served after it opened
        #expect(delegate.opened.withLock { $0 } == [AcceptingDelegate.Identity(credential: "none")])
    }

    /// A blocking client whose connection comes from `source` (any 127.x.y.z is local on Linux).
    func client(from source: String, to address: SocketAddress) throws -> RawClient {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        _ = inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = address.port.bigEndian
        _ = inet_pton(AF_INET, address.host, &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let connected = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(bound == 0 && connected == 0, "bind \(bound) connect \(connected) errno \(errno)")
        return RawClient(tcp: TCPConnection(descriptor: Descriptor(rawValue: fd), peer: address))
    }

    @Test func newConnectionsOverTheAddressLimitGet429WithAJSONBody() throws {
        // Burst 3, and a rate so low no token comes back during the test.
        let s = try RunningServer { $0.newConnectionLimit = AddressRateLimiter.Configuration(ratePerSecond: 0.01, burst: 3) }
        defer { s.stop() }
        var admitted: [RawClient] = []
        defer { admitted.forEach { $0.close() } }
        for _ in 0..<3 {
            let c = try client(from: "127.0.0.1", to: s.address)
            admitted.append(c)
            #expect(try c.upgrade().hasPrefix("HTTP/1.1 101"))
        }
        let over = try client(from: "127.0.0.1", to: s.address)
        defer { over.close() }
        try over.write("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n")
        let (head, body) = over.readResponse()
        #expect(head.hasPrefix("HTTP/1.1 429 Too Many Requests"), "\(head)")
        #expect(self.head(head, "Content-Type") == "application/json")
        #expect(self.head(head, "Retry-After") == "100")
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(json?["type"] as? String == "error" && json?["code"] as? String == "rate_limited", "\(body)")
        #expect((json?["message"] as? String)?.contains("127.0.0.1") == true, "\(body)")
        #expect(over.closedByServer())
        #expect(s.server.statistics.refusedOverRate.load(ordering: .relaxed) == 1)
        // Another address has its own allowance; the limited one's open connections are untouched.
        let neighbour = try client(from: "127.0.0.2", to: s.address)
        defer { neighbour.close() }
        #expect(try neighbour.upgrade().hasPrefix("HTTP/1.1 101"))
        try admitted[0].write(clientFrame(1, Array("still here".utf8)))
        #expect(admitted[0].readFrame()?.payload == Array("still here".utf8))
        #expect(s.server.statistics.trackedAddresses.load(ordering: .relaxed) == 2)
    }

    @Test func whenTheAddressTableIsFullNewAddressesAreRefusedAndCounted() throws {
        // Capacity 8 is one set: eight addresses each use their only token, a ninth finds no room.
        let s = try RunningServer {
            $0.newConnectionLimit = AddressRateLimiter.Configuration(ratePerSecond: 0.01, burst: 1, capacity: 8)
        }
        defer { s.stop() }
        var clients: [RawClient] = []
        defer { clients.forEach { $0.close() } }
        for i in 1...8 {
            let c = try client(from: "127.0.0.\(i)", to: s.address)
            clients.append(c)
            #expect(try c.upgrade().hasPrefix("HTTP/1.1 101"), "127.0.0.\(i)")
        }
        let ninth = try client(from: "127.0.0.9", to: s.address)
        defer { ninth.close() }
        try ninth.write("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n")
        let (head, body) = ninth.readResponse()
        #expect(head.hasPrefix("HTTP/1.1 429"), "\(head)")
        #expect(body.contains(#""code":"rate_limited""#) && body.contains("too many addresses"), "\(body)")
        #expect(s.server.statistics.refusedRateTableFull.load(ordering: .relaxed) == 1)
        #expect(s.server.statistics.refusedOverRate.load(ordering: .relaxed) == 0)
    }
}

import Codecs
import Foundation
import Market
import Sockets
import StreamClient
import Testing
import WebSocket

@Suite struct StreamURLTests {
    @Test func parsesHostPortPathAndQuery() throws {
        let url = try StreamURL("ws://127.0.0.1:8080/v1/stream?format=binary")
        #expect(url.host == "127.0.0.1" && url.port == 8080 && url.path == "/v1/stream" && url.query == "format=binary")
        #expect(url.target == "/v1/stream?format=binary")
        #expect(url.description == "ws://127.0.0.1:8080/v1/stream?format=binary")
        let bare = try StreamURL("ws://localhost")
        #expect(bare.port == 80 && bare.path == "/" && bare.socketAddress.host == "127.0.0.1" && bare.hostHeader == "localhost:80")
        #expect(try StreamURL("ws://10.0.0.1:9?x=1").target == "/?x=1")
        #expect(try StreamURL("ws://127.0.0.1:8080/v1/stream").sibling(path: "/v1/symbols").description == "ws://127.0.0.1:8080/v1/symbols")
    }

    @Test(arguments: ["http://127.0.0.1:8080/", "wss://127.0.0.1/", "ws://:80/", "ws://127.0.0.1:0/", "ws://127.0.0.1:99999/",
                      "ws://example.com/", "ws://127.0.0.1:x/", "127.0.0.1:8080"])
    func refusesWhatItCannotConnectTo(_ text: String) {
        #expect(throws: StreamURLError.self) { try StreamURL(text) }
        do { _ = try StreamURL(text) } catch { #expect(error.description.contains(text)) }
    }
}

@Suite struct ClientCodecTests {
    @Test func requestCarriesTheUpgradeHeadersAndAFreshKey() throws {
        var random = SplitMix64(seed: 1)
        let key = ClientHandshake.makeKey(&random)
        #expect(Base64.decode(key)?.count == 16)
        #expect(ClientHandshake.makeKey(&random) != key)
        let text = String(decoding: ClientHandshake.request(for: try StreamURL("ws://127.0.0.1:81/v1/stream"), key: key,
                                                            extraHeaders: [("Origin", "http://x")]), as: UTF8.self)
        #expect(text.hasPrefix("GET /v1/stream HTTP/1.1\r\n"))
        for line in ["Host: 127.0.0.1:81", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: \(key)",
                     "Sec-WebSocket-Version: 13", "Origin: http://x"] {
            #expect(text.contains("\r\n\(line)\r\n"), "missing \(line)")
        }
        #expect(text.hasSuffix("\r\n\r\n"))
    }

    /// The RFC 6455 §1.3 example key and accept value, and every way an answer can be wrong.
    @Test func responseIsCheckedAgainstTheKey() {
        let key = "dGhlIHNhbXBsZSBub25jZQ=="
        func parse(_ text: String) -> ClientHandshakeResult {
            Array(text.utf8).withUnsafeBytes { ClientHandshake.parseResponse($0, key: key) }
        }
        let good = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        #expect(parse(good + "\u{81}\u{0}") == .accepted(headerLength: good.utf8.count))
        #expect(parse(String(good.dropLast(2))) == .incomplete)
        #expect(parse("HTTP/1.1 503 Service Unavailable\r\n\r\n") == .rejected(status: 503, reason: "server answered 503 Service Unavailable"))
        #expect(parse(good.replacingOccurrences(of: "s3pP", with: "AAAA")) == .rejected(status: 101, reason: "wrong Sec-WebSocket-Accept"))
        #expect(parse(good.replacingOccurrences(of: "Upgrade: websocket\r\n", with: "")) == .rejected(status: 101, reason: "no Upgrade: websocket"))
        #expect(parse("SSH-2.0-OpenSSH\r\n\r\n") == .rejected(status: 0, reason: "not an HTTP response"))
        if case .rejected = parse(String(repeating: "x", count: ClientHandshake.maxResponseBytes + 1)) {} else {
            Issue.record("an endless header block must be refused")
        }
    }

    /// Client frames of every length class, masked, read back by the server's parser.
    @Test(arguments: [0, 1, 125, 126, 1000, 65535, 65536, 200_000])
    func maskedFramesRoundTripThroughTheServerParser(_ length: Int) {
        var random = SplitMix64(seed: UInt64(length) + 3)
        let payload = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        var wire: [UInt8] = []
        payload.withUnsafeBytes { ClientFrame.append(opcode: .binary, payload: $0, maskKey: 0xA1B2_C3D4, to: &wire) }
        #expect(wire[1] & 0x80 != 0, "client frames are masked")
        if length > 8 { #expect(Array(wire.suffix(length)) != payload, "the payload is masked on the wire") }
        var parser = WebSocketFrameParser(maxMessageBytes: 1 << 20)
        var consumed = 0
        let event = wire.withUnsafeBytes { parser.next($0, consumed: &consumed) }
        #expect(event == .message(isText: false))
        #expect(consumed == wire.count && parser.message == payload)
    }

    @Test func clientRoleParserRejectsMaskedServerFramesAndReadsUnmaskedOnes() {
        var masked = WebSocketFrameParser(role: .client)
        var consumed = 0
        let bad = ClientFrame.text("hi", maskKey: 1)
        if case .failure(let code, _) = bad.withUnsafeBytes({ masked.next($0, consumed: &consumed) }) {
            #expect(code == .protocolError)
        } else {
            Issue.record("a masked server frame must fail with 1002")
        }
        var parser = WebSocketFrameParser(role: .client)
        let frame = WebSocketFrame.text("{\"type\":\"pong\"}")
        consumed = 0
        // Arriving byte by byte: a partial header is left unconsumed and waits for more.
        var event = WebSocketFrameEvent.insufficientData
        var start = 0
        for end in 1...frame.bytes.count {
            var used = 0
            event = parser.next(UnsafeRawBufferPointer(rebasing: frame.bytes[start..<end]), consumed: &used)
            start += used
            if event != .insufficientData { break }
        }
        #expect(event == .message(isText: true))
        #expect(String(decoding: parser.message, as: UTF8.self) == "{\"type\":\"pong\"}")
    }

    @Test func controlFramesAreMaskedAndWellFormed() {
        let close = ClientFrame.close(.goingAway, reason: String(repeating: "é", count: 100), maskKey: 7)
        var parser = WebSocketFrameParser()
        var consumed = 0
        #expect(close.withUnsafeBytes { parser.next($0, consumed: &consumed) } == .close(.goingAway))
        #expect(parser.control.count <= 125)
        let pong = [UInt8]("abc".utf8).withUnsafeBytes { ClientFrame.pong($0, maskKey: 9) }
        consumed = 0
        #expect(pong.withUnsafeBytes { parser.next($0, consumed: &consumed) } == .pong)
        #expect(parser.control == Array("abc".utf8))
    }
}

/// A real `WebSocketServer` (echo endpoint) on an ephemeral loopback port.
final class EchoServer: @unchecked Sendable {
    let server: WebSocketServer
    private let done = DispatchSemaphore(value: 0)

    init(pingInterval: Double? = nil, deflate: DeflateMode = .shared) throws {
        var configuration = WebSocketServerConfiguration(listen: SocketAddress(host: "127.0.0.1", port: 0)!)
        if let pingInterval { configuration.pingInterval = pingInterval }
        configuration.deflate.mode = deflate
        server = try WebSocketServer(configuration: configuration, delegate: EchoHandler(path: "/echo"))
        let server = self.server, done = self.done
        Thread { server.run(); done.signal() }.start()
    }

    var url: StreamURL { try! StreamURL("ws://127.0.0.1:\(server.localAddress.port)/echo") }

    func stop() {
        server.stop()
        #expect(done.wait(timeout: .now() + 10) == .success)
    }
}

@Suite struct StreamConnectionTests {
    @Test func talksToTheRealServer() throws {
        let echo = try EchoServer()
        defer { echo.stop() }
        let client = try StreamConnection.connect(to: echo.url, timeout: .seconds(5))
        try client.send(text: "{\"op\":\"ping\",\"id\":7}")
        #expect(try client.receive(timeout: .seconds(5)) == .text("{\"op\":\"ping\",\"id\":7}"))
        let big = String(repeating: "x", count: 70_000)
        try client.send(text: big)
        #expect(try client.receive(timeout: .seconds(5)) == .text(big))
        #expect(try client.receive(timeout: .milliseconds(50)) == nil, "nothing more was sent")
        for i in 0..<20 { try client.send(text: "m\(i)") }
        var got: [StreamEvent] = []
        let deadline = Date().addingTimeInterval(5)
        while got.count < 20 && Date() < deadline {
            got += try client.drainAvailable()
            usleep(1000)
        }
        #expect(got == (0..<20).map { .text("m\($0)") })
        client.close()
        #expect(client.isClosed)
        #expect(throws: StreamClientError.self) { try client.send(text: "after close") }
    }

    @Test(arguments: [DeflateMode.shared, .full, .off])
    func offersPermessageDeflateAndSpeaksItBothWays(mode: DeflateMode) throws {
        let echo = try EchoServer(deflate: mode)
        defer { echo.stop() }
        let client = try StreamConnection.connect(to: echo.url, offerDeflate: true)
        defer { client.close() }
        switch mode {
        case .off: #expect(client.deflateAgreement == nil)
        case .shared: #expect(client.deflateAgreement == DeflateAgreement(serverNoContextTakeover: true, clientNoContextTakeover: true))
        case .full: #expect(client.deflateAgreement == DeflateAgreement(serverNoContextTakeover: false, clientNoContextTakeover: false,
                                                                        clientMaxWindowBits: 12))
        }
        // Long messages go compressed both ways (in `full`, each side referring back into its
        // earlier ones), short ones plain; what arrives is the text sent.
        let quote = "{\"type\":\"quote\",\"symbol\":\"AAPL\",\"bids\":[[189.25,300],[189.24,100]],\"asks\":[[189.26,200]]}"
        for i in 0..<20 {
            let text = i % 5 == 4 ? "m\(i)" : quote + String(repeating: "é", count: i)
            try client.send(text: text)
            #expect(try client.receive(timeout: .seconds(5)) == .text(text), "\(mode) message \(i)")
        }
        let statistics = echo.server.statistics
        let compressed = statistics.compressedFramesOut.load(ordering: .relaxed)
        let inflated = statistics.inflateBytesIn.load(ordering: .relaxed)
        #expect(mode == .off ? compressed == 0 && inflated == 0 : compressed == 16 && inflated > 0, "\(mode): \(compressed) \(inflated)")
    }

    @Test func answersServerPingsAndReportsTheServersClose() throws {
        let echo = try EchoServer(pingInterval: 0.1)
        let client = try StreamConnection.connect(to: echo.url)
        // Idle for several ping intervals: the server closes clients that do not answer pings.
        #expect(try client.receive(timeout: .milliseconds(600)) == nil)
        try client.send(text: "still here")
        #expect(try client.receive(timeout: .seconds(5)) == .text("still here"))
        echo.stop()
        #expect(try client.receive(timeout: .seconds(5)) == .closed(code: 1001, reason: "server shutting down"))
        #expect(client.isClosed)
    }

    @Test func failuresSayWhatHappened() throws {
        // Nothing listens on this port (bound and closed again).
        let listener = try TCPListener(binding: SocketAddress(host: "127.0.0.1", port: 0)!)
        let port = listener.localAddress.port
        listener.close()
        let closedURL = try StreamURL("ws://127.0.0.1:\(port)/v1/stream")
        do {
            _ = try StreamConnection.connect(to: closedURL)
            Issue.record("connect to a closed port must fail")
        } catch {
            #expect(error.kind == .connectFailed && error.description.contains("127.0.0.1:\(port)"))
        }
        let echo = try EchoServer()
        defer { echo.stop() }
        let missingURL = try StreamURL("ws://127.0.0.1:\(echo.server.localAddress.port)/nope")
        do {
            _ = try StreamConnection.connect(to: missingURL)
            Issue.record("a 404 must be a rejected handshake")
        } catch {
            #expect(error.kind == .handshakeRejected(status: 404))
        }
    }

    /// A host that never completes the TCP handshake (here: a listener whose accept queue is full,
    /// so the kernel drops our SYNs) is given up on after the timeout, not the kernel's two minutes.
    @Test func aSilentHostTimesOut() throws {
        let listener = try TCPListener(binding: SocketAddress(host: "127.0.0.1", port: 0)!, backlog: 1)
        defer { listener.close() }
        let url = try StreamURL("ws://127.0.0.1:\(listener.localAddress.port)/v1/stream")
        // Fill the accept queue (never accepted).
        var fillers: [TCPConnection] = []
        defer { fillers.forEach { $0.close() } }
        for _ in 0..<4 { if let c = try? TCPConnection.connect(to: url.socketAddress, timeoutMilliseconds: 200) { fillers.append(c) } }
        let started = ContinuousClock.now
        do {
            _ = try StreamConnection.connect(to: url, timeout: .milliseconds(300))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.kind == .timedOut, "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(3))
    }
}

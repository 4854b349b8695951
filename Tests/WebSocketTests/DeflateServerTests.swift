import Foundation
import Market
import Sockets
import Synchronization
import Testing
@testable import WebSocket

extension RawClient {
    /// Reads one server frame with its first byte (FIN, RSV bits, opcode); nil on timeout or end.
    func readFrameWithFlags(timeout: Double = 5) -> (first: UInt8, payload: [UInt8])? {
        let h = read(2, timeout: timeout)
        guard h.count == 2 else { return nil }
        var length = Int(h[1] & 0x7F)
        if length >= 126 {
            let e = read(length == 126 ? 2 : 8, timeout: timeout)
            guard e.count == (length == 126 ? 2 : 8) else { return nil }
            length = e.reduce(0) { $0 << 8 | Int($1) }
        }
        let payload = read(length, timeout: timeout)
        return payload.count == length ? (h[0], payload) : nil
    }

    /// Opens a WebSocket offering `extensions`; returns the response head.
    @discardableResult
    func upgrade(offering extensions: String) throws -> String {
        try upgrade(extra: "Sec-WebSocket-Extensions: \(extensions)\r\n")
    }
}

/// Waits (up to `timeout` seconds of real time) until `condition` holds; returns whether it did.
func eventually(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { return false }
        usleep(5_000)
    }
    return true
}

/// Sends one shared frame to every open client when any client sends "go": a broadcast, the way the
/// gateway fans a quote out.
final class BroadcastHandler: WebSocketServerDelegate, @unchecked Sendable {
    // @unchecked: touched only on the server's loop thread.
    private var clients: [WebSocketClient] = []
    let message: [UInt8]

    init(message: [UInt8]) { self.message = message }

    func route(_ request: HTTPRequest, server: WebSocketServer) -> HTTPRoute { .upgrade }
    func webSocketDidOpen(_ client: WebSocketClient, server: WebSocketServer) { clients.append(client) }
    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, server: WebSocketServer) {
        let frame = message.withUnsafeBytes { WebSocketFrame(opcode: .text, payload: $0) }
        for c in clients { _ = server.queue(frame, to: c) }
    }
    func webSocketDidClose(_ client: WebSocketClient, code: WebSocketCloseCode, server: WebSocketServer) {
        clients.removeAll { $0 == client }
    }
}

/// permessage-deflate on a real server over loopback: negotiation in the handshake, compressed
/// messages both ways, the inflated-size limit, RSV1 rules, shared frames compressed once for many
/// clients, per-connection contexts in `full` mode, and the counters.
@Suite struct DeflateServerTests {
    static let sharedAnswer = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"

    /// `length` bytes of quote-like JSON (ASCII, so any cut is valid UTF-8).
    func quoteLike(_ seed: UInt64, _ length: Int = 450) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var text = Array("{\"type\":\"quote\",\"symbol\":\"AAPL\",\"bids\":[".utf8)
        while text.count < length {
            text += Array("[\(Int.random(in: 180...190, using: &rng)).\(Int.random(in: 10...99, using: &rng)),\(Int.random(in: 1...9, using: &rng) * 100)],".utf8)
        }
        return Array(text.prefix(length))
    }

    func compressed(_ message: [UInt8]) throws -> [UInt8] {
        try #require(MessageDeflater(contextTakeover: false)?.compress(message))
    }

    @Test func sharedModeAnswersCompressedAndSendsSmallMessagesPlain() throws {
        let s = try RunningServer()
        defer { s.stop() }
        let c = try RawClient(s.address)
        defer { c.close() }
        let head = try c.upgrade(offering: "permessage-deflate; client_max_window_bits")
        #expect(head.hasPrefix("HTTP/1.1 101") && head.contains(Self.sharedAnswer), "\(head)")
        let inflater = try #require(MessageInflater(contextTakeover: false))
        let text = quoteLike(1)
        // A compressed message in, a compressed answer out (RSV1, text).
        try c.write(clientFrame(1, try compressed(text), rsv: 4))
        let echo = try #require(c.readFrameWithFlags())
        #expect(echo.first == 0xC1)
        #expect(try inflater.inflate(echo.payload, text: true).get() == text)
        // The shared fixed-Huffman frame: about 55 % of this JSON (zlib's trees made 45 %).
        #expect(echo.payload.count < text.count * 6 / 10, "\(echo.payload.count) of \(text.count)")
        // A plain message in: still compressed out (each direction decides per message).
        try c.write(clientFrame(1, text))
        let again = try #require(c.readFrameWithFlags())
        #expect(again.first == 0xC1 && again.payload == echo.payload)
        // Below the 64-byte threshold: plain.
        try c.write(clientFrame(1, try compressed(Array("pong".utf8)), rsv: 4))
        let small = try #require(c.readFrameWithFlags())
        #expect(small.first == 0x81 && small.payload == Array("pong".utf8))
        // Incompressible: plain, not a few bytes bigger.
        var rng = SplitMix64(seed: 9)
        let noise = (0..<2000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try c.write(clientFrame(2, try compressed(noise), rsv: 4))
        let binary = try #require(c.readFrameWithFlags())
        #expect(binary.first == 0x82 && binary.payload == noise)
        let stats = s.server.statistics
        #expect(stats.inflateBytesOut.load(ordering: .relaxed) == text.count + 4 + noise.count)
        #expect(stats.deflateMessages.load(ordering: .relaxed) == 3)  // the text twice (two frames), the noise once
        #expect(stats.compressedFramesOut.load(ordering: .relaxed) == 2)
        #expect(stats.deflateBytesIn.load(ordering: .relaxed) == 2 * text.count + noise.count)
        #expect(stats.deflateNanoseconds.load(ordering: .relaxed) > 0)
        #expect(stats.clientsSharedDeflate.load(ordering: .relaxed) == 1)
    }

    @Test func withoutAnOfferOrWithDeflateOffNothingIsCompressedAndRSV1Fails() throws {
        for (mode, offer) in [(DeflateMode.shared, ""), (.off, "Sec-WebSocket-Extensions: permessage-deflate\r\n")] {
            let s = try RunningServer { $0.deflate.mode = mode }
            defer { s.stop() }
            let c = try RawClient(s.address)
            defer { c.close() }
            let head = try c.upgrade(extra: offer)
            #expect(head.hasPrefix("HTTP/1.1 101") && !head.contains("Extensions"), "\(mode)")
            let text = quoteLike(2)
            try c.write(clientFrame(1, text))
            #expect(c.readFrameWithFlags()?.first == 0x81, "\(mode)")
            try c.write(clientFrame(1, try compressed(text), rsv: 4))
            #expect(c.readCloseCode() == 1002, "\(mode)")
            #expect(s.server.statistics.clientsUncompressed.load(ordering: .relaxed) <= 1)
        }
    }

    @Test(arguments: [
        ("a bomb: 64 MiB of zeros in about 64 KiB", 1009 as UInt16),
        ("not DEFLATE", 1007),
        ("text that inflates to invalid UTF-8", 1007),
        ("RSV1 on a ping", 1002),
        ("RSV1 on a continuation", 1002),
    ])
    func badCompressedInputIsClosedWithItsCode(what: String, code: UInt16) throws {
        let s = try RunningServer { $0.maxMessageBytes = 1 << 20 }
        defer { s.stop() }
        let c = try RawClient(s.address)
        defer { c.close() }
        try c.upgrade(offering: "permessage-deflate")
        let bytes: [UInt8]
        switch code {
        case 1009: bytes = clientFrame(2, try compressed([UInt8](repeating: 0, count: 64 << 20)), rsv: 4)
        case 1007 where what.hasPrefix("not"): bytes = clientFrame(2, [0xFF, 0xFF, 0xFF, 0xFF], rsv: 4)
        case 1007: bytes = clientFrame(1, try compressed([0x41, 0xC3, 0x28]), rsv: 4)
        default:
            bytes = what.hasSuffix("ping") ? clientFrame(9, [], rsv: 4)
                : clientFrame(1, Array("ab".utf8), fin: false) + clientFrame(0, Array("cd".utf8), rsv: 4)
        }
        #expect(bytes.count < 100_000)
        try c.write(bytes)
        #expect(c.readCloseCode() == code, "\(what)")
        #expect(c.closedByServer(), "\(what)")
        // Counted by why (RSV1 misuse is a protocol error, not an inflate failure).
        let stats = s.server.statistics
        #expect(stats.inflateInvalid.load(ordering: .relaxed) == (code == 1007 ? 1 : 0), "\(what)")
        #expect(stats.inflateOverLimit.load(ordering: .relaxed) == (code == 1009 ? 1 : 0), "\(what)")
        #expect(stats.inflateOutOfMemory.load(ordering: .relaxed) == 0, "\(what)")
        // The server goes on serving others.
        let other = try RawClient(s.address)
        defer { other.close() }
        try other.upgrade(offering: "permessage-deflate")
        try other.write(clientFrame(1, try compressed(Array("still here".utf8)), rsv: 4))
        #expect(other.readFrameWithFlags()?.payload == Array("still here".utf8), "after \(what)")
    }

    @Test func oneBroadcastIsCompressedOnceForEverySharedClient() throws {
        let message = quoteLike(3)
        let s = try RunningServer(delegate: BroadcastHandler(message: message))
        defer { s.stop() }
        var clients: [RawClient] = []
        defer { clients.forEach { $0.close() } }
        for i in 0..<4 {
            let c = try RawClient(s.address)
            clients.append(c)
            // Three clients offer deflate; the last does not.
            let head = i < 3 ? try c.upgrade(offering: "permessage-deflate; client_max_window_bits") : try c.upgrade()
            #expect(head.hasPrefix("HTTP/1.1 101"))
        }
        let stats = s.server.statistics
        #expect(eventually { stats.clientsSharedDeflate.load(ordering: .relaxed) == 3 && stats.clientsUncompressed.load(ordering: .relaxed) == 1 })
        try clients[3].write(clientFrame(1, Array("go".utf8)))
        let received = clients.map { $0.readFrameWithFlags() }
        let shared = try #require(received[0])
        #expect(shared.first == 0xC1)
        #expect(received[1]?.payload == shared.payload && received[2]?.payload == shared.payload)
        #expect(received[3]?.first == 0x81 && received[3]?.payload == message)
        let inflater = try #require(MessageInflater(contextTakeover: false))
        #expect(try inflater.inflate(shared.payload, text: true).get() == message)
        #expect(stats.deflateMessages.load(ordering: .relaxed) == 1)
        #expect(stats.compressedFramesOut.load(ordering: .relaxed) == 3)
        // No connection holds zlib state in shared mode: only the server's one shared deflater.
        let sharedOnly = stats.compressionMemory.bytes
        #expect(sharedOnly > 0 && sharedOnly < 300_000, "\(sharedOnly)")
        clients.forEach { $0.close() }
        #expect(eventually { stats.clientsSharedDeflate.load(ordering: .relaxed) == 0 && stats.clientsUncompressed.load(ordering: .relaxed) == 0 })
    }

    @Test func shortMessagesGoThroughTheFixedHuffmanEncoderAndLongerOnesThroughZlib() throws {
        let s = try RunningServer()
        defer { s.stop() }
        let c = try RawClient(s.address)
        defer { c.close() }
        try c.upgrade(offering: "permessage-deflate")
        let inflater = try #require(MessageInflater(contextTakeover: false))
        let stats = s.server.statistics
        let limit = DeflateConfiguration().sharedLargeMessageBytes
        // Up to the limit: the fixed-Huffman encoder only (~12 KiB of tables; no zlib deflater, whose
        // smallest shared one held ~142 KiB).
        let atLimit = quoteLike(5, limit)
        try c.write(clientFrame(1, atLimit))
        let first = try #require(c.readFrameWithFlags())
        #expect(first.first == 0xC1)
        #expect(try inflater.inflate(first.payload, text: true).get() == atLimit)
        let smallOnly = stats.compressionMemory.bytes
        #expect(smallOnly > 4 * 1024 && smallOnly < 16 * 1024, "\(smallOnly)")
        // Longer: a second shared deflater, memory level 8 (2^17 bytes of hash table and chains more).
        for length in [limit + 1, 100_000] {
            let long = quoteLike(UInt64(length), length)
            try c.write(clientFrame(1, try compressed(long), rsv: 4))
            let echo = try #require(c.readFrameWithFlags())
            #expect(echo.first == 0xC1, "\(length)")
            #expect(try inflater.inflate(echo.payload, text: true).get() == long, "\(length)")
        }
        let both = stats.compressionMemory.bytes
        #expect(both - smallOnly > 1 << 18, "\(smallOnly) then \(both)")
        #expect(stats.deflateMessages.load(ordering: .relaxed) == 3)
        #expect(stats.compressedFramesOut.load(ordering: .relaxed) == 3)
    }

    @Test func fullModeKeepsEachClientsContextWithinItsBoundedWindows() throws {
        let s = try RunningServer { $0.deflate.mode = .full }
        defer { s.stop() }
        let stats = s.server.statistics
        let c = try RawClient(s.address)
        defer { c.close() }
        let head = try c.upgrade(offering: "permessage-deflate; client_max_window_bits")
        #expect(head.contains("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=12\r\n"), "\(head)")
        #expect(eventually { stats.clientsOwnContextDeflate.load(ordering: .relaxed) == 1 })
        // The client keeps its context (window 12); the server keeps its own (window 12, not stated).
        let deflater = try #require(MessageDeflater(maxWindowBits: 12, contextTakeover: true))
        let inflater = try #require(MessageInflater(windowBits: 12, contextTakeover: true))
        let text = quoteLike(4)
        var sizes: [Int] = []
        for _ in 0..<3 {
            try c.write(clientFrame(1, try #require(deflater.compress(text)), rsv: 4))
            let echo = try #require(c.readFrameWithFlags())
            #expect(echo.first == 0xC1)
            #expect(try inflater.inflate(echo.payload, text: true).get() == text)
            sizes.append(echo.payload.count)
        }
        // The repeats are back references into the earlier messages.
        #expect(sizes[1] < sizes[0] / 4 && sizes[2] < sizes[0] / 4, "\(sizes)")
        // Its own deflater and inflater: about 2^14 + 2^14 + 2^12 + zlib's state, well under 64 KiB.
        let perConnection = stats.compressionMemory.bytes
        #expect(perConnection > (1 << 15) && perConnection < 64 * 1024, "\(perConnection)")
        c.close()
        #expect(eventually { stats.clientsOwnContextDeflate.load(ordering: .relaxed) == 0 && stats.compressionMemory.bytes == 0 })
    }

    @Test func anEightBitWindowClientGetsCompressedOnlyWhatFitsIt() throws {
        let s = try RunningServer()
        defer { s.stop() }
        let c = try RawClient(s.address)
        defer { c.close() }
        let head = try c.upgrade(offering: "permessage-deflate; server_max_window_bits=8")
        #expect(head.contains("server_max_window_bits=8"))
        let inflater = try #require(MessageInflater(windowBits: 8, contextTakeover: false))
        for (length, first) in [(200, UInt8(0xC1)), (257, 0x81)] {
            let text = quoteLike(5, length)
            try c.write(clientFrame(1, text))
            let echo = try #require(c.readFrameWithFlags())
            #expect(echo.first == first, "\(length)")
            let got = first == 0xC1 ? try inflater.inflate(echo.payload, text: true).get() : echo.payload
            #expect(got == text, "\(length)")
        }
    }
}

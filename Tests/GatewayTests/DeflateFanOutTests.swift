import Foundation
import Gateway
import Market
import Testing
import WebSocket

/// Encode once, compress once, through the gateway with real sockets: a quote fanned out to many
/// clients that negotiated permessage-deflate is compressed once per frame the gateway encoded (per
/// tick and depth, and per conflated quote), and every such client is sent the same compressed bytes;
/// `/metrics`' compression samples add up to what the clients received.
@Suite struct DeflateFanOutTests {
    /// What a phone's WebSocket library offers (browsers offer the same).
    static let offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"
    /// An offer asking the server to compress each message on its own (it gets the shared frames even
    /// from a `--deflate full` server).
    static let noContextOffer = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover"

    func quote(_ h: GatewayHarness, _ symbol: String, _ locate: UInt16, bid: UInt32, changedLevel: Int = 0) -> UInt64 {
        let bids = (0..<10).map { (bid - UInt32($0) * 100, UInt32(100 + $0 * 7)) }
        let asks = (0..<10).map { (bid + 100 + UInt32($0) * 100, UInt32(300 + $0 * 3)) }
        return h.write(.quote, symbol, locate: locate, bids: bids, asks: asks, changedLevel: changedLevel)
    }

    /// The quotes among `frames` (as they came), by their message.
    func quoteFrames(_ frames: ArraySlice<TestClient.ReceivedFrame>) -> [TestClient.ReceivedFrame] {
        frames.filter { $0.message.starts(with: Array(#"{"type":"quote""#.utf8)) }
    }

    /// Many clients of each kind on two symbols: depth 10 and depth 1, compressed (shared frames, or
    /// in `full` mode some with a deflater of their own) and plain. Each quote goes to every one of
    /// them; compressions are counted against the frames they received.
    @Test(arguments: [DeflateMode.shared, .full])
    func aQuoteFannedOutToManyDeflateClientsIsCompressedOncePerEncodedFrame(mode: DeflateMode) throws {
        let h = try GatewayHarness { $0.deflate.mode = mode }
        defer { h.stop() }
        _ = quote(h, "AAPL", 1, bid: 1_000_000)
        _ = quote(h, "MSFT", 2, bid: 2_000_000)
        try h.waitForGateway()
        // (offer, depth, how many); in `full` the plain offer gets a context of its own.
        let kinds: [(String?, Int, Int)] = [(Self.offer, 10, 12), (Self.offer, 1, 12), (Self.noContextOffer, 10, 6),
                                            (Self.noContextOffer, 1, 6), (nil, 10, 3), (nil, 1, 3)]
        var clients: [(client: TestClient, depth: Int, ownContext: Bool)] = []
        for (offer, depth, count) in kinds {
            for _ in 0..<count {
                let c = try TestClient(h.address, headers: offer.map { [$0] } ?? [])
                #expect((c.inflater != nil) == (offer != nil), "\(c.head)")
                clients.append((c, depth, mode == .full && offer == Self.offer))
                try c.send(#"{"op":"subscribe","symbols":["AAPL","MSFT"],"depth":\#(depth)}"#)
            }
        }
        for (c, _, _) in clients {
            var snapshots = 0
            let (both, _) = c.until { m in
                if m.type == "snapshot" { snapshots += 1 }
                return snapshots == 2 || m.type == "error"
            }
            #expect(both?.type == "snapshot")
        }
        let stats = h.server.statistics
        let compressionsBefore = stats.deflateMessages.load(ordering: .relaxed)
        let copiesBefore = stats.compressedFramesOut.load(ordering: .relaxed)
        let encodedBefore = h.gateway.statistics.framesEncoded.load(ordering: .relaxed)
        let framesBefore = clients.map { $0.client.frames.count }

        // 40 quotes: every fourth changes a level below the top, which depth-1 clients do not see.
        // Per depth, the seq of each symbol's last quote that depth sees.
        var last: [Int: [String: Int]] = [10: [:], 1: [:]]
        var expectedDepth1 = 0
        for i in 0..<40 {
            let (symbol, locate, base): (String, UInt16, UInt32) = i % 2 == 0 ? ("AAPL", 1, 1_000_000) : ("MSFT", 2, 2_000_000)
            let changed = i % 4 == 3 ? 5 : 0
            let seq = Int(quote(h, symbol, locate, bid: base + UInt32(i) * 100, changedLevel: changed))
            last[10]![symbol] = seq
            if changed == 0 {
                expectedDepth1 += 1
                last[1]![symbol] = seq
            }
        }
        for (c, depth, _) in clients {
            var waiting = last[depth]!
            let (found, _) = c.until { m in
                if m.type == "quote", let symbol = m.symbol, let seq = m.seq, seq >= waiting[symbol] ?? .max { waiting[symbol] = nil }
                return waiting.isEmpty
            }
            #expect(found != nil, "depth \(depth): still waiting for \(waiting)")
        }

        // What each client received, by message: the shared clients' copies are the same bytes.
        var sharedCopies: [[UInt8]: Set<[UInt8]>] = [:]
        var ownContextFrames = 0
        var copies = 0
        var saved = 0
        for (i, (c, depth, own)) in clients.enumerated() {
            let quotes = quoteFrames(c.frames[framesBefore[i]...])
            #expect(quotes.count == (depth == 10 ? 40 : expectedDepth1), "depth \(depth): \(quotes.count) quotes")
            #expect(c.undecodable == 0)
            for q in quotes {
                #expect(q.compressed == (c.inflater != nil))
                guard q.compressed else { continue }
                copies += 1
                saved += q.message.count - q.wire.count
                if own { ownContextFrames += 1 } else { sharedCopies[q.message, default: []].insert(q.wire) }
            }
        }
        // Encoded once per tick and depth: 40 depth-10 frames, one depth-1 frame per top-level change.
        let encoded = h.gateway.statistics.framesEncoded.load(ordering: .relaxed) - encodedBefore
        #expect(encoded == 40 + expectedDepth1)
        #expect(sharedCopies.count == encoded, "every encoded frame reached a shared client")
        #expect(sharedCopies.values.allSatisfy { $0.count == 1 }, "one compressed form per message")
        // One compression per encoded frame, plus one per frame for each client with its own context.
        #expect(stats.deflateMessages.load(ordering: .relaxed) - compressionsBefore == encoded + ownContextFrames)
        #expect(stats.compressedFramesOut.load(ordering: .relaxed) - copiesBefore == copies)
        #expect(copies == 18 * (40 + expectedDepth1))
        #expect(ownContextFrames == (mode == .full ? 12 * (40 + expectedDepth1) : 0))

        // /metrics says the same, and the bytes saved are what the clients did not receive.
        let parsed = try PrometheusParser.parse(PrometheusText.render(h.server.statistics.samples()))
        let shared = mode == .full ? 12 : 36
        #expect(parsed.value("quotecast_websocket_clients", ["compression": "shared"]) == Double(shared))
        #expect(parsed.value("quotecast_websocket_clients", ["compression": "own_context"]) == Double(36 - shared))
        #expect(parsed.value("quotecast_websocket_clients", ["compression": "none"]) == 6)
        #expect(parsed.value("quotecast_websocket_deflate_messages_total") == Double(stats.deflateMessages.load(ordering: .relaxed)))
        #expect(parsed.value("quotecast_websocket_deflate_frames_out_total") == Double(stats.compressedFramesOut.load(ordering: .relaxed)))
        let allSaved = clients.reduce(0) { sum, c in sum + c.client.frames.filter(\.compressed).reduce(0) { $0 + $1.message.count - $1.wire.count } }
        #expect(saved > 0 && parsed.value("quotecast_websocket_deflate_saved_bytes_total") == Double(allSaved))
        let input = parsed.value("quotecast_websocket_deflate_input_bytes_total") ?? 0
        let output = parsed.value("quotecast_websocket_deflate_output_bytes_total") ?? 0
        // Shared quotes are fixed-Huffman blocks (~55 % of the JSON), full mode's contexts do better.
        #expect(output > 0 && output < input * 6 / 10, "\(output) of \(input)")
        #expect((parsed.value("quotecast_websocket_deflate_cpu_seconds_total") ?? 0) > 0)
        let zlib = parsed.value("quotecast_websocket_zlib_memory_bytes") ?? 0
        #expect(zlib == Double(stats.compressionMemory.bytes) && zlib > 0)
        if mode == .full {
            // Each own-context client holds a deflater (~39 KiB); the shared clients hold nothing.
            #expect(zlib > 24 * 30_000, "\(zlib)")
        } else {
            #expect(zlib < 300_000, "\(zlib)")
        }
    }

    /// Slow clients conflate: when they drain, each gets the symbol's latest quote marked conflated,
    /// encoded once for all of them, so compressed once for all of them too.
    @Test func conflatedQuotesAreCompressedOnceForEveryClientTheyGoTo() throws {
        var configuration = GatewayConfiguration()
        configuration.clientBuffer = 4096
        configuration.clientBufferMax = 1 << 20
        configuration.slowClientTimeout = 60
        let h = try GatewayHarness(configuration: configuration, ringCapacity: 1 << 16) { s in
            s.unsentLimitBytes = 1024
        }
        defer { h.stop() }
        _ = quote(h, "AAPL", 1, bid: 1_000_000)
        try h.waitForGateway()
        let fast = try TestClient(h.address, headers: [Self.offer])
        let slow = try (0..<3).map { _ in try TestClient(h.address, receiveBuffer: 1024, headers: [Self.offer]) }
        for c in [fast] + slow {
            try c.send(#"{"op":"subscribe","symbols":["AAPL"]}"#)
            #expect(c.next()?.type == "subscribed")
            #expect(c.next()?.type == "snapshot")
        }
        let stats = h.server.statistics
        let compressionsBefore = stats.deflateMessages.load(ordering: .relaxed)
        let framesBefore = ([fast] + slow).map(\.frames.count)
        // Quotes while the slow clients read nothing, until all three conflate (bounded); the fast one
        // reads as they come (after every 5 it waits for the 5th).
        var written = 0
        var lastSeq = 0
        var fastSeqs: [Int] = []
        while written < 3000, written < 300 || h.gateway.statistics.clientsConflating.load(ordering: .relaxed) < 3 {
            lastSeq = Int(quote(h, "AAPL", 1, bid: 1_000_000 + UInt32(written % 500) * 100))
            written += 1
            if written % 5 == 0 { while fastSeqs.last != lastSeq, let m = fast.next() { fastSeqs.append(m.seq ?? -1) } }
        }
        while fastSeqs.last != lastSeq, let m = fast.next() { fastSeqs.append(m.seq ?? -1) }
        #expect(h.gateway.statistics.clientsConflating.load(ordering: .relaxed) == 3)
        #expect(fastSeqs.count == written)
        // Now they read: a backlog, then the latest quote marked conflated. Its `prev` is the last
        // quote each got before it stalled, which the kernel's buffers decide: clients that stalled at
        // the same quote share one frame (compressed once); one that stalled elsewhere has its own.
        var conflated: [TestClient.ReceivedFrame] = []
        for (i, c) in slow.enumerated() {
            let (final, before) = c.until { $0["conflated"] as? Bool == true }
            #expect(final?.seq == lastSeq, "slow client \(i) after \(before.count) messages")
            if let frame = c.frames.last, final != nil { conflated.append(frame) }
        }
        #expect(conflated.count == 3 && conflated.allSatisfy(\.compressed))
        let conflatedMessages = Set(conflated.map(\.message))
        // Every quote frame any client got was compressed once: the fast client's (every tick) and
        // each distinct conflated frame; the slow clients' backlogs are copies of the fast client's.
        var distinct = Set<[UInt8]>()
        var wires: [[UInt8]: Set<[UInt8]>] = [:]
        for (i, c) in ([fast] + slow).enumerated() {
            for q in quoteFrames(c.frames[framesBefore[i]...]) {
                #expect(q.compressed)
                distinct.insert(q.message)
                wires[q.message, default: []].insert(q.wire)
            }
        }
        #expect(distinct.count == written + conflatedMessages.count)
        #expect(wires.values.allSatisfy { $0.count == 1 })
        #expect(stats.deflateMessages.load(ordering: .relaxed) - compressionsBefore == written + conflatedMessages.count,
                "\(conflatedMessages.count) distinct conflated frames")
    }
}

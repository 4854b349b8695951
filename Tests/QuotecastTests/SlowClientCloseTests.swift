import Foundation
import Glibc
import Testing

/// A client closed for reading too slowly learns why (issue 16): the gateway drops its queued backlog
/// (after the frame in flight), sends the close frame next and waits for it to be read. The real
/// `serve`, a real client that stops reading for 20 s with a tiny receive buffer, small server limits.
@Suite struct SlowClientCloseTests {
    @Test func aClientSilentFor20SecondsStillReadsIts1008AndTheReason() throws {
        let server = try WebSocketServeTests.Server(["--rate", "2000", "--client-buffer", "2048", "--client-buffer-max", "16384",
                                                     "--client-unsent", "2048", "--client-sndbuf", "4096",
                                                     "--slow-client-timeout", "600"])
        defer { server.stop() }
        let backpressure = StreamBackpressureTests()
        // Every symbol is known once it had its first tick.
        var symbols: [String] = []
        let known = Date().addingTimeInterval(30)
        while symbols.count < 100, Date() < known {
            usleep(200_000)
            let list = (try? JSONSerialization.jsonObject(with: Data(try backpressure.get(server.port, "/v1/symbols").utf8)) as? [String: Any])?["symbols"]
            symbols = (list as? [[String: Any]] ?? []).compactMap { $0["symbol"] as? String }
        }
        #expect(symbols.count == 100)

        // The client asks for every symbol (requests under 126 bytes), then reads nothing.
        let mute = try StreamBackpressureTests.Reader(port: server.port, receiveBuffer: 1024)
        for part in stride(from: 0, to: symbols.count, by: 8) {
            let names = symbols[part..<min(part + 8, symbols.count)].map { "\"\($0)\"" }.joined(separator: ",")
            try mute.send("{\"op\":\"subscribe\",\"symbols\":[\(names)],\"depth\":10}")
        }
        let silentSince = Date()

        // The server's decision, from its metrics (never from the time it might take).
        var closedBySlowness = 0.0
        let decided = Date().addingTimeInterval(120)
        while closedBySlowness < 1, Date() < decided {
            usleep(200_000)
            let page = (try? backpressure.get(server.port, "/metrics")) ?? ""
            closedBySlowness = backpressure.metric(page, "quotecast_gateway_disconnects_total", "reason=\"slow_buffer_max\"") ?? 0
        }
        #expect(closedBySlowness == 1, "the gateway never closed the silent client")

        // The client stays silent for 20 s in all, then reads: the backlog before the decision, then
        // the close frame with its code and reason.
        let silence = 20 - Date().timeIntervalSince(silentSince)
        if silence > 0 { usleep(UInt32(silence * 1_000_000)) }
        let reading = Date().addingTimeInterval(60)
        while mute.closeCode == nil, !mute.closed, Date() < reading {
            var p = pollfd(fd: mute.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 100)
            mute.pump()
        }
        #expect(mute.closeCode == 1008, "close code \(mute.closeCode.map(String.init) ?? "none"), closed=\(mute.closed)")
        #expect(mute.closeReason == "client too slow: output over --client-buffer-max", "reason '\(mute.closeReason)'")
        // What was queued behind the decision was dropped, and no frame was cut: every message before
        // the close parsed as JSON, and nothing is left half-read.
        #expect(!mute.messages.isEmpty)
        #expect(mute.buffer.isEmpty, "\(mute.buffer.count) bytes after the close frame")
        let page = try backpressure.get(server.port, "/metrics")
        #expect((backpressure.metric(page, "quotecast_websocket_close_discarded_bytes_total") ?? 0) > 0)
        #expect(backpressure.metric(page, "quotecast_websocket_close_frames_unsent_total") == 0)
    }
}

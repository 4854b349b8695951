import Foundation
import Sockets
import StreamClient
import Testing

/// permessage-deflate through the real `quotecast serve`: the market-data stream and the echo
/// endpoint speak it with a client that offers it, in each `--deflate` mode.
@Suite struct DeflateServeTests {
    /// The types of the stream messages `client` receives within `seconds`, until `enough` holds.
    func streamTypes(_ client: StreamConnection, seconds: Double, until enough: ([String]) -> Bool) throws -> [String] {
        var types: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !enough(types) {
            guard case .text(let text)? = try client.receive(timeout: .milliseconds(200)) else { continue }
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            types.append(object?["type"] as? String ?? "?")
        }
        return types
    }

    @Test(arguments: ["shared", "full", "off"])
    func theStreamAndTheEchoSpeakItInEachMode(mode: String) throws {
        let server = try WebSocketServeTests.Server(["--deflate", mode, "--rate", "2000"])
        defer { server.stop() }
        #expect(server.text.contains("deflate=\(mode)"))
        let base = "ws://127.0.0.1:\(server.port)"
        let stream = try StreamConnection.connect(to: StreamURL(base + "/v1/stream"), offerDeflate: true)
        defer { stream.close() }
        switch mode {
        case "off": #expect(stream.deflateAgreement == nil)
        case "shared": #expect(stream.deflateAgreement?.serverNoContextTakeover == true)
        default: #expect(stream.deflateAgreement?.serverNoContextTakeover == false)
        }
        // Every symbol at depth 10: quotes arrive (compressed unless off) and parse as JSON.
        // A symbol is listed once it had its first tick.
        let http = try WebSocketServeTests.Client(server.address)
        defer { http.close() }
        var list: [String] = []
        let listed = Date().addingTimeInterval(20)
        while list.count < 20, Date() < listed {
            let body = try http.request("GET /v1/symbols HTTP/1.1\r\nHost: t\r\n\r\n").components(separatedBy: "\r\n\r\n").last ?? ""
            let entries = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["symbols"] as? [[String: Any]]
            list = (entries ?? []).compactMap { $0["symbol"] as? String }
            if list.count < 20 { usleep(100_000) }
        }
        #expect(list.count >= 20)
        let subscribe = "{\"op\":\"subscribe\",\"symbols\":[\(list.prefix(20).map { "\"\($0)\"" }.joined(separator: ","))],\"depth\":10}"
        try stream.send(text: subscribe)
        let types = try streamTypes(stream, seconds: 20) { $0.filter { $0 == "quote" }.count >= 50 }
        #expect(types.contains("subscribed") && types.contains("snapshot"), "\(mode): \(types.prefix(5))")
        #expect(types.filter { $0 == "quote" }.count >= 50, "\(mode): \(types.count) messages")
        let received = stream.compressedReceived
        if mode == "off" {
            #expect(received.messages == 0)
        } else {
            // Quotes and snapshots are over the 64-byte threshold: they come compressed.
            #expect(received.messages >= 50 && received.compressedBytes < received.inflatedBytes, "\(mode): \(received)")
        }
        // The echo endpoint: a compressed text in, the same text back.
        let echo = try StreamConnection.connect(to: StreamURL(base + "/echo"), offerDeflate: true)
        defer { echo.close() }
        let text = String(repeating: "{\"op\":\"ping\",\"note\":\"héllo\"}", count: 20)
        try echo.send(text: text)
        #expect(try echo.receive(timeout: .seconds(5)) == .text(text))

        // /metrics: the two clients in their mode, the compressions, and the echo's compressed text in.
        let metricsClient = try WebSocketServeTests.Client(server.address)
        defer { metricsClient.close() }
        let page = try metricsClient.request("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
        func metric(_ series: String) -> Double? {
            page.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        let compression = mode == "off" ? "none" : mode == "shared" ? "shared" : "own_context"
        #expect(metric("quotecast_websocket_clients{compression=\"\(compression)\"}") == 2, "\(mode)")
        let compressions = metric("quotecast_websocket_deflate_messages_total") ?? -1
        let frames = metric("quotecast_websocket_deflate_frames_out_total") ?? -1
        let inflated = metric("quotecast_websocket_inflate_output_bytes_total") ?? -1
        if mode == "off" {
            #expect(compressions == 0 && frames == 0 && inflated == 0)
        } else {
            #expect(frames >= Double(received.messages) && compressions > 0, "\(mode): \(compressions) compressions, \(frames) frames")
            #expect((metric("quotecast_websocket_deflate_input_bytes_total") ?? 0) > (metric("quotecast_websocket_deflate_output_bytes_total") ?? .infinity))
            // Both clients compress their texts of 64 bytes and more: the subscribe and the echoed text.
            #expect(inflated == Double(subscribe.utf8.count + text.utf8.count), "\(mode)")
            #expect((metric("quotecast_websocket_zlib_memory_bytes") ?? 0) > 0)
        }
        #expect(metric("quotecast_websocket_inflate_failures_total{reason=\"invalid\"}") == 0)
    }

    @Test func aBadDeflateModeExitsWith2NamingTheFlag() throws {
        let r = try QuotecastProcess.run(["serve", "--listen", "127.0.0.1:0", "--deflate", "always"], timeout: 20)
        #expect(r.status == 2 && r.stderr.contains("--deflate"), "\(r.status) \(r.stderr)")
    }
}

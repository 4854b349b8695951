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
        try stream.send(text: "{\"op\":\"subscribe\",\"symbols\":[\(list.prefix(20).map { "\"\($0)\"" }.joined(separator: ","))],\"depth\":10}")
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
    }

    @Test func aBadDeflateModeExitsWith2NamingTheFlag() throws {
        let r = try QuotecastProcess.run(["serve", "--listen", "127.0.0.1:0", "--deflate", "always"], timeout: 20)
        #expect(r.status == 2 && r.stderr.contains("--deflate"), "\(r.status) \(r.stderr)")
    }
}

import Foundation
import Testing

/// `--allowed-origin`: a browser page from another origin is refused like every other refusal, with
/// JSON that names a code (docs/websocket-api.md), not a plain-text 403.
@Suite struct OriginRefusalTests {
    func handshake(origin: String) -> String {
        "GET /v1/stream HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: \(origin)\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    }

    @Test func anOriginNotAllowedGets403WithAJSONCode() throws {
        let server = try WebSocketServeTests.Server(["--allowed-origin", "https://quotes.example,https://app.example"])
        defer { server.stop() }
        let refused = try WebSocketServeTests.Client(server.address)
        defer { refused.close() }
        let answer = try refused.request(handshake(origin: "https://evil.example"))
        #expect(answer.hasPrefix("HTTP/1.1 403 Forbidden\r\n"), "\(answer)")
        #expect(answer.lowercased().contains("content-type: application/json\r\n"), "\(answer)")
        let body = try #require(answer.components(separatedBy: "\r\n\r\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        #expect(object["type"] as? String == "error")
        #expect(object["code"] as? String == "origin_not_allowed")
        #expect((object["message"] as? String)?.contains("https://evil.example") == true)

        let allowed = try WebSocketServeTests.Client(server.address)
        defer { allowed.close() }
        #expect(try allowed.request(handshake(origin: "https://app.example")).hasPrefix("HTTP/1.1 101 "))
    }
}

import Foundation
import Sockets
import Testing
import WebSocket

/// A stand-in gateway on loopback speaking the contract's WebSocket API with canned data: it answers
/// `subscribe` with `subscribed`, a snapshot per known symbol, one `unknown_symbol` error for the
/// rest, then a few trades per symbol (prices rising from `base`).
final class FakeGateway: WebSocketServerDelegate, @unchecked Sendable {
    static let known: Set<String> = ["AAPL", "MSFT", "NVDA"]
    let base: Int
    private(set) var server: WebSocketServer!
    private var thread: Thread!
    private let done = DispatchSemaphore(value: 0)

    /// Starts on `port` (0: any free port).
    init(port: UInt16 = 0, base: Int = 100) throws {
        self.base = base
        var configuration = WebSocketServerConfiguration(listen: SocketAddress(host: "127.0.0.1", port: port)!)
        configuration.closeTimeout = 0.2
        server = try WebSocketServer(configuration: configuration, delegate: self)
        let server = server!
        thread = Thread { [done] in
            server.run()
            done.signal()
        }
        thread.start()
    }

    var port: UInt16 { server.localAddress.port }
    var url: String { "ws://127.0.0.1:\(port)/v1/stream" }

    /// Stops (clients get close 1001) and waits for the loop to end.
    func stop() {
        server.stop()
        _ = done.wait(timeout: .now() + 10)
    }

    func route(_ request: HTTPRequest, server: WebSocketServer) -> HTTPRoute {
        request.path == "/v1/stream" ? .upgrade : .respond(.text(.notFound))
    }

    func webSocketDidOpen(_ client: WebSocketClient, server: WebSocketServer) {}
    func webSocketDidClose(_ client: WebSocketClient, code: WebSocketCloseCode, server: WebSocketServer) {}

    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, server: WebSocketServer) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any],
              object["op"] as? String == "subscribe", let symbols = object["symbols"] as? [String] else { return }
        let good = symbols.filter { FakeGateway.known.contains($0) }
        let bad = symbols.filter { !FakeGateway.known.contains($0) }
        func send(_ text: String) { server.send(.text(text), to: client) }
        send(#"{"type":"subscribed","symbols":[\#(good.map { "\"\($0)\"" }.joined(separator: ","))]}"#)
        if !bad.isEmpty {
            send(#"{"type":"error","code":"unknown_symbol","message":"unknown symbol","symbols":[\#(bad.map { "\"\($0)\"" }.joined(separator: ","))]}"#)
        }
        let rt = UInt64(Date().timeIntervalSince1970 * 1e9)
        for s in good {
            let levels = (0..<10).map { "[\"\(base).\(String(format: "%02d", 50 - $0))00\",\(100 * ($0 + 1))]" }.joined(separator: ",")
            let asks = (0..<10).map { "[\"\(base).\(String(format: "%02d", 51 + $0))00\",\(100 * ($0 + 1))]" }.joined(separator: ",")
            send(#"{"type":"snapshot","symbol":"\#(s)","seq":1,"ts":34200000000000,"rt":\#(rt),"status":"trading","bids":[\#(levels)],"asks":[\#(asks)],"last":{"price":"\#(base).5000","size":100},"volume":1000}"#)
            for i in 1...3 {
                send(#"{"type":"trade","symbol":"\#(s)","seq":\#(1 + i),"ts":\#(34200000000000 + i * 1_000_000),"rt":\#(rt),"price":"\#(base).\#(50 + i)00","size":\#(10 * i),"side":"B"}"#)
            }
        }
    }
}

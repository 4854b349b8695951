import Testing
@testable import Gateway

/// What the gateway makes of a client's JSON request, away from any socket.
@Suite struct ClientRequestTests {
    /// A ping's `id` is echoed as JSON; an object `id` comes back with its keys sorted, the same bytes
    /// every time (the `request` fuzz target found two decodings of one request echoing it differently).
    @Test func anObjectPingIDIsEchoedWithItsKeysSorted() {
        let payload = Array(#"{"op":"ping","id":{"nested":[1,"two","AAPL"],"depth":2,"a":null}}"#.utf8)
        for _ in 0..<20 {
            let request = payload.withUnsafeBytes { ClientRequest($0) }
            guard case .ping(let id) = request else {
                Issue.record("not a ping: \(request)")
                return
            }
            #expect(id == #"{"a":null,"depth":2,"nested":[1,"two","AAPL"]}"#)
        }
    }
}

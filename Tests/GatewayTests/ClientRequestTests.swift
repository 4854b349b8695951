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

/// Issue 19's request fields, away from any socket: `id` on every op, `channels`, `stats_interval_ms`,
/// `since`, and their refusals.
@Suite struct SubscribeFieldTests {
    func decode(_ json: String) -> ClientRequest { Array(json.utf8).withUnsafeBytes { ClientRequest($0) } }

    @Test func aFullSubscribeDecodesEveryField() throws {
        let r = decode(#"{"op":"subscribe","id":17,"symbols":["005930","AAPL"],"channels":["quote","trade","status","stats","candle:1m"],"depth":5,"since":{"AAPL":1834,"005930":77},"stats_interval_ms":1000}"#)
        guard case .subscribe(let s) = r else { Issue.record("\(r)"); return }
        #expect(s.id == "17" && s.symbols == ["005930", "AAPL"] && s.depth == 5)
        #expect(s.channels == [.quote, .trade, .status, .stats, .candle1m])
        #expect(s.since == ["AAPL": 1834, "005930": 77])
        #expect(s.statsIntervalMilliseconds == 1000)
    }

    @Test func absentFieldsTakeTheirDefaults() {
        guard case .subscribe(let s) = decode(#"{"op":"subscribe","symbols":["AAPL"]}"#) else { Issue.record("not a subscribe"); return }
        #expect(s.id == nil && s.depth == 10 && s.channels == nil && s.grantedChannels == [.quote, .trade, .status])
        #expect(s.since == nil && s.statsIntervalMilliseconds == 1000)
    }

    @Test func everyChannelNameRoundTrips() {
        for (name, channel) in ChannelSet.named {
            #expect(ChannelSet(name: name) == channel)
            #expect(channel.names == [name])
        }
        #expect(ChannelSet(name: "candle:2m") == nil && ChannelSet(name: "QUOTE") == nil)
    }

    @Test func badFieldsAreRefusedWithTheirCodeAndTheRequestsID() {
        let cases: [(String, String)] = [
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"channels":["quote","candle:2m"]}"#, "bad_channel"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"channels":[]}"#, "bad_channel"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"channels":"quote"}"#, "bad_channel"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"channels":[1]}"#, "bad_channel"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"stats_interval_ms":249}"#, "bad_interval"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"stats_interval_ms":60001}"#, "bad_interval"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"stats_interval_ms":500.5}"#, "bad_interval"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"stats_interval_ms":true}"#, "bad_interval"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"since":[1]}"#, "bad_since"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"since":{"AAPL":-1}}"#, "bad_since"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"since":{"AAPL":"12"}}"#, "bad_since"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"since":{"AAPL":1.5}}"#, "bad_since"),
            (#"{"op":"subscribe","id":"a","symbols":["AAPL"],"depth":0}"#, "bad_depth"),
            (#"{"op":"dance","id":"a"}"#, "unknown_op"),
            (#"{"id":"a"}"#, "bad_request"),
        ]
        for (json, code) in cases {
            let r = decode(json)
            guard case .invalid(let got, let message, let id) = r else { Issue.record("\(json) accepted: \(r)"); continue }
            #expect(got == code, "\(json)")
            #expect(id == #""a""#, "\(json)")
            #expect(!message.isEmpty)
        }
    }

    @Test func theBoundariesAreAccepted() {
        for ms in [250, 60_000] {
            guard case .subscribe(let s) = decode(#"{"op":"subscribe","symbols":[],"stats_interval_ms":\#(ms)}"#) else {
                Issue.record("\(ms) refused"); continue
            }
            #expect(s.statsIntervalMilliseconds == ms)
        }
        guard case .subscribe(let s) = decode(#"{"op":"subscribe","symbols":[],"since":{"AAPL":0}}"#) else { Issue.record("since 0 refused"); return }
        #expect(s.since == ["AAPL": 0])
    }

    @Test func unsubscribeCarriesItsID() {
        guard case .unsubscribe(let symbols, let id) = decode(#"{"op":"unsubscribe","id":{"b":1,"a":2},"symbols":["AAPL"]}"#) else {
            Issue.record("not an unsubscribe"); return
        }
        #expect(symbols == ["AAPL"] && id == #"{"a":2,"b":1}"#)
    }
}

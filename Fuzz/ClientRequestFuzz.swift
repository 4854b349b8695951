// Fuzz target `request`: the gateway's decoder of what a stream client sends (Gateway module's
// ClientRequest: subscribe, unsubscribe, ping, auth), on any bytes a text message can carry.
// Properties: no crash and no hang on deep or huge documents; the same bytes decode the same way
// twice; a subscribe names at most `maxSymbolsPerRequest` symbols at a depth of 1 to 10, a non-empty
// channel set and a stats interval in bounds; every id is JSON again (it is echoed into the answers as
// it is); a refusal carries one of the documented codes
// and a message short enough to send back.

import Foundation
import Gateway

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    let documents = [
        #"{"op":"subscribe","symbols":["AAPL","MSFT"],"depth":5}"#,
        #"{"op":"subscribe","symbols":["aapl"]}"#,
        #"{"op":"subscribe","symbols":["AAPL"],"depth":true}"#,
        #"{"op":"subscribe","symbols":["AAPL"],"depth":2.5}"#,
        #"{"op":"unsubscribe","symbols":["AAPL"]}"#,
        #"{"op":"subscribe","id":17,"symbols":["AAPL"],"channels":["quote","stats","candle:1m"],"since":{"AAPL":18},"stats_interval_ms":500}"#,
        #"{"op":"subscribe","id":[1],"symbols":["AAPL"],"channels":["bogus"]}"#,
        #"{"op":"subscribe","symbols":["AAPL"],"since":{"AAPL":-1},"stats_interval_ms":100}"#,
        #"{"op":"ping","id":7}"#,
        #"{"op":"ping","id":{"nested":[1,"two",null,false,1e300]}}"#,
        #"{"op":"auth","token":"eyJhbGciOiJIUzI1NiJ9.e30.sig"}"#,
        #"{"op":"dance"}"#,
        #"[1,2,3]"#,
        #"{"symbols":"AAPL"}"#,
        "not json",
        String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
    ]
    return documents.enumerated().map { ("\($0.offset).json", Array($0.element.utf8)) }
}

/// The codes a refusal may carry (docs/websocket-api.md).
let refusalCodes: Set<String> = ["bad_json", "bad_request", "bad_depth", "unknown_op", "bad_channel", "bad_interval", "bad_since"]

/// An echoed `id` must be JSON again (it is written into the answer as it is).
func checkJSON(_ id: String) {
    if (try? JSONSerialization.jsonObject(with: Data(id.utf8), options: [.fragmentsAllowed])) == nil {
        propertyFailed("id \(id) is not JSON")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let payload = UnsafeRawBufferPointer(start: data, count: size)
    let request = ClientRequest(payload)
    // Compared as values: `since` is a dictionary, whose printed order may differ between two equal
    // ones (found by this target once `since` existed: {"AAid":17,"sL":18} printed both ways).
    if request != ClientRequest(payload) { propertyFailed("two decodings differ") }
    switch request {
    case let .subscribe(r):
        if r.symbols.count > ClientRequest.maxSymbolsPerRequest { propertyFailed("\(r.symbols.count) symbols") }
        if !(1...10).contains(r.depth) { propertyFailed("depth \(r.depth)") }
        if r.channels == [] { propertyFailed("an empty channel set") }
        if !SubscribeRequest.statsIntervals.contains(r.statsIntervalMilliseconds) { propertyFailed("interval \(r.statsIntervalMilliseconds)") }
        if let id = r.id { checkJSON(id) }
    case let .unsubscribe(symbols, id):
        if let id { checkJSON(id) }
        if symbols.count > ClientRequest.maxSymbolsPerRequest { propertyFailed("\(symbols.count) symbols") }
    case let .ping(id):
        if let id { checkJSON(id) }
    case let .auth(_, id):
        if let id { checkJSON(id) }
    case let .invalid(code, message, id):
        if let id { checkJSON(id) }
        if !refusalCodes.contains(code) { propertyFailed("refusal code \(code)") }
        if message.utf8.count > 200 { propertyFailed("refusal message of \(message.utf8.count) bytes") }
    }
    return 0
}

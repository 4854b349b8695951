// Fuzz target `request`: the gateway's decoder of what a stream client sends (Gateway module's
// ClientRequest: subscribe, unsubscribe, ping, auth), on any bytes a text message can carry.
// Properties: no crash and no hang on deep or huge documents; the same bytes decode the same way
// twice; a subscribe names at most `maxSymbolsPerRequest` symbols at a depth of 1 to 10; a ping's id
// is JSON again (it is echoed into the pong as it is); a refusal carries one of the documented codes
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
let refusalCodes: Set<String> = ["bad_json", "bad_request", "bad_depth", "unknown_op"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let payload = UnsafeRawBufferPointer(start: data, count: size)
    let request = ClientRequest(payload)
    if "\(request)" != "\(ClientRequest(payload))" { propertyFailed("two decodings differ") }
    switch request {
    case let .subscribe(symbols, depth):
        if symbols.count > ClientRequest.maxSymbolsPerRequest { propertyFailed("\(symbols.count) symbols") }
        if !(1...10).contains(depth) { propertyFailed("depth \(depth)") }
    case let .unsubscribe(symbols):
        if symbols.count > ClientRequest.maxSymbolsPerRequest { propertyFailed("\(symbols.count) symbols") }
    case let .ping(id):
        if let id, (try? JSONSerialization.jsonObject(with: Data(id.utf8), options: [.fragmentsAllowed])) == nil {
            propertyFailed("ping id \(id) is not JSON")
        }
    case .auth:
        break
    case let .invalid(code, message):
        if !refusalCodes.contains(code) { propertyFailed("refusal code \(code)") }
        if message.utf8.count > 200 { propertyFailed("refusal message of \(message.utf8.count) bytes") }
    }
    return 0
}

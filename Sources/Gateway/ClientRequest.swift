import Foundation
import Market

/// One message a stream client sent, decoded (contract section 2), or why it was refused. Public for
/// the `request` fuzz target (docs/fuzzing.md); the gateway is its only other user.
public enum ClientRequest {
    /// `{"op":"subscribe","symbols":[...],"depth":N}`; depth defaults to 10.
    case subscribe(symbols: [String], depth: Int)
    /// `{"op":"unsubscribe","symbols":[...]}`.
    case unsubscribe(symbols: [String])
    /// `{"op":"ping","id":…}`: `id` is re-encoded JSON (any JSON value), nil when absent.
    case ping(id: String?)
    /// `{"op":"auth","token":"…"}`: a fresh access token for the connection (docs/security.md).
    case auth(token: String)
    /// Not a request we can serve: the error code and message to send back.
    case invalid(code: String, message: String)

    /// Most symbols one request may name (bounds the work of one message).
    public static let maxSymbolsPerRequest = 10_000

    /// Decodes a text message's bytes.
    public init(_ payload: UnsafeRawBufferPointer) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed]) else {
            self = .invalid(code: "bad_json", message: "the message is not valid JSON")
            return
        }
        guard let fields = object as? [String: Any] else {
            self = .invalid(code: "bad_request", message: "expected a JSON object")
            return
        }
        guard let op = fields["op"] as? String else {
            self = .invalid(code: "bad_request", message: "missing \"op\"")
            return
        }
        switch op {
        case "subscribe", "unsubscribe":
            guard let list = fields["symbols"] as? [Any], let symbols = list as? [String] else {
                self = .invalid(code: "bad_request", message: "\"symbols\" must be an array of strings")
                return
            }
            guard symbols.count <= ClientRequest.maxSymbolsPerRequest else {
                self = .invalid(code: "bad_request", message: "at most \(ClientRequest.maxSymbolsPerRequest) symbols per request")
                return
            }
            if op == "unsubscribe" {
                self = .unsubscribe(symbols: symbols)
                return
            }
            var depth = 10
            if let value = fields["depth"] {
                guard let number = value as? NSNumber, String(cString: number.objCType) != "c",  // "c": a JSON boolean
                      let d = Int(exactly: number.doubleValue), (1...10).contains(d) else {
                    self = .invalid(code: "bad_depth", message: "\"depth\" must be an integer from 1 to 10")
                    return
                }
                depth = d
            }
            self = .subscribe(symbols: symbols, depth: depth)
        case "ping":
            if let id = fields["id"] {
                // Keys sorted: an object `id` echoes the same bytes every time (found by the `request` fuzz
                // target: Foundation's dictionaries gave its members in a different order per decoding).
                let data = (try? JSONSerialization.data(withJSONObject: id, options: [.fragmentsAllowed, .sortedKeys])) ?? Data("null".utf8)
                self = .ping(id: String(decoding: data, as: UTF8.self))
            } else {
                self = .ping(id: nil)
            }
        case "auth":
            guard let token = fields["token"] as? String else {
                self = .invalid(code: "bad_request", message: "\"token\" must be a string")
                return
            }
            self = .auth(token: token)
        default:
            self = .invalid(code: "unknown_op", message: "unknown op \"\(op.prefix(40))\"")
        }
    }
}

/// The gateway's own JSON messages besides ticks: small, rare, built as strings.
enum ControlMessage {
    /// `{"type":"subscribed","symbols":[...]}` (or `unsubscribed`).
    static func symbols(_ type: String, _ symbols: [String]) -> String {
        "{\"type\":\"\(type)\",\"symbols\":[" + symbols.map { "\"\(escape($0))\"" }.joined(separator: ",") + "]}"
    }

    /// `{"type":"error","code":…,"message":…[,"symbols":[...]]}`.
    static func error(_ code: String, _ message: String, symbols: [String]? = nil) -> String {
        var s = "{\"type\":\"error\",\"code\":\"\(code)\",\"message\":\"\(escape(message))\""
        if let symbols { s += ",\"symbols\":[" + symbols.map { "\"\(escape($0))\"" }.joined(separator: ",") + "]" }
        return s + "}"
    }

    /// `{"type":"pong","id":…}`.
    static func pong(_ id: String?) -> String {
        id.map { "{\"type\":\"pong\",\"id\":\($0)}" } ?? "{\"type\":\"pong\"}"
    }

    /// A JSON string body (see `jsonEscaped`).
    static func escape(_ text: String) -> String { jsonEscaped(text) }
}

import Foundation
import Market

/// A decoded `{"op":"subscribe",…}` (docs/websocket-api.md, "Requests").
public struct SubscribeRequest: Equatable, Sendable {
    /// The request's `id`, re-encoded JSON (any JSON value, object keys sorted); nil when absent.
    public var id: String?
    /// The symbols as the client wrote them (canonical names come from the cache).
    public var symbols: [String]
    /// Levels a side, 1...10 (default 10).
    public var depth: Int
    /// The `channels` asked for; nil when the request had none (then `ChannelSet.standard`, and
    /// `subscribed` does not list them).
    public var channels: ChannelSet?
    /// `since`: per symbol name as written, the last `seq` the client holds; nil when absent.
    public var since: [String: UInt64]?
    /// `stats_interval_ms`, 250...60 000 (default 1 000).
    public var statsIntervalMilliseconds: Int

    /// Default depth, channels and stats interval.
    public init(id: String? = nil, symbols: [String], depth: Int = 10, channels: ChannelSet? = nil,
                since: [String: UInt64]? = nil, statsIntervalMilliseconds: Int = SubscribeRequest.defaultStatsInterval) {
        self.id = id
        self.symbols = symbols
        self.depth = depth
        self.channels = channels
        self.since = since
        self.statsIntervalMilliseconds = statsIntervalMilliseconds
    }

    /// The channels the subscription gets.
    public var grantedChannels: ChannelSet { channels ?? .standard }

    /// `stats_interval_ms` bounds and default (`StatsInterval`'s, which schedules them).
    public static let statsIntervals = StatsInterval.minimumMilliseconds...StatsInterval.maximumMilliseconds
    public static let defaultStatsInterval = StatsInterval.standard.milliseconds
}

/// One message a stream client sent, decoded (contract section 2), or why it was refused. Public for
/// the `request` fuzz target (docs/fuzzing.md); the gateway is its only other user.
///
/// Every request may carry an `id` (any JSON value): it is re-encoded with sorted object keys (the
/// same bytes every time) and echoed in every answer to that request, refusals included.
public enum ClientRequest: Equatable {
    /// `{"op":"subscribe","symbols":[...],"depth":N,"channels":[...],"since":{...},"stats_interval_ms":N}`.
    case subscribe(SubscribeRequest)
    /// `{"op":"unsubscribe","symbols":[...]}`.
    case unsubscribe(symbols: [String], id: String?)
    /// `{"op":"ping","id":…}`.
    case ping(id: String?)
    /// `{"op":"auth","token":"…"}`: a fresh access token for the connection (docs/security.md).
    case auth(token: String, id: String?)
    /// Not a request we can serve: the error code and message to send back, with the request's `id`.
    case invalid(code: String, message: String, id: String?)

    /// Most symbols one request may name (bounds the work of one message).
    public static let maxSymbolsPerRequest = 10_000

    /// Decodes a text message's bytes.
    public init(_ payload: UnsafeRawBufferPointer) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed]) else {
            self = .invalid(code: "bad_json", message: "the message is not valid JSON", id: nil)
            return
        }
        guard let fields = object as? [String: Any] else {
            self = .invalid(code: "bad_request", message: "expected a JSON object", id: nil)
            return
        }
        // Keys sorted: an object `id` echoes the same bytes every time (found by the `request` fuzz
        // target: Foundation's dictionaries gave its members in a different order per decoding).
        let id = fields["id"].map {
            String(decoding: (try? JSONSerialization.data(withJSONObject: $0, options: [.fragmentsAllowed, .sortedKeys]))
                   ?? Data("null".utf8), as: UTF8.self)
        }
        guard let op = fields["op"] as? String else {
            self = .invalid(code: "bad_request", message: "missing \"op\"", id: id)
            return
        }
        switch op {
        case "subscribe", "unsubscribe":
            guard let list = fields["symbols"] as? [Any], let symbols = list as? [String] else {
                self = .invalid(code: "bad_request", message: "\"symbols\" must be an array of strings", id: id)
                return
            }
            guard symbols.count <= ClientRequest.maxSymbolsPerRequest else {
                self = .invalid(code: "bad_request", message: "at most \(ClientRequest.maxSymbolsPerRequest) symbols per request", id: id)
                return
            }
            if op == "unsubscribe" {
                self = .unsubscribe(symbols: symbols, id: id)
                return
            }
            switch ClientRequest.subscription(fields, symbols: symbols, id: id) {
            case .success(let request): self = .subscribe(request)
            case .failure(let refusal): self = .invalid(code: refusal.code, message: refusal.message, id: id)
            }
        case "ping":
            self = .ping(id: id)
        case "auth":
            guard let token = fields["token"] as? String else {
                self = .invalid(code: "bad_request", message: "\"token\" must be a string", id: id)
                return
            }
            self = .auth(token: token, id: id)
        default:
            self = .invalid(code: "unknown_op", message: "unknown op \"\(op.prefix(40))\"", id: id)
        }
    }

    /// Why a subscribe's optional fields were refused: the error code and message.
    struct Refusal: Error {
        let code: String
        let message: String
    }

    /// A subscribe's optional fields (`depth`, `channels`, `stats_interval_ms`, `since`), checked in
    /// that order: the first bad one is the refusal.
    static func subscription(_ fields: [String: Any], symbols: [String], id: String?) -> Result<SubscribeRequest, Refusal> {
        var request = SubscribeRequest(id: id, symbols: symbols)
        if let value = fields["depth"] {
            guard let d = jsonInteger(value), (1...10).contains(d) else {
                return .failure(Refusal(code: "bad_depth", message: "\"depth\" must be an integer from 1 to 10"))
            }
            request.depth = Int(d)
        }
        if let value = fields["channels"] {
            guard let list = value as? [Any], let names = list as? [String], !names.isEmpty else {
                return .failure(Refusal(code: "bad_channel", message: "\"channels\" must be a non-empty array of channel names"))
            }
            var channels: ChannelSet = []
            for name in names {
                guard let channel = ChannelSet(name: name) else {
                    return .failure(Refusal(code: "bad_channel", message: "unknown channel \"\(name.prefix(40))\""))
                }
                channels.insert(channel)
            }
            request.channels = channels
        }
        if let value = fields["stats_interval_ms"] {
            guard let ms = jsonInteger(value), SubscribeRequest.statsIntervals.contains(Int(ms)) else {
                return .failure(Refusal(code: "bad_interval", message: "\"stats_interval_ms\" must be an integer from 250 to 60000"))
            }
            request.statsIntervalMilliseconds = Int(ms)
        }
        if let value = fields["since"] {
            let refusal = Refusal(code: "bad_since", message: "\"since\" must be an object of symbol to the last seq held (a non-negative integer)")
            guard let object = value as? [String: Any] else { return .failure(refusal) }
            var since: [String: UInt64] = [:]
            for (name, held) in object {
                guard let seq = jsonInteger(held), seq >= 0 else { return .failure(refusal) }
                since[name] = UInt64(seq)
            }
            request.since = since
        }
        return .success(request)
    }

    /// A JSON number that is an integer (not a boolean, not a fraction), as Int64; nil otherwise.
    static func jsonInteger(_ value: Any) -> Int64? {
        guard let number = value as? NSNumber else { return nil }
        switch String(cString: number.objCType) {
        case "c": return nil  // a JSON boolean
        case "d", "f": return Int64(exactly: number.doubleValue)
        default: return number.int64Value
        }
    }
}

/// The gateway's own JSON messages besides ticks: small, rare, built as strings. `id` is the
/// request's re-encoded `id` (see `ClientRequest`), written right after `type` when present.
enum ControlMessage {
    /// `{"type":…,"id":…` (no closing brace).
    static func head(_ type: String, id: String?) -> String {
        "{\"type\":\"\(type)\"" + (id.map { ",\"id\":\($0)" } ?? "")
    }

    /// `{"type":"unsubscribed","id":…,"symbols":[...]}` (or another type with a symbol list).
    static func symbols(_ type: String, _ symbols: [String], id: String? = nil) -> String {
        head(type, id: id) + ",\"symbols\":" + list(symbols) + "}"
    }

    /// `{"type":"error","id":…,"code":…,"message":…[,"symbols":[...]]}`.
    static func error(_ code: String, _ message: String, symbols: [String]? = nil, id: String? = nil) -> String {
        var s = head("error", id: id) + ",\"code\":\"\(code)\",\"message\":\"\(escape(message))\""
        if let symbols { s += ",\"symbols\":" + list(symbols) }
        return s + "}"
    }

    /// `{"type":"pong","id":…}`.
    static func pong(_ id: String?) -> String { head("pong", id: id) + "}" }

    /// A JSON array of strings.
    static func list(_ names: [String]) -> String {
        "[" + names.map { "\"\(escape($0))\"" }.joined(separator: ",") + "]"
    }

    /// A JSON string body (see `jsonEscaped`).
    static func escape(_ text: String) -> String { jsonEscaped(text) }
}

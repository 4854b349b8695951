import Foundation

/// How the ticker runs: parsed and validated once from the command line (see `quotecast ticker --help`).
public struct TickerConfiguration: Sendable {
    /// The gateway's WebSocket URL.
    public var url = "ws://127.0.0.1:8080/v1/stream"
    /// Symbols of the table, upper-case, in the order given.
    public var symbols: [String] = []
    /// The symbol whose 10-level ladder is shown (`--depth`).
    public var depthSymbol: String?
    /// One line per update instead of the full screen.
    public var plain = false
    /// Colours allowed (`--no-color` and `NO_COLOR` turn them off).
    public var color = true
    /// Box-drawing and arrow characters allowed (a UTF-8 locale), else ASCII only.
    public var unicode = true
    /// Most frames drawn per second.
    public var framesPerSecond = 10
    /// How long one connection attempt may take, ns.
    public var connectTimeout: UInt64 = 2_000_000_000
    /// First reconnect delay, ns.
    public var backoffInitial: UInt64 = 500_000_000
    /// Longest reconnect delay, ns.
    public var backoffMaximum: UInt64 = 10_000_000_000

    /// The defaults.
    public init() {}

    /// The subscribe requests for this configuration: the ladder symbol at depth 10, the table's
    /// symbols at depth 1 (only the top of book is shown, so the gateway sends less).
    public var subscriptions: [String] {
        var out: [String] = []
        if let depthSymbol { out.append(Self.subscribe([depthSymbol], depth: 10)) }
        let rest = symbols.filter { $0 != depthSymbol }
        if !rest.isEmpty { out.append(Self.subscribe(rest, depth: 1)) }
        return out
    }

    /// `{"op":"subscribe","symbols":[…],"depth":N}` with the symbols JSON-escaped.
    static func subscribe(_ symbols: [String], depth: Int) -> String {
        let list = symbols.map { s in
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{\"op\":\"subscribe\",\"symbols\":[\(list.joined(separator: ","))],\"depth\":\(depth)}"
    }
}

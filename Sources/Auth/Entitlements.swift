/// What one user may see and ask for, from the token's claims; `nil` means unrestricted. Pure
/// functions answer the gateway's questions (may this user see symbol S of market M, what depth
/// does a request get, may it hold N subscriptions, N connections).
public struct Entitlements: Sendable, Equatable {
    /// The markets a claim may name (`mkt`).
    public static let knownMarkets = ["nasdaq", "krx"]

    /// Markets (`mkt`); nil: all.
    public var markets: [String]?
    /// Symbols or prefixes (`sym`); nil: all.
    public var symbols: SymbolPatterns?
    /// The deepest book a subscription gets (`dep`); nil: the gateway's maximum.
    public var maxDepth: Int?
    /// Symbols one connection may hold subscribed at once (`subs`); nil: the gateway's limit.
    public var maxSubscriptions: Int?
    /// Connections one user (`sub`) may hold open at once (`conn`); nil: no per-user limit.
    public var maxConnections: Int?

    /// Everything (no claim restricts anything).
    public static let unrestricted = Entitlements()

    /// Entitlements with these limits (each nil: unrestricted).
    public init(markets: [String]? = nil, symbols: SymbolPatterns? = nil, maxDepth: Int? = nil, maxSubscriptions: Int? = nil,
                maxConnections: Int? = nil) {
        self.markets = markets
        self.symbols = symbols
        self.maxDepth = maxDepth
        self.maxSubscriptions = maxSubscriptions
        self.maxConnections = maxConnections
    }

    /// Whether the user may see `market` at all.
    public func allows(market: String) -> Bool { markets?.contains(market) ?? true }

    /// Whether the user may see `symbol`, listed on `market`.
    public func allows<S: StringProtocol>(symbol: S, market: String) -> Bool {
        allows(market: market) && (symbols?.matches(symbol) ?? true)
    }

    /// The symbols of `requested` the user may not see (in request order); `market` says where each
    /// is listed.
    public func refused(_ requested: [String], market: (String) -> String) -> [String] {
        requested.filter { !allows(symbol: $0, market: market($0)) }
    }

    /// The depth a request for `requested` levels gets, and whether it was cut down.
    public func cappedDepth(_ requested: Int) -> (depth: Int, capped: Bool) {
        guard let maxDepth, requested > maxDepth else { return (requested, false) }
        return (maxDepth, true)
    }

    /// Whether a connection may hold `count` subscriptions.
    public func allowsSubscriptions(_ count: Int) -> Bool { count <= (maxSubscriptions ?? .max) }
}

/// The `sym` claim: symbols, and prefixes written with a final `*` (`"AA*"`; `"*"` alone is every
/// symbol). Matching is exact, case-sensitive.
public struct SymbolPatterns: Sendable, Equatable {
    /// The longest pattern, characters.
    public static let maximumLength = 32

    /// The patterns as written, in order (what a minted token carries).
    public let patterns: [String]
    private let exact: Set<String>
    private let prefixes: [String]

    /// Patterns from their text; throws the first one that is not a pattern: empty, longer than 32,
    /// not printable ASCII, with a space, or with a `*` anywhere but at the end.
    public init(_ patterns: [String]) throws(SymbolPatternError) {
        var exact: Set<String> = []
        var prefixes: [String] = []
        for pattern in patterns {
            let bytes = Array(pattern.utf8)
            guard !bytes.isEmpty, bytes.count <= SymbolPatterns.maximumLength,
                  bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
                  !bytes.dropLast().contains(UInt8(ascii: "*")) else { throw SymbolPatternError(pattern: pattern) }
            if bytes.last == UInt8(ascii: "*") {
                prefixes.append(String(decoding: bytes.dropLast(), as: UTF8.self))
            } else {
                exact.insert(pattern)
            }
        }
        self.patterns = patterns
        self.exact = exact
        self.prefixes = prefixes
    }

    /// Whether `symbol` is listed or starts with a listed prefix.
    public func matches<S: StringProtocol>(_ symbol: S) -> Bool {
        if exact.contains(String(symbol)) { return true }
        return prefixes.contains { symbol.hasPrefix($0) }
    }

    public static func == (a: SymbolPatterns, b: SymbolPatterns) -> Bool { a.patterns == b.patterns }
}

/// A `sym` entry that is not a symbol or a prefix pattern.
public struct SymbolPatternError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The offending text.
    public let pattern: String

    /// One line naming it and the rule.
    public var description: String {
        "\(TokenRefusal.quoted(pattern)) is not a symbol pattern (1 to \(SymbolPatterns.maximumLength) printable ASCII "
            + "characters, no spaces, '*' only at the end)"
    }
}

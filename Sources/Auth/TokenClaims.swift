import Codecs

/// A token's claims as quotecast uses them (RFC 7519 §4.1 registered claims plus its own
/// entitlement claims). Times are NumericDates: seconds since the Unix epoch, possibly fractional.
///
/// | claim | meaning | required |
/// | --- | --- | --- |
/// | `sub` | the user: a non-empty string of at most 256 bytes | yes |
/// | `exp` | expiry | yes (quotecast refuses tokens that never expire) |
/// | `nbf` | not before | no |
/// | `iat` | issued at (informational) | no |
/// | `mkt` | list of markets (`nasdaq`, `krx`) | no: all markets |
/// | `sym` | list of symbols or prefixes ending in `*` | no: all symbols |
/// | `dep` | maximum depth, integer ≥ 1 | no |
/// | `subs` | maximum subscriptions per connection, integer ≥ 1 | no |
/// | `conn` | maximum simultaneous connections of `sub`, integer ≥ 1 | no |
///
/// Other claims (`iss`, `aud`, `jti`…) are ignored. A claim of the wrong type is an error, not
/// ignored: an issuer's mistake must not silently widen what a user may see.
public struct TokenClaims: Sendable, Equatable {
    /// The longest `sub`, bytes.
    public static let maximumSubjectBytes = 256
    /// The largest `dep`, `subs` or `conn` accepted (beyond any real limit, so none is clipped).
    public static let maximumLimit = 1_000_000

    /// `sub`.
    public var subject: String
    /// `exp`.
    public var expiresAt: Double
    /// `nbf`.
    public var notBefore: Double?
    /// `iat`.
    public var issuedAt: Double?
    /// `mkt`, `sym`, `dep`, `subs`, `conn`.
    public var entitlements: Entitlements

    /// Claims for `subject`, valid until `expiresAt`.
    public init(subject: String, expiresAt: Double, notBefore: Double? = nil, issuedAt: Double? = nil,
                entitlements: Entitlements = .unrestricted) {
        self.subject = subject
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.issuedAt = issuedAt
        self.entitlements = entitlements
    }

    /// The claims of a JWT claims set (a JSON object); the error says which claim is wrong.
    public init(json: JSONValue) throws(ClaimsError) {
        guard case .object = json else { throw ClaimsError("the claims set is not a JSON object") }
        guard let sub = json["sub"] else { throw ClaimsError("no sub claim") }
        guard case .string(let subject) = sub, !subject.isEmpty, subject.utf8.count <= TokenClaims.maximumSubjectBytes else {
            throw ClaimsError("sub must be a string of 1 to \(TokenClaims.maximumSubjectBytes) bytes")
        }
        guard let exp = json["exp"] else { throw ClaimsError("no exp claim (tokens must expire)") }
        self.subject = subject
        expiresAt = try TokenClaims.numericDate(exp, "exp")
        notBefore = try json["nbf"].map { v throws(ClaimsError) in try TokenClaims.numericDate(v, "nbf") }
        issuedAt = try json["iat"].map { v throws(ClaimsError) in try TokenClaims.numericDate(v, "iat") }
        var entitlements = Entitlements()
        if let mkt = json["mkt"] {
            let markets = try TokenClaims.strings(mkt, "mkt")
            guard markets.allSatisfy({ !$0.isEmpty }) else { throw ClaimsError("mkt must not hold an empty string") }
            entitlements.markets = markets
        }
        if let sym = json["sym"] {
            let patterns = try TokenClaims.strings(sym, "sym")
            do {
                entitlements.symbols = try SymbolPatterns(patterns)
            } catch {
                throw ClaimsError("sym: \(error)")
            }
        }
        entitlements.maxDepth = try json["dep"].map { v throws(ClaimsError) in try TokenClaims.limit(v, "dep") }
        entitlements.maxSubscriptions = try json["subs"].map { v throws(ClaimsError) in try TokenClaims.limit(v, "subs") }
        entitlements.maxConnections = try json["conn"].map { v throws(ClaimsError) in try TokenClaims.limit(v, "conn") }
        self.entitlements = entitlements
    }

    /// The claims set as JSON, in a fixed order: `sub`, `iat`, `nbf`, `exp`, then the entitlements
    /// that are set. Whole-second times are written as integers.
    public var json: JSONValue {
        var members = [JSONMember("sub", .string(subject))]
        if let issuedAt { members.append(JSONMember("iat", TokenClaims.numericDateJSON(issuedAt))) }
        if let notBefore { members.append(JSONMember("nbf", TokenClaims.numericDateJSON(notBefore))) }
        members.append(JSONMember("exp", TokenClaims.numericDateJSON(expiresAt)))
        if let markets = entitlements.markets { members.append(JSONMember("mkt", .array(markets.map { .string($0) }))) }
        if let symbols = entitlements.symbols { members.append(JSONMember("sym", .array(symbols.patterns.map { .string($0) }))) }
        if let d = entitlements.maxDepth { members.append(JSONMember("dep", .number(JSONNumber(Int64(d))))) }
        if let s = entitlements.maxSubscriptions { members.append(JSONMember("subs", .number(JSONNumber(Int64(s))))) }
        if let c = entitlements.maxConnections { members.append(JSONMember("conn", .number(JSONNumber(Int64(c))))) }
        return .object(members)
    }

    static func numericDate(_ value: JSONValue, _ name: String) throws(ClaimsError) -> Double {
        guard case .number(let n) = value else { throw ClaimsError("\(name) must be a number (seconds since 1970)") }
        return n.value
    }

    /// A NumericDate as JSON: an integer when whole, else a fraction.
    public static func numericDateJSON(_ seconds: Double) -> JSONValue {
        if seconds == seconds.rounded(), abs(seconds) < 9e15 { return .number(JSONNumber(Int64(seconds))) }
        return JSONNumber(seconds).map { .number($0) } ?? .null
    }

    static func strings(_ value: JSONValue, _ name: String) throws(ClaimsError) -> [String] {
        guard case .array(let items) = value else { throw ClaimsError("\(name) must be a list of strings") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw ClaimsError("\(name) must be a list of strings") }
            out.append(s)
        }
        return out
    }

    static func limit(_ value: JSONValue, _ name: String) throws(ClaimsError) -> Int {
        guard case .number(let n) = value, let v = n.integer, v >= 1, v <= Int64(maximumLimit) else {
            throw ClaimsError("\(name) must be an integer from 1 to \(maximumLimit)")
        }
        return Int(v)
    }
}

/// A claims set that is not what quotecast accepts: which claim, and why.
public struct ClaimsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One line.
    public let description: String
    init(_ description: String) { self.description = description }
}

import Auth
import Market
import Synchronization

/// Where a token was checked.
public enum AuthenticationStage: Int, Sendable, CaseIterable {
    /// On the stream's upgrade request.
    case handshake = 0
    /// On a plain HTTP request (`/v1/symbols`).
    case request
    /// In an `{"op":"auth"}` refresh on an open connection.
    case refresh
    /// The metric label.
    public var name: String { ["handshake", "request", "refresh"][rawValue] }
}

/// The counters of access control (docs/gateway.md, "Metrics"): authentications by stage, result
/// and reason, entitlement refusals, rate-limit hits, the closes access control causes, and a
/// histogram of connections per user (a gauge per count, never a label per user). Written on the
/// loop thread, readable from any thread (relaxed atomics: statistics, not synchronization).
public final class AccessStatistics: Sendable {
    /// The `reason` label of an authentication: `ok`, each refusal code, and `subject_mismatch` (a
    /// refresh whose token names another user).
    public static let reasons = ["ok"] + TokenRefusalReason.allCases.map(\.rawValue) + ["subject_mismatch"]
    /// The claims whose refusals are counted: `mkt`, `sym` (per symbol refused), `subs` (a subscribe
    /// over the token's limit), `dep` (a depth capped).
    public static let claims = ["mkt", "sym", "subs", "dep"]
    /// Why access control closed a connection (each 1008, the reason is the close frame's text).
    public static let closeReasons = AccessCloseReason.allCases.map(\.rawValue)
    /// The histogram's upper bounds of connections per user (`+Inf` follows).
    public static let connectionBounds = [1, 2, 3, 5, 10]
    /// Users are counted by exact connection count up to this; more share the last cell.
    static let exactCounts = 10

    private let authentications: [Counter]
    private let entitlementRefusals: [Counter]
    private let closes: [Counter]
    /// `usersWith[n]`: users holding exactly n connections (n ≤ 10), `usersWith[11]`: more.
    private let usersWith: [Counter]
    /// Authenticated connections open now (the histogram's sum).
    public let authenticatedConnections = Atomic<Int>(0)
    /// Client messages refused over the per-connection limit (each answered `rate_limited`).
    public let rateLimitedMessages = Atomic<Int>(0)
    /// `token_expiring` notices sent.
    public let expiryWarnings = Atomic<Int>(0)

    init() {
        authentications = (0..<(AuthenticationStage.allCases.count * AccessStatistics.reasons.count)).map { _ in Counter() }
        entitlementRefusals = AccessStatistics.claims.map { _ in Counter() }
        closes = AccessStatistics.closeReasons.map { _ in Counter() }
        usersWith = (0...(AccessStatistics.exactCounts + 1)).map { _ in Counter() }
    }

    func countAuthentication(_ stage: AuthenticationStage, reason: String) {
        guard let i = AccessStatistics.reasons.firstIndex(of: reason) else { return }
        authentications[stage.rawValue * AccessStatistics.reasons.count + i].cell.add(1)
    }

    /// Authentications at `stage` with `reason` (`ok` for accepted ones).
    public func authentications(_ stage: AuthenticationStage, reason: String) -> Int {
        guard let i = AccessStatistics.reasons.firstIndex(of: reason) else { return 0 }
        return authentications[stage.rawValue * AccessStatistics.reasons.count + i].cell.load(ordering: .relaxed)
    }

    func countEntitlementRefusal(_ claim: String, _ n: Int = 1) {
        if let i = AccessStatistics.claims.firstIndex(of: claim) { entitlementRefusals[i].cell.add(n) }
    }

    /// Entitlement refusals of `claim` (`mkt`, `sym`, `subs`, `dep`).
    public func entitlementRefusals(_ claim: String) -> Int {
        AccessStatistics.claims.firstIndex(of: claim).map { entitlementRefusals[$0].cell.load(ordering: .relaxed) } ?? 0
    }

    func countClose(_ reason: String) {
        if let i = AccessStatistics.closeReasons.firstIndex(of: reason) { closes[i].cell.add(1) }
    }

    /// Connections closed by access control for `reason`.
    public func closes(_ reason: String) -> Int {
        AccessStatistics.closeReasons.firstIndex(of: reason).map { closes[$0].cell.load(ordering: .relaxed) } ?? 0
    }

    /// A user's connection count went from `old` to `new` (0 = no connection).
    func userConnections(from old: Int, to new: Int) {
        guard old != new else { return }
        if old > 0 { usersWith[min(old, AccessStatistics.exactCounts + 1)].cell.add(-1) }
        if new > 0 { usersWith[min(new, AccessStatistics.exactCounts + 1)].cell.add(1) }
        authenticatedConnections.add(new - old)
    }

    /// Users holding at most `bound` connections (`Int.max`: all users).
    public func usersWithAtMost(_ bound: Int) -> Int {
        (1...(AccessStatistics.exactCounts + 1)).reduce(0) { sum, n in
            n <= bound ? sum + usersWith[n].cell.load(ordering: .relaxed) : sum
        }
    }

    /// The samples for `/metrics`. `keys` adds the key file's reload counters.
    public func samples(keys: ReloadableKeyRing?) -> [MetricSample] {
        func v(_ a: borrowing Atomic<Int>) -> Double { Double(a.load(ordering: .relaxed)) }
        var out: [MetricSample] = []
        let authHelp = "Token checks by stage (handshake, request, refresh), result and reason"
        for stage in AuthenticationStage.allCases {
            for (i, reason) in AccessStatistics.reasons.enumerated() {
                let value = Double(authentications[stage.rawValue * AccessStatistics.reasons.count + i].cell.load(ordering: .relaxed))
                out.append(MetricSample("quotecast_gateway_authentications_total", .counter, help: authHelp,
                                        labels: [("stage", stage.name), ("result", reason == "ok" ? "accepted" : "refused"),
                                                 ("reason", reason)], value: value))
            }
        }
        for (i, claim) in AccessStatistics.claims.enumerated() {
            out.append(MetricSample("quotecast_gateway_entitlement_refusals_total", .counter,
                                    help: "Requests outside a token's entitlements: symbols refused (mkt, sym), subscribes over subs, depths capped (dep)",
                                    labels: [("claim", claim)], value: v(entitlementRefusals[i].cell)))
        }
        out.append(MetricSample("quotecast_gateway_rate_limited_messages_total", .counter,
                                help: "Client messages refused over the per-connection limit (answered rate_limited)",
                                value: v(rateLimitedMessages)))
        out.append(MetricSample("quotecast_gateway_token_expiring_total", .counter, help: "token_expiring notices sent",
                                value: v(expiryWarnings)))
        // The same names as the gateway's own error and disconnect counters: one metric each, more reasons.
        for (i, reason) in AccessStatistics.closeReasons.enumerated() {
            out.append(MetricSample("quotecast_gateway_disconnects_total", .counter, help: "Stream clients disconnected, by reason",
                                    labels: [("reason", reason)], value: v(closes[i].cell)))
        }
        let histogram = "quotecast_gateway_connections_per_user"
        let histogramHelp = "Users by the number of stream connections they hold open (authenticated connections only)"
        for bound in AccessStatistics.connectionBounds {
            out.append(MetricSample(histogram + "_bucket", .histogram, help: histogramHelp, labels: [("le", String(bound))],
                                    value: Double(usersWithAtMost(bound))))
        }
        let users = Double(usersWithAtMost(.max))
        out.append(MetricSample(histogram + "_bucket", .histogram, help: histogramHelp, labels: [("le", "+Inf")], value: users))
        out.append(MetricSample(histogram + "_sum", .histogram, help: histogramHelp, value: v(authenticatedConnections)))
        out.append(MetricSample(histogram + "_count", .histogram, help: histogramHelp, value: users))
        if let keys {
            out.append(MetricSample("quotecast_auth_key_reloads_total", .counter, help: "Key file reloads (SIGHUP) by result",
                                    labels: [("result", "ok")], value: Double(keys.reloads)))
            out.append(MetricSample("quotecast_auth_key_reloads_total", .counter, help: "Key file reloads (SIGHUP) by result",
                                    labels: [("result", "failed")], value: Double(keys.failedReloads)))
            out.append(MetricSample("quotecast_auth_keys", .gauge, help: "Keys in force (from the key file's last good load)",
                                    value: Double(keys.snapshot().keys.keyIDs.count)))
        }
        return out
    }
}

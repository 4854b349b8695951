import Auth
import Market

/// What a token's claims let a connection subscribe to (docs/security.md): symbols outside `mkt` or
/// `sym` are refused with `not_entitled` (listing them), a depth over `dep` is capped and `subscribed`
/// says so, and `subs` lowers the connection's subscription limit. An open gateway's connections
/// (no session) are unrestricted.
extension Gateway {
    /// The market an instrument is listed on, for the `mkt` claim: its latest instrument tick's
    /// (the feeds publish one per listing before its first quote); Nasdaq's until one arrives.
    func market(of e: SymbolEntry) -> String { (e.instrument?.market ?? .nasdaq).name }

    /// The names of `requested` that `c` may ask for, and those its entitlements refuse (canonical
    /// names, in request order). A name the gateway does not know is refused only by `sym`: whether it
    /// exists is not told to someone who may not see it, and one that passes gets `unknown_symbol`.
    func entitlementCheck(_ c: GatewayClient, _ requested: [String]) -> (allowed: [String], refused: [String]) {
        guard let entitlements = c.session?.entitlements, entitlements.markets != nil || entitlements.symbols != nil else {
            return (requested, [])
        }
        var allowed: [String] = []
        var refused: [String] = []
        for name in requested {
            let symbol = Symbol(name)
            let canonical = symbol?.description ?? name
            if let symbol, let i = cache.index(of: symbol) {
                let market = market(of: cache.entries[i])
                if !entitlements.allows(market: market) {
                    refused.append(canonical)
                    accessStatistics.countEntitlementRefusal("mkt")
                    continue
                }
            }
            if entitlements.symbols?.matches(canonical) ?? true {
                allowed.append(name)
            } else {
                refused.append(canonical)
                accessStatistics.countEntitlementRefusal("sym")
            }
        }
        return (allowed, refused)
    }

    /// The depth a subscribe of `requested` levels gets, and whether the token's `dep` cut it down.
    func grantedDepth(_ c: GatewayClient, _ requested: Int) -> (depth: Int, capped: Bool) {
        guard let entitlements = c.session?.entitlements else { return (requested, false) }
        let granted = entitlements.cappedDepth(requested)
        if granted.capped { accessStatistics.countEntitlementRefusal("dep") }
        return granted
    }

    /// The most symbols `c` may hold subscribed: `--max-subscriptions`, or the token's `subs` if lower.
    func subscriptionLimit(_ c: GatewayClient) -> Int {
        min(configuration.maxSubscriptions, c.session?.entitlements.maxSubscriptions ?? .max)
    }

    /// Whether `c`'s subscription limit is its token's (for the error message and the `subs` count).
    func subscriptionLimitIsToken(_ c: GatewayClient) -> Bool {
        (c.session?.entitlements.maxSubscriptions ?? .max) < configuration.maxSubscriptions
    }

    /// Sends the `not_entitled` error for `symbols`.
    func refuseNotEntitled(_ c: GatewayClient, _ symbols: [String], _ message: String) {
        sendText(ControlMessage.error("not_entitled", message, symbols: symbols), to: c, kind: .control)
    }

    /// After a refresh: subscriptions the new token does not cover are dropped (`unsubscribed`, then
    /// `not_entitled` naming them), and deeper ones than its `dep` are subscribed again at that depth
    /// (`subscribed` + a fresh snapshot). `subs` and `conn` of the new token apply from the next request.
    func reapplyEntitlements(_ c: GatewayClient) {
        guard let entitlements = c.session?.entitlements else { return }
        var dropped: [String] = []
        var deeper: [String] = []
        for (locate, subscription) in c.subscriptions {
            let e = cache.entry(locate: locate)
            if !entitlements.allows(symbol: e.name, market: market(of: e)) {
                dropped.append(e.name)
            } else if let maxDepth = entitlements.maxDepth, subscription.depth > maxDepth {
                deeper.append(e.name)
            }
        }
        if !dropped.isEmpty {
            dropped.sort()
            accessStatistics.countEntitlementRefusal("sym", dropped.count)
            unsubscribe(c, dropped)
            refuseNotEntitled(c, dropped, "the refreshed token does not entitle to these symbols: they were unsubscribed")
        }
        if let maxDepth = entitlements.maxDepth, !deeper.isEmpty { subscribe(c, deeper.sorted(), depth: maxDepth) }
    }
}

extension ControlMessage {
    /// `subscribed`, with `"depth":N,"depth_capped":true` when the token's `dep` cut the request down.
    static func subscribed(_ symbols: [String], depth: Int, capped: Bool) -> String {
        let plain = ControlMessage.symbols("subscribed", symbols)
        guard capped else { return plain }
        return String(plain.dropLast()) + ",\"depth\":\(depth),\"depth_capped\":true}"
    }
}

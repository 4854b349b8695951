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
    func refuseNotEntitled(_ c: GatewayClient, _ symbols: [String], _ message: String, id: String? = nil) {
        sendText(ControlMessage.error("not_entitled", message, symbols: symbols, id: id), to: c, kind: .control)
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
        guard let maxDepth = entitlements.maxDepth, !deeper.isEmpty else { return }
        // Subscribed again at the capped depth with the channels and stats interval each had: one
        // `subscribed` per distinct kind of subscription (normally one).
        var groups: [SubscriptionKind: [String]] = [:]
        for name in deeper {
            guard let symbol = Symbol(name), let i = cache.index(of: symbol),
                  let old = c.subscriptions[cache.entries[i].locate] else { continue }
            groups[SubscriptionKind(old), default: []].append(name)
        }
        for (kind, names) in groups.sorted(by: { $0.value.sorted().first! < $1.value.sorted().first! }) {
            subscribe(c, SubscribeRequest(symbols: names.sorted(), depth: maxDepth,
                                          channels: kind.explicitChannels ? kind.channels : nil,
                                          statsIntervalMilliseconds: kind.statsIntervalMilliseconds))
        }
    }

    /// What a re-subscribe keeps of a subscription besides its symbol and depth.
    struct SubscriptionKind: Hashable {
        let channels: ChannelSet
        let explicitChannels: Bool
        let statsIntervalMilliseconds: Int

        init(_ s: Subscription) {
            channels = s.channels
            explicitChannels = s.explicitChannels
            statsIntervalMilliseconds = s.statsIntervalMilliseconds
        }
    }
}

extension ControlMessage {
    /// `{"type":"subscribed","id":…,"symbols":[...],"channels":[...],"recovered":{...}}`: `id` when the
    /// request had one, `channels` when it named them, `recovered` (per symbol, whether its missed
    /// updates are replayed instead of a snapshot) when it had `since`; then `"depth":N,
    /// "depth_capped":true` when the token's `dep` cut the request down.
    static func subscribed(_ symbols: [String], id: String?, channels: ChannelSet?, recovered: [(String, Bool)]? = nil,
                           depth: Int, capped: Bool) -> String {
        var s = head("subscribed", id: id) + ",\"symbols\":" + list(symbols)
        if let channels { s += ",\"channels\":" + list(channels.names) }
        if let recovered {
            s += ",\"recovered\":{" + recovered.map { "\"\(escape($0.0))\":\($0.1)" }.joined(separator: ",") + "}"
        }
        if capped { s += ",\"depth\":\(depth),\"depth_capped\":true" }
        return s + "}"
    }
}

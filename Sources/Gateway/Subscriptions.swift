import Market

/// A client's set of subscribed symbols and the depth and channels of each: subscribe answers with
/// `subscribed` and a snapshot per symbol (or, for a symbol being resynchronized, the snapshot once it
/// is exact), within the per-client limit; unsubscribe answers with `unsubscribed`.
extension Gateway {
    /// Answers a subscribe: `subscribed` first (always, with the symbols it took, possibly none), then
    /// per symbol its snapshot, then one `error` per kind of refusal (unknown symbols, over the
    /// limit, not entitled), each echoing the request's `id`. Subscribing again to a symbol replaces
    /// its depth and channels.
    func subscribe(_ c: GatewayClient, _ request: SubscribeRequest) {
        let (names, notEntitled) = entitlementCheck(c, request.symbols)
        let (depth, depthCapped) = grantedDepth(c, request.depth)
        let channels = request.grantedChannels
        let limit = subscriptionLimit(c)
        var accepted: [SymbolEntry] = []
        var unknown: [String] = []
        var overLimit: [String] = []
        var seen = Set<Int>()
        for name in names {
            guard let symbol = Symbol(name), let i = cache.index(of: symbol) else { unknown.append(name); continue }
            guard seen.insert(i).inserted else { continue }
            let e = cache.entries[i]
            if c.subscriptions[e.locate] == nil && c.subscriptions.count >= limit {
                overLimit.append(e.name)
                continue
            }
            if let old = c.subscriptions[e.locate] {
                e.remove(slot: c.slot, depth: old.depth)
                if old.awaitingSnapshot { e.awaitingSnapshots -= 1 }
            } else {
                statistics.subscriptions.add(1)
            }
            c.pending.removeValue(forKey: e.locate)
            e.add(Subscriber(slot: c.slot, channels: channels, statsIntervalMilliseconds: request.statsIntervalMilliseconds),
                  depth: depth)
            c.subscriptions[e.locate] = Subscription(depth: depth, channels: channels,
                                                     statsIntervalMilliseconds: request.statsIntervalMilliseconds,
                                                     explicitChannels: request.channels != nil,
                                                     awaitingSnapshot: e.sync != .synced)
            if e.sync != .synced { e.awaitingSnapshots += 1 }
            accepted.append(e)
        }
        sendText(ControlMessage.subscribed(accepted.map(\.name), id: request.id, channels: request.channels,
                                           depth: depth, capped: depthCapped), to: c, kind: .control)
        for e in accepted where e.sync == .synced {
            sendSnapshot(e, to: c, depth: depth)
        }
        if !unknown.isEmpty {
            statistics.countError("unknown_symbol")
            sendText(ControlMessage.error("unknown_symbol", "no such symbol", symbols: unknown, id: request.id), to: c, kind: .control)
        }
        if !overLimit.isEmpty {
            statistics.countError("too_many_subscriptions")
            let byToken = subscriptionLimitIsToken(c)
            if byToken { accessStatistics.countEntitlementRefusal("subs") }
            sendText(ControlMessage.error("too_many_subscriptions",
                                          "at most \(limit) symbols per client\(byToken ? " (your token's subs)" : "")",
                                          symbols: overLimit, id: request.id),
                     to: c, kind: .control)
        }
        if !notEntitled.isEmpty { refuseNotEntitled(c, notEntitled, "your token does not entitle you to these symbols", id: request.id) }
    }

    /// Answers an unsubscribe: `unsubscribed` (always) listing every requested symbol that exists,
    /// subscribed or not, then `unknown_symbol` naming the others.
    func unsubscribe(_ c: GatewayClient, _ names: [String], id: String? = nil) {
        var done: [String] = []
        var unknown: [String] = []
        for name in names {
            guard let symbol = Symbol(name), let i = cache.index(of: symbol) else { unknown.append(name); continue }
            let e = cache.entries[i]
            if let old = c.subscriptions.removeValue(forKey: e.locate) {
                e.remove(slot: c.slot, depth: old.depth)
                if old.awaitingSnapshot { e.awaitingSnapshots -= 1 }
                statistics.subscriptions.add(-1)
                c.pending.removeValue(forKey: e.locate)
            }
            if !done.contains(e.name) { done.append(e.name) }
        }
        sendText(ControlMessage.symbols("unsubscribed", done, id: id), to: c, kind: .control)
        if !unknown.isEmpty {
            statistics.countError("unknown_symbol")
            sendText(ControlMessage.error("unknown_symbol", "no such symbol", symbols: unknown, id: id), to: c, kind: .control)
        }
    }

    /// Drops every subscription of a client that is leaving.
    func unsubscribeAll(_ c: GatewayClient) {
        for (locate, sub) in c.subscriptions {
            let e = cache.entry(locate: locate)
            e.remove(slot: c.slot, depth: sub.depth)
            if sub.awaitingSnapshot { e.awaitingSnapshots -= 1 }
        }
        statistics.subscriptions.add(-c.subscriptions.count)
    }
}

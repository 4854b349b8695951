import Market
import WebSocket

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
        // `since` by locate (names the cache does not know are ignored: they get unknown_symbol).
        var since: [UInt16: UInt64] = [:]
        for (name, seq) in request.since ?? [:] {
            if let symbol = Symbol(name), let i = cache.index(of: symbol) { since[cache.entries[i].locate] = seq }
        }
        var recovered: [(String, Bool)] = []
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
            e.history.enable(capacity: configuration.resumeHistory, at: e.state.seq)
            if request.since != nil {
                let held = since[e.locate].map { e.sync == .synced && e.history.covers(since: $0, latest: e.state.seq) } ?? false
                recovered.append((e.name, held))
            }
            accepted.append(e)
        }
        sendText(ControlMessage.subscribed(accepted.map(\.name), id: request.id, channels: request.channels,
                                           recovered: request.since != nil ? recovered : nil,
                                           depth: depth, capped: depthCapped), to: c, kind: .control)
        for (i, e) in accepted.enumerated() where e.sync == .synced {
            if request.since != nil, recovered[i].1, let held = since[e.locate] {
                replay(e, to: c, depth: depth, channels: channels, after: held)
            } else {
                if since[e.locate] != nil { statistics.resumeMisses.add(1) }
                sendSnapshot(e, to: c, depth: depth)
            }
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

    /// Resumes `c`'s chain of `e` at `since` (the last seq it holds): every held update after it that
    /// its depth and channels would have shown, each linked to the one before, encoded for this
    /// client (a rare path). Quotes that changed no level within `depth` are skipped, as live.
    func replay(_ e: SymbolEntry, to c: GatewayClient, depth: Int, channels: ChannelSet, after since: UInt64) {
        guard let index = e.subscriberIndex(slot: c.slot, depth: depth) else { return }
        restartChain(e, depthIndex: depth - 1, index: index, at: since)
        statistics.resumes.add(1)
        e.history.forEach(after: since) { t in
            guard channels.contains(ChannelSet.carrying(t.kind)) else { return }
            if t.kind == .quote && Int(t.changedLevel) >= depth { return }
            let prev = advanceChain(e, depthIndex: depth - 1, index: index, seq: t.seq)
            let n = TickJSON.encode(t, depth: depth, conflated: t.flags & Tick.Flags.conflated != 0, decimals: e.decimals,
                                    sign: tradeSign(t, e), prev: prev, into: scratch)
            send(WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n)), to: c, kind: MessageKind(t.kind))
            statistics.replayedUpdates.add(1)
        }
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

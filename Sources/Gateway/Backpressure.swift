import Market
import WebSocket

/// Why a slow client was closed.
enum SlowReason { case hardLimit, timeout }

/// Slow clients never slow anyone else: past the soft limit a client's quotes are conflated (only the
/// latest per symbol is kept, sent once it has drained), past the hard limit or the timeout it is
/// closed 1008.
extension Gateway {
    func beginConflating(_ c: GatewayClient) {
        c.conflating = true
        c.conflatingSince = now
        conflatingSlots.append(c.slot)
        statistics.conflationEpisodes.add(1)
        statistics.clientsConflating.add(1)
    }

    func endConflating(_ c: GatewayClient) {
        guard c.conflating else { return }
        c.conflating = false
        statistics.clientsConflating.add(-1)
        if let i = conflatingSlots.firstIndex(of: c.slot) { conflatingSlots.remove(at: i) }
    }

    /// Conflating clients: those drained below the low-water mark get their latest state (one
    /// conflated quote per symbol, or gap + snapshot where a trade or status was skipped); those over
    /// the soft limit for longer than `slowClientTimeout` are closed.
    func serviceConflatingClients() {
        guard let server else { return }
        let timeout = UInt64(configuration.slowClientTimeout * 1e9)
        for slot in conflatingSlots {
            guard let c = clients[Int(slot)] else { continue }
            guard let state = server.outputState(of: c.ws) else { endConflating(c); continue }
            if state.pendingBytes <= configuration.lowWater {
                endConflating(c)
                release(c)
            } else if now &- c.conflatingSince >= timeout {
                closeSlow(c, reason: .timeout)
            }
        }
    }

    /// Sends a drained client the latest state of every symbol it missed updates of.
    func release(_ c: GatewayClient) {
        while let (locate, p) = c.pending.first {
            c.pending.removeValue(forKey: locate)
            guard let sub = c.subscriptions[locate], !sub.awaitingSnapshot else { continue }
            let e = cache.entry(locate: locate)
            guard e.sync == .synced else { continue }  // its resync will tell the client
            switch p {
            case .quote:
                send(conflatedQuote(e, depth: sub.depth), to: c, kind: .quote)
                statistics.conflatedSent.add(1)
            case .gap(let from):
                statistics.gaps.add(1)
                send(gapFrame(e, from: from), to: c, kind: .gap)
                send(snapshotFrame(e, depth: sub.depth), to: c, kind: .snapshot)
            }
            if c.closing { return }
        }
    }

    /// The entry's latest quote marked `"conflated":true`, encoded once per effective depth and seq.
    func conflatedQuote(_ e: SymbolEntry, depth: Int) -> WebSocketFrame {
        if e.conflatedSeq != e.quoteSeq {
            for i in 0..<Tick.depth { e.conflatedFrames[i] = nil }
            e.conflatedSeq = e.quoteSeq
        }
        let effective = min(depth, e.encodedDepthLimit)
        if let f = e.conflatedFrames[effective - 1] { return f }
        let n = TickJSON.encode(e.latestQuote, depth: effective, conflated: true, decimals: e.decimals, into: scratch)
        let f = WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
        e.conflatedFrames[effective - 1] = f
        return f
    }

    /// Closes a slow client 1008 with the reason, once.
    func closeSlow(_ c: GatewayClient, reason: SlowReason) {
        guard !c.closing, let server else { return }
        c.closing = true
        switch reason {
        case .hardLimit:
            statistics.slowHardLimit.add(1)
            log("event=slow_client_closed reason=buffer_max peer_id=\(c.ws.id) limit=\(configuration.clientBufferMax)")
            server.close(c.ws, code: .policyViolation, reason: "client too slow: output over --client-buffer-max")
        case .timeout:
            statistics.slowTimeout.add(1)
            log("event=slow_client_closed reason=timeout peer_id=\(c.ws.id) seconds=\(configuration.slowClientTimeout)")
            server.close(c.ws, code: .policyViolation, reason: "client too slow: over --client-buffer for too long")
        }
        endConflating(c)
    }
}

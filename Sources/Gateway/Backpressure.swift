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
                if let i = e.subscriberIndex(slot: c.slot, depth: sub.depth) {
                    sendConflatedQuote(e, to: c, depthIndex: sub.depth - 1, index: i)
                }
            case .gap(let from):
                statistics.gaps.add(1)
                send(gapFrame(e, from: from), to: c, kind: .gap)
                sendSnapshot(e, to: c, depth: sub.depth)
            }
            if c.closing { return }
        }
    }

    /// Sends `c` (the subscriber at `index` of `e`'s list for depth `depthIndex + 1`) the latest quote
    /// its depth shows, marked `"conflated":true`, as the next link of its chain. Its `seq` is that of
    /// the last quote that changed the top `depth` levels, the one its group of clients that kept up
    /// last got, so once it drains it shares their frames again. The frame is kept per depth for its
    /// (seq, prev): slow clients that stalled at the same point share it (and its compressed form).
    func sendConflatedQuote(_ e: SymbolEntry, to c: GatewayClient, depthIndex: Int, index: Int) {
        let stamp = e.visibleQuoteStamps[depthIndex]
        guard stamp.seq > e.subscribers[depthIndex][index].lastSent else { return }  // nothing it has not seen
        let prev = advanceChain(e, depthIndex: depthIndex, index: index, seq: stamp.seq)
        let frame: WebSocketFrame
        if let kept = e.conflatedFrames[depthIndex], kept.seq == stamp.seq, kept.prev == prev {
            frame = kept.frame
        } else {
            let n = TickJSON.encode(e.visibleQuote(depth: depthIndex + 1), depth: depthIndex + 1, conflated: true,
                                    decimals: e.decimals, prev: prev, into: scratch)
            frame = WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
            e.conflatedFrames[depthIndex] = ConflatedFrame(seq: stamp.seq, prev: prev, frame: frame)
            statistics.framesEncoded.add(1)
        }
        send(frame, to: c, kind: .quote)
        statistics.conflatedSent.add(1)
    }

    /// Closes a slow client 1008 with the reason, once: its queued backlog is dropped (after the frame
    /// in flight), so the close frame is the next thing it reads.
    func closeSlow(_ c: GatewayClient, reason: SlowReason) {
        guard !c.closing, let server else { return }
        c.closing = true
        switch reason {
        case .hardLimit:
            statistics.slowHardLimit.add(1)
            log("event=slow_client_closed reason=buffer_max peer_id=\(c.ws.id) limit=\(configuration.clientBufferMax)")
            server.close(c.ws, code: .policyViolation, reason: "client too slow: output over --client-buffer-max",
                         discardingQueuedOutput: true)
        case .timeout:
            statistics.slowTimeout.add(1)
            log("event=slow_client_closed reason=timeout peer_id=\(c.ws.id) seconds=\(configuration.slowClientTimeout)")
            server.close(c.ws, code: .policyViolation, reason: "client too slow: over --client-buffer for too long",
                         discardingQueuedOutput: true)
        }
        endConflating(c)
    }
}

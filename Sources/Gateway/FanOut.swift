import Market
import WebSocket

/// Encode once, queue everywhere: a tick is encoded once per depth that sees it and distinct `prev`
/// (`Chain.swift`) into a shared frame, and that frame is queued on every subscriber of the depth
/// whose channels carry it, with the backpressure limits applied to each.
extension Gateway {
    /// Sends the quote in `tick` to the `quote` subscribers of every depth its change reaches, each
    /// with its `prev`: one encode per effective depth and distinct `prev`.
    func fanOutQuote(_ e: SymbolEntry) {
        let first = Int(tick.changedLevel)  // depths 1...first do not see this change
        guard first < Tick.depth else { return }
        let limit = e.encodedDepthLimit
        let conflated = tick.flags & Tick.Flags.conflated != 0  // by the feed node, over its budget
        let seq = tick.seq
        for d in first..<Tick.depth where !e.subscribers[d].isEmpty {
            let effective = min(d + 1, limit)
            var i = 0
            while i < e.subscribers[d].count {
                let s = e.subscribers[d][i]
                defer { i &+= 1 }
                guard s.channels.contains(.quote), let c = clients[Int(s.slot)] else { continue }
                if c.conflating {
                    c.markQuote(e, seq: seq)
                    statistics.conflatedQuotes.add(1)
                    continue
                }
                let prev = advanceChain(e, depthIndex: d, index: i, seq: seq)
                let frame = chainedFrame(variant: effective, prev: prev) { prev, out in
                    TickJSON.encode(tick, depth: effective, conflated: conflated, decimals: e.decimals, prev: prev, into: out)
                }
                send(frame, to: c, kind: .quote)
            }
        }
        endChainedMessage()
    }

    /// Sends the trade, status, trade break or instrument in `tick` to every subscriber of the symbol
    /// whose channels carry it (`trade` or `status`), each with its `prev`.
    func fanOutEvent(_ e: SymbolEntry) {
        let sign = tradeSign(tick, e)
        let kind = MessageKind(tick.kind)
        let channel = ChannelSet.carrying(tick.kind)
        let seq = tick.seq
        for d in 0..<Tick.depth where !e.subscribers[d].isEmpty {
            var i = 0
            while i < e.subscribers[d].count {
                let s = e.subscribers[d][i]
                defer { i &+= 1 }
                guard s.channels.contains(channel), let c = clients[Int(s.slot)] else { continue }
                // Trades and status are delivered even to a conflating client; its conflated quote of
                // the symbol goes first, so seq still rises. Only the hard limit and the timeout stop it.
                if c.conflating {
                    switch c.pending[e.locate] {
                    case .quote?:
                        c.pending.removeValue(forKey: e.locate)
                        sendConflatedQuote(e, to: c, depthIndex: d, index: i)
                    case .gap?:
                        continue  // its resync snapshot covers it
                    case nil:
                        break
                    }
                }
                let prev = advanceChain(e, depthIndex: d, index: i, seq: seq)
                let frame = chainedFrame(variant: 0, prev: prev) { prev, out in
                    TickJSON.encode(tick, decimals: e.decimals, sign: sign, prev: prev, into: out)
                }
                send(frame, to: c, kind: kind)
            }
        }
        endChainedMessage()
    }

    /// A trade's change sign against the reference price it carries and the instrument's limits;
    /// nil for other kinds and without a reference price (then the trade is encoded as before).
    func tradeSign(_ t: Tick, _ e: SymbolEntry) -> ChangeSign? {
        guard t.kind == .trade else { return nil }
        return ChangeSign.of(price: t.tradePrice, reference: t.statistics.reference,
                             upperLimit: e.instrument?.upperLimit ?? 0, lowerLimit: e.instrument?.lowerLimit ?? 0)
    }

    /// Queues `frame` for `c` and applies the limits: over the hard limit the client is closed, over
    /// the soft limit (bytes its socket would not take) it starts conflating.
    @inline(__always)
    func send(_ frame: WebSocketFrame, to c: GatewayClient, kind: MessageKind) {
        guard let server, let state = server.queue(frame, to: c.ws) else { return }
        sentThisTurn[kind.rawValue] &+= 1
        queuedThisTurn &+= 1
        sentAnything = true
        if state.pendingBytes > configuration.clientBufferMax {
            closeSlow(c, reason: .hardLimit)
        } else if state.pendingBytes > configuration.clientBuffer && !c.conflating {
            // Over the soft limit within this turn: write now to learn whether the socket takes it
            // (a fast reader) or leaves it (a slow one, which starts conflating).
            if state.backlogBytes > configuration.clientBuffer
                || (server.flushNow(c.ws)?.backlogBytes ?? 0) > configuration.clientBuffer {
                beginConflating(c)
            }
        }
    }

    /// Queues a control message (`subscribed`, `error`, `pong`).
    func sendText(_ text: String, to c: GatewayClient, kind: MessageKind) {
        send(WebSocketFrame.text(text), to: c, kind: kind)
    }

    /// Sends `c` (subscribed at `depth`) the entry's snapshot, which restarts its chain.
    func sendSnapshot(_ e: SymbolEntry, to c: GatewayClient, depth: Int) {
        restartChain(e, slot: c.slot, depth: depth, at: e.state.seq)
        send(snapshotFrame(e, depth: depth), to: c, kind: .snapshot)
    }

    /// `sendSnapshot` for the subscriber at `index` of the list for depth `depthIndex + 1`.
    func sendSnapshot(_ e: SymbolEntry, to c: GatewayClient, depthIndex: Int, index: Int) {
        restartChain(e, depthIndex: depthIndex, index: index, at: e.state.seq)
        send(snapshotFrame(e, depth: depthIndex + 1), to: c, kind: .snapshot)
    }

    /// The entry's state as a `snapshot` message of `depth` levels.
    func snapshotFrame(_ e: SymbolEntry, depth: Int) -> WebSocketFrame {
        let n = TickJSON.encodeSnapshot(e.state, depth: depth, hasTraded: e.hasTraded, statistics: e.statistics,
                                        instrument: e.instrument, into: scratch)
        return WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
    }

    /// A `gap` message from `from` to the entry's current seq.
    func gapFrame(_ e: SymbolEntry, from: UInt64) -> WebSocketFrame {
        let n = TickJSON.encodeGap(symbol: e.symbol, from: from, to: e.state.seq, into: scratch)
        return WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
    }
}

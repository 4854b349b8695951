import Market
import WebSocket

/// Encode once, queue everywhere: a tick is encoded once per depth that sees it into a shared frame,
/// and that frame is queued on every subscriber of the depth, with the backpressure limits applied
/// to each.
extension Gateway {
    /// Sends the quote in `tick` to the `quote` subscribers of every depth its change reaches.
    func fanOutQuote(_ e: SymbolEntry) {
        let first = Int(tick.changedLevel)  // depths 1...first do not see this change
        guard first < Tick.depth else { return }
        let limit = e.encodedDepthLimit
        var used = 0
        let conflated = tick.flags & Tick.Flags.conflated != 0  // by the feed node, over its budget
        for d in (first + 1)...Tick.depth where !e.subscribers[d - 1].isEmpty {
            let effective = min(d, limit)
            let frame: WebSocketFrame
            if let f = frameCache[effective - 1] {
                frame = f
            } else {
                let n = TickJSON.encode(tick, depth: effective, conflated: conflated, decimals: e.decimals, into: scratch)
                frame = WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
                frameCache[effective - 1] = frame
                used = max(used, effective)
                statistics.framesEncoded.add(1)
            }
            for s in e.subscribers[d - 1] where s.channels.contains(.quote) {
                guard let c = clients[Int(s.slot)] else { continue }
                if c.conflating {
                    c.markQuote(e, seq: tick.seq)
                    statistics.conflatedQuotes.add(1)
                } else {
                    send(frame, to: c, kind: .quote)
                }
            }
        }
        for i in 0..<used { frameCache[i] = nil }
    }

    /// Sends the trade, status, trade break or instrument in `tick` to every subscriber of the symbol
    /// whose channels carry it (`trade` or `status`).
    /// A trade of an instrument with a reference price carries its change sign (against the limits
    /// the instrument has); without a reference price it is encoded exactly as before.
    func fanOutEvent(_ e: SymbolEntry) {
        let sign: ChangeSign? = tick.kind == .trade
            ? ChangeSign.of(price: tick.tradePrice, reference: e.statistics.reference,
                            upperLimit: e.instrument?.upperLimit ?? 0, lowerLimit: e.instrument?.lowerLimit ?? 0)
            : nil
        let n = TickJSON.encode(tick, decimals: e.decimals, sign: sign, into: scratch)
        let frame = WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
        statistics.framesEncoded.add(1)
        let kind: MessageKind = switch tick.kind {
        case .trade: .trade
        case .status: .status
        case .tradeBreak: .tradeBreak
        case .instrument: .instrument
        case .quote: .quote
        }
        let channel = ChannelSet.carrying(tick.kind)
        for d in 0..<Tick.depth {
            for s in e.subscribers[d] where s.channels.contains(channel) {
                guard let c = clients[Int(s.slot)] else { continue }
                // Trades and status are delivered even to a conflating client; its conflated quote of
                // the symbol goes first, so seq still rises. Only the hard limit and the timeout stop it.
                if c.conflating && !sendPendingQuote(c, e, depth: d + 1) { continue }
                send(frame, to: c, kind: kind)
            }
        }
    }

    /// Before an event for a conflating client `c`: sends its pending conflated quote of `e` first (so
    /// seq still rises). False when a gap is pending instead: the event is skipped, the resync
    /// snapshot covers it.
    func sendPendingQuote(_ c: GatewayClient, _ e: SymbolEntry, depth: Int) -> Bool {
        switch c.pending[e.locate] {
        case .quote?:
            c.pending.removeValue(forKey: e.locate)
            send(conflatedQuote(e, depth: depth), to: c, kind: .quote)
            statistics.conflatedSent.add(1)
            return true
        case .gap?:
            return false
        case nil:
            return true
        }
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

import Market

/// Getting subscribers back to exact state: after the gateway's ring reader was lapped, after ticks
/// of a symbol went missing, or when a gateway node applies a feed node's snapshot of a symbol.
extension Gateway {
    /// The reader was lapped: every entry may have lost ticks; the next tick of each tells.
    func handleLap(lost: Int) {
        statistics.laps.add(1)
        statistics.lostTicks.add(lost)
        log("event=gateway_lapped lost=\(lost) symbols=\(cache.entries.count)")
        for e in cache.entries {
            switch e.sync {
            case .synced: e.sync = .lapped(gapFrom: e.state.seq &+ 1)
            case .lapped, .awaitingQuote: break
            }
        }
    }

    /// The entry's levels are exact again (a quote after lost ticks): every subscriber gets `gap` and
    /// a fresh snapshot (or only the snapshot, if it subscribed meanwhile and never had one).
    func resync(_ e: SymbolEntry, gapFrom: UInt64) {
        e.sync = .synced
        e.history.restart(at: e.state.seq)  // what was held ends before the lost ticks
        for d in 0..<Tick.depth {
            var i = 0
            while i < e.subscribers[d].count {
                defer { i &+= 1 }
                guard let c = clients[Int(e.subscribers[d][i].slot)], let sub = c.subscriptions[e.locate] else { continue }
                if sub.awaitingSnapshot {
                    c.subscriptions[e.locate]?.awaitingSnapshot = false
                    e.awaitingSnapshots -= 1
                    sendSnapshot(e, to: c, depthIndex: d, index: i)
                    sendSeriesBacklog(c, e, depth: d + 1)
                } else if c.conflating {
                    c.markGap(e, seq: gapFrom)
                } else {
                    statistics.gaps.add(1)
                    send(gapFrame(e, from: gapFrom), to: c, kind: .gap)
                    sendSnapshot(e, to: c, depthIndex: d, index: i)
                }
            }
        }
    }

    /// A feed node's snapshot of one symbol (a gateway node resynchronizing a channel): it replaces
    /// the cached state; subscribers whose stream it interrupts get `gap` + a fresh snapshot.
    ///
    /// A snapshot comes as up to three ticks per symbol: its instrument tick (reference data) and its
    /// day state (a `.trade`-shaped tick whose statistics, last trade and status are the symbol's), kept
    /// without a word to subscribers, then the merged quote, which makes the entry exact and tells them.
    func applySnapshotState() {
        tick.flags &= ~Tick.Flags.snapshot
        let known = cache.contains(locate: tick.locate)
        let e = cache.entry(for: tick)
        switch tick.kind {
        case .instrument:
            e.applyReference(tick.instrument)
            return
        case .trade:
            e.statistics = tick.statistics
            // The feed node's bars and tape at this seq replace what this node built: the same from
            // here on as a node that read every trade (the ticks after the snapshot add the rest).
            if let s = snapshotSeries?.take(locate: tick.locate, symbol: tick.symbol, seq: tick.seq) {
                e.series.candles = s.candles
                e.series.tape = s.tape
                e.series.statsVersion &+= 1
            }
            if let reference = e.instrument?.referencePrice, reference != 0, e.statistics.reference == 0 {
                e.statistics.reference = reference
            }
            return
        case .quote, .status, .tradeBreak:
            break
        }
        if !known {
            e.apply(tick)
            e.sync = .synced
            return
        }
        if case .synced = e.sync, tick.seq == e.state.seq { return }  // nothing was missed
        // A feed node that restarted numbers from 1 again: the gap then starts at the new state.
        let from = tick.seq > e.state.seq ? e.state.seq &+ 1 : tick.seq
        e.apply(tick)
        resync(e, gapFrom: from)
    }

    /// The entry is exact again without a gap (a lap lost none of its ticks): subscribers that joined
    /// meanwhile get their snapshot.
    func sendAwaitedSnapshots(_ e: SymbolEntry) {
        for d in 0..<Tick.depth {
            var i = 0
            while i < e.subscribers[d].count {
                defer { i &+= 1 }
                guard let c = clients[Int(e.subscribers[d][i].slot)], c.subscriptions[e.locate]?.awaitingSnapshot == true else { continue }
                c.subscriptions[e.locate]?.awaitingSnapshot = false
                e.awaitingSnapshots -= 1
                sendSnapshot(e, to: c, depthIndex: d, index: i)
                sendSeriesBacklog(c, e, depth: d + 1)
            }
        }
    }
}

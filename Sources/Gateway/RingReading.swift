import Market
import System
import WebSocket

/// The ring side of the gateway: the server's loop hook reads ticks into the cache and hands each to
/// its subscribers, in bounded turns, and parks on the ring's wakeup descriptor when it runs dry.
extension Gateway {
    /// Reads up to `ticksPerTurn` ticks, serves slow clients, and parks on the ring when it is empty.
    public func serverWillWait(_ server: WebSocketServer) -> Int32 {
        now = Clock.monotonic()
        var n = 0
        queuedThisTurn = 0
        defer {
            if !conflatingSlots.isEmpty { serviceConflatingClients() }
            if access.nextDeadline != .infinity { checkTokenDeadlines() }
            publishCounts()
            statistics.ringPosition.store(reader.position, ordering: .relaxed)
        }
        let messageBudget = configuration.messagesPerTurn
        while n < configuration.ticksPerTurn && queuedThisTurn < messageBudget {
            switch reader.poll(into: &tick) {
            case .tick:
                process()
                n &+= 1
            case .lapped(let lost):
                handleLap(lost: lost)
            case .empty:
                statistics.ticks.add(n)
                if reader.prepareToPark() {
                    parked = true
                    return conflatingSlots.isEmpty ? 250 : 50
                }
                return 0
            case .closed:
                statistics.ticks.add(n)
                return 250
            }
        }
        statistics.ticks.add(n)
        return 0
    }

    /// Ends a park on the ring.
    public func serverDidWake(_ server: WebSocketServer) {
        if parked {
            parked = false
            reader.finishPark()
        }
    }

    /// Adds this turn's message counts to the shared statistics.
    func publishCounts() {
        guard sentAnything else { return }
        sentAnything = false
        for i in sentThisTurn.indices where sentThisTurn[i] != 0 {
            statistics.countOut(MessageKind(rawValue: i)!, sentThisTurn[i])
            sentThisTurn[i] = 0
        }
    }

    /// Applies `tick` to its symbol's entry and fans it out, unless the entry is not exact (then the
    /// next quote resynchronizes its subscribers).
    func process() {
        if tick.flags & Tick.Flags.snapshot != 0 { applySnapshotState(); return }
        let e = cache.entry(for: tick)
        switch e.sync {
        case .synced:
            // Not the next seq (a gateway node's feed node restarted and numbers from 1 again): the
            // cache is not exact until the next quote, which subscribers get as gap + snapshot.
            // A later quote flagged conflated explains its hole: a feed node over its bandwidth
            // budget replaced unsent quotes by it (docs/wire-format.md), and a quote is a whole picture.
            let explained = tick.kind == .quote && tick.flags & Tick.Flags.conflated != 0 && tick.seq > e.state.seq
            if tick.seq != e.state.seq &+ 1 && !explained {
                let from = tick.seq > e.state.seq ? e.state.seq &+ 1 : tick.seq
                e.sync = .awaitingQuote(gapFrom: from)
                e.apply(tick)
                if tick.kind == .quote { resync(e, gapFrom: from) }
                return
            }
        case .lapped(let from):
            if tick.seq == e.state.seq &+ 1 {
                e.sync = .synced
                if e.awaitingSnapshots > 0 { sendAwaitedSnapshots(e) }
            } else {
                e.sync = .awaitingQuote(gapFrom: from)
                e.apply(tick)
                if tick.kind == .quote { resync(e, gapFrom: from) }
                return
            }
        case .awaitingQuote(let from):
            e.apply(tick)
            if tick.kind == .quote { resync(e, gapFrom: from) }
            return
        }
        e.apply(tick)
        guard e.subscriberCount > 0 else { return }
        if tick.kind == .quote { fanOutQuote(e) } else { fanOutEvent(e) }
    }
}

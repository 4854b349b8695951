import Market
import System
import WebSocket

/// The ring side of the gateway: the server's loop hook reads ticks into the cache and hands each to
/// its subscribers, in bounded turns; when the ring runs dry the server's loop waits by its wait
/// strategy and, to sleep, parks this reader on the ring's wakeup descriptor (`serverWillPark`).
///
/// A turn drains what the ring holds (at most `ticksPerTurn` ticks and `messagesPerTurn` messages)
/// and only queues frames; the server then writes each client with output once, one `writev` of all
/// its frames. Under light load a turn is one publish of the feed (a tick or a few), so latency does
/// not grow; under load more ticks wait in the ring per turn and each write carries more frames.
extension Gateway {
    /// Reads up to `ticksPerTurn` ticks and serves slow clients; says whether it did anything and
    /// whether more ticks are waiting.
    public func serverWillWait(_ server: WebSocketServer) -> LoopHookTurn {
        now = Clock.monotonic()
        let unwatched = clientCount == 0 && conflatingSlots.isEmpty
        demand?.set(watched: !unwatched)
        var n = 0
        var lapped = false
        queuedThisTurn = 0
        readingRing = true
        defer {
            readingRing = false
            if !departed.isEmpty {
                for c in departed { unsubscribeAll(c) }
                departed.removeAll(keepingCapacity: true)
            }
            if !conflatingSlots.isEmpty { serviceConflatingClients() }
            if !candleDirty.isEmpty || candleCloseDue { flushCandles() }
            if !statsGroups.isEmpty { serviceStats() }
            if access.nextDeadline != .infinity { checkTokenDeadlines() }
            publishCounts()
            if n > 0 || lapped {
                statistics.ticks.add(n)
                statistics.ringPosition.store(reader.position, ordering: .relaxed)
            }
        }
        let messageBudget = configuration.messagesPerTurn
        while n < configuration.ticksPerTurn && queuedThisTurn < messageBudget {
            switch reader.poll(into: &tick) {
            case .tick:
                process()
                n &+= 1
            case .lapped(let lost):
                handleLap(lost: lost)
                lapped = true
            case .empty:
                // No stream client: nobody waits for a tick, so the loop reads the ring in idle rounds
                // (and catches up before serving any socket) instead of waking at every publish.
                if unwatched {
                    // Up to 50 ms, shorter when the feed's rate would fill an eighth of the ring sooner
                    // (`IdleRounds`), so even a replay at millions of ticks a second does not lap it.
                    idleRounds.read(n)
                    let round = idleRounds.endRound(now: now)
                    return LoopHookTurn(didWork: n > 0 || lapped, sleepMilliseconds: Int32((round + 999_999) / 1_000_000),
                                        latencySensitive: false)
                }
                return LoopHookTurn(didWork: n > 0 || lapped,
                                    sleepMilliseconds: millisecondsToNextStats(cap: conflatingSlots.isEmpty ? 250 : 50))
            case .closed:
                ringClosed = true
                return LoopHookTurn(didWork: n > 0 || lapped, sleepMilliseconds: 250)
            }
        }
        idleRounds.read(n)
        return LoopHookTurn(didWork: true, sleepMilliseconds: 0)
    }

    /// The longest the loop sleeps between reads of the ring while no stream client is connected, ns:
    /// twenty wakeups a second instead of one per publish (~1 000 at the simulator's 10 000 msgs/s);
    /// `IdleRounds` shortens it when the feed's rate would fill an eighth of the ring sooner.
    static let longestIdleRound: UInt64 = 50_000_000

    /// The server's loop is about to sleep: parks the reader so the next publish wakes the loop —
    /// unless no stream client is connected: then the loop sleeps an idle round on its sockets alone,
    /// and the feed's publishes do not wake it (nor cost the writer a wakeup call).
    public func serverWillPark(_ server: WebSocketServer) -> Bool {
        // A closed ring has nothing more to wake anyone for: sleep on the sockets alone.
        if ringClosed { return true }
        if clientCount == 0 && conflatingSlots.isEmpty { return true }
        guard reader.prepareToPark() else { return false }
        parked = true
        return true
    }

    /// Sockets woke the loop from an idle round: reads what the ring holds first, so `/v1/symbols`,
    /// `/metrics` and a first subscription's snapshot see every tick published before the request.
    public func serverWillServeSockets(_ server: WebSocketServer) {
        var turns = 0
        while turns < 64, serverWillWait(server).sleepMilliseconds == 0 { turns += 1 }
        server.flushQueued()
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
        if tick.timestamp >= exchangeClockNextSecond { advanceExchangeClock(tick.timestamp) }
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
        if e.history.isEnabled { e.history.append(tick) }
        guard e.subscriberCount > 0 else { return }
        if tick.kind == .trade { noteCandleTrade(e) }
        if tick.kind == .quote { fanOutQuote(e) } else { fanOutEvent(e) }
    }
}

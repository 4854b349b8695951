import Market
import System
import WebSocket

/// One symbol with `stats` subscribers at one interval.
struct StatsSymbol {
    let locate: UInt16
    /// Subscriptions of the symbol at this interval.
    var members: Int
    /// The `SymbolSeries.statsVersion` sent at the group's last boundary (or on subscribe): a newer
    /// one is due at the next boundary.
    var sentVersion: UInt64
}

/// Every `stats` subscription with one interval: they are due together, at the interval's boundaries
/// of the server clock, so a symbol's message is encoded once for all of its subscribers at that
/// interval (once per distinct `prev` among them).
///
/// Invariant: `symbols` is sorted by locate, one element per symbol, `members` > 0.
struct StatsGroup {
    let interval: StatsInterval
    /// The next boundary (CLOCK_REALTIME nanoseconds).
    var due: UInt64
    var symbols: [StatsSymbol] = []

    init(interval: StatsInterval, now: UInt64) {
        self.interval = interval
        due = interval.boundary(after: now)
    }

    /// Where `locate` is or would go in `symbols`.
    func position(_ locate: UInt16) -> Int {
        var lo = 0
        var hi = symbols.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if symbols[mid].locate < locate { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// The `stats` channel: sent right away on subscribe, then at the subscription's interval boundaries
/// when something it says changed since the last boundary (conflated: one message per boundary
/// however many trades there were). Like trades, stats reach a conflating client too (after its
/// pending conflated quote, so its `seq`s keep rising).
extension Gateway {
    /// Counts a `stats` subscription of `e` at `milliseconds` in its interval's group.
    func addStatsMember(_ e: SymbolEntry, milliseconds: Int) {
        guard let interval = StatsInterval(milliseconds: milliseconds) else { return }
        let g: Int
        if let i = statsGroups.firstIndex(where: { $0.interval == interval }) {
            g = i
        } else {
            statsGroups.append(StatsGroup(interval: interval, now: Clock.realtime()))
            g = statsGroups.count - 1
        }
        let p = statsGroups[g].position(e.locate)
        if p < statsGroups[g].symbols.count && statsGroups[g].symbols[p].locate == e.locate {
            statsGroups[g].symbols[p].members += 1
        } else {
            statsGroups[g].symbols.insert(StatsSymbol(locate: e.locate, members: 1, sentVersion: e.series.statsVersion), at: p)
        }
    }

    /// Ends a `stats` subscription of `e` at `milliseconds`.
    func removeStatsMember(_ e: SymbolEntry, milliseconds: Int) {
        guard let g = statsGroups.firstIndex(where: { $0.interval.milliseconds == milliseconds }) else { return }
        let p = statsGroups[g].position(e.locate)
        guard p < statsGroups[g].symbols.count && statsGroups[g].symbols[p].locate == e.locate else { return }
        statsGroups[g].symbols[p].members -= 1
        if statsGroups[g].symbols[p].members == 0 { statsGroups[g].symbols.remove(at: p) }
        if statsGroups[g].symbols.isEmpty { statsGroups.remove(at: g) }
    }

    /// Milliseconds until the next stats boundary (the loop must not sleep past it), at most `cap`.
    func millisecondsToNextStats(cap: Int32) -> Int32 {
        guard !statsGroups.isEmpty else { return cap }
        let now = Clock.realtime()
        var next = UInt64.max
        for g in statsGroups where g.due < next { next = g.due }
        guard next > now else { return 0 }
        return Int32(min(UInt64(cap), (next - now + 999_999) / 1_000_000))
    }

    /// Sends every group whose boundary passed: each of its symbols whose stats changed goes to the
    /// symbol's subscribers at that interval. Its thread CPU time is counted in `statsNanoseconds`.
    func serviceStats() {
        let now = Clock.realtime()
        for g in statsGroups.indices where statsGroups[g].due <= now {
            let started = Clock.threadCPU()
            statsGroups[g].due = statsGroups[g].interval.boundary(after: now)
            let milliseconds = UInt16(statsGroups[g].interval.milliseconds)
            for i in statsGroups[g].symbols.indices {
                let e = cache.entry(locate: statsGroups[g].symbols[i].locate)
                guard statsGroups[g].symbols[i].sentVersion != e.series.statsVersion else { continue }
                statsGroups[g].symbols[i].sentVersion = e.series.statsVersion
                sendStats(e, to: milliseconds)
            }
            statistics.statsNanoseconds.add(Int(truncatingIfNeeded: Clock.threadCPU() &- started))
        }
    }

    /// Sends `e`'s stats to its `stats` subscribers at `milliseconds`, one encode per distinct `prev`
    /// (the chain's `chainedFrame`).
    func sendStats(_ e: SymbolEntry, to milliseconds: UInt16) {
        let seq = e.state.seq
        for d in 0..<Tick.depth {
            var k = 0
            while k < e.subscribers[d].count {
                defer { k &+= 1 }
                let s = e.subscribers[d][k]
                guard s.channels.contains(.stats), s.statsIntervalMilliseconds == milliseconds,
                      let c = clients[Int(s.slot)] else { continue }
                if c.conflating && !sendPendingQuote(c, e, depthIndex: d, index: k) { continue }
                let prev = advanceChain(e, depthIndex: d, index: k, seq: seq)  // after a pending quote moved it
                let frame = chainedFrame(variant: 0, prev: prev) { prev, out in self.encodeStats(e, prev: prev, into: out) }
                send(frame, to: c, kind: .stats)
            }
        }
        endChainedMessage()
    }

    /// The entry's `stats` message with `prev`: `seq` and `ts` of the symbol's latest tick.
    func statsFrame(_ e: SymbolEntry, prev: UInt64?) -> WebSocketFrame {
        let n = encodeStats(e, prev: prev, into: scratch)
        return WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
    }

    /// Writes the entry's `stats` message into `out` (`StatsJSON.maxLength` bytes); the byte count.
    func encodeStats(_ e: SymbolEntry, prev: UInt64?, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let fields = StatsJSON.Fields(symbol: e.symbol, seq: e.state.seq, timestamp: e.state.timestamp,
                                      status: e.state.status, last: e.hasTraded ? e.state.tradePrice : 0,
                                      volume: e.state.volume, statistics: e.statistics,
                                      upperLimit: e.instrument?.upperLimit ?? 0, lowerLimit: e.instrument?.lowerLimit ?? 0,
                                      decimals: e.decimals)
        return StatsJSON.encode(fields, prev: prev, into: out)
    }
}

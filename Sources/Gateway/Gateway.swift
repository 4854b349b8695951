import Fanout
import Market
import Sockets
import System
import WebSocket

/// The WebSocket market-data gateway (contract section 2): reads ticks from its own ring reader on
/// the server's loop thread, keeps a last-value cache per symbol, answers subscriptions with a
/// consistent snapshot, encodes each tick once per depth into a shared frame queued on every
/// subscriber, and keeps slow clients from hurting anyone (conflation, gap + snapshot, limits).
///
/// Threading: everything runs on the `WebSocketServer`'s loop thread (as its delegate for the stream
/// path and as its loop hook); `GatewayStatistics` may be read from any thread.
public final class Gateway: WebSocketServerDelegate, WebSocketServerLoopHook {
    /// The limits it runs with.
    public let configuration: GatewayConfiguration
    /// Counters (relaxed atomics, readable from any thread).
    public let statistics = GatewayStatistics()

    private var reader: RingReader
    private var parked = false
    private var tick = Tick()
    /// Entry index by ring locate (-1: not seen yet).
    private var entryIndex: [Int32] = Array(repeating: -1, count: 1 << 16)
    private var entries: [SymbolEntry] = []
    private var entryBySymbol: [Symbol: Int] = [:]
    /// Stream clients by the server's connection slot.
    private var clients: [StreamClient?] = []
    private var clientCount = 0
    private var conflatingSlots: [Int32] = []
    /// This tick's frames by effective depth (reset per tick).
    private var frameCache: [WebSocketFrame?] = Array(repeating: nil, count: Tick.depth)
    private let scratch: UnsafeMutablePointer<UInt8>
    private var now: UInt64 = 0
    /// Messages queued this turn by kind (published to `statistics` once per turn: no atomic per message).
    private var sentThisTurn = [Int](repeating: 0, count: MessageKind.names.count)
    private var sentAnything = false
    /// Messages queued in the current turn (all kinds).
    private var queuedThisTurn = 0
    // unowned(unsafe): the server owns the gateway as its hook and outlives every call into it;
    // a weak reference would cost an atomic load per message on the hot path.
    private unowned(unsafe) var server: WebSocketServer?
    private let log: (String) -> Void
    /// Asked (on the loop thread) before a stream client is upgraded: false answers 503 `not_ready`.
    /// A gateway node refuses clients until its first snapshot is in the cache. Set before `attach`.
    public var admission: (() -> Bool)?

    /// A gateway reading `reader` (a non-gating reader of the ring: a lap is resynced with snapshots).
    /// `log` receives one `event=… key=value` line per notable event (slow clients closed, laps).
    public init(reader: consuming RingReader, configuration: GatewayConfiguration = GatewayConfiguration(),
                log: @escaping (String) -> Void = { _ in }) {
        self.reader = reader
        self.configuration = configuration
        self.log = log
        scratch = .allocate(capacity: TickJSON.maxLength + 64)
    }

    deinit { scratch.deallocate() }

    /// Plugs the gateway into `server`: the loop hook (ring reading) and the ring's wakeup descriptor.
    /// Route the stream path to it with `HTTPRouter.webSocket(configuration.streamPath, gateway)`.
    public func attach(to server: WebSocketServer) throws(SystemError) {
        self.server = server
        try server.attach(self, wakeDescriptor: reader.wakeupDescriptor)
    }

    // MARK: the ring

    /// Reads up to `ticksPerTurn` ticks, serves slow clients, and parks on the ring when it is empty.
    public func serverWillWait(_ server: WebSocketServer) -> Int32 {
        now = Clock.monotonic()
        var n = 0
        queuedThisTurn = 0
        defer {
            if !conflatingSlots.isEmpty { serviceConflatingClients() }
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

    /// Adds this turn's message counts to the shared statistics.
    private func publishCounts() {
        guard sentAnything else { return }
        sentAnything = false
        for i in sentThisTurn.indices where sentThisTurn[i] != 0 {
            statistics.countOut(MessageKind(rawValue: i)!, sentThisTurn[i])
            sentThisTurn[i] = 0
        }
    }

    /// Ends a park on the ring.
    public func serverDidWake(_ server: WebSocketServer) {
        if parked {
            parked = false
            reader.finishPark()
        }
    }

    private func entry(for tick: Tick) -> SymbolEntry {
        let i = entryIndex[Int(tick.locate)]
        if i >= 0 { return entries[Int(i)] }
        let e = SymbolEntry(symbol: tick.symbol, locate: tick.locate)
        // A first tick that is not seq 1 means this reader joined late: wait for a quote.
        if tick.seq != 1 { e.sync = .awaitingQuote(gapFrom: 1) }
        entryIndex[Int(tick.locate)] = Int32(entries.count)
        entryBySymbol[tick.symbol] = entries.count
        entries.append(e)
        return e
    }

    private func process() {
        if tick.flags & Tick.Flags.snapshot != 0 { applySnapshotState(); return }
        let e = entry(for: tick)
        switch e.sync {
        case .synced:
            // Not the next seq (a gateway node's feed node restarted and numbers from 1 again): the
            // cache is not exact until the next quote, which subscribers get as gap + snapshot.
            if tick.seq != e.state.seq &+ 1 {
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

    private func fanOutQuote(_ e: SymbolEntry) {
        let first = Int(tick.changedLevel)  // depths 1...first do not see this change
        guard first < Tick.depth else { return }
        let limit = e.encodedDepthLimit
        var used = 0
        for d in (first + 1)...Tick.depth where !e.subscribers[d - 1].isEmpty {
            let effective = min(d, limit)
            let frame: WebSocketFrame
            if let f = frameCache[effective - 1] {
                frame = f
            } else {
                let n = TickJSON.encode(tick, depth: effective, into: scratch)
                frame = WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
                frameCache[effective - 1] = frame
                used = max(used, effective)
                statistics.framesEncoded.add(1)
            }
            for s in e.subscribers[d - 1] {
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

    private func fanOutEvent(_ e: SymbolEntry) {
        let n = TickJSON.encode(tick, into: scratch)
        let frame = WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
        statistics.framesEncoded.add(1)
        let kind: MessageKind = tick.kind == .trade ? .trade : tick.kind == .status ? .status : .tradeBreak
        for d in 0..<Tick.depth {
            for s in e.subscribers[d] {
                guard let c = clients[Int(s.slot)] else { continue }
                // Trades and status are delivered even to a conflating client; its conflated quote of
                // the symbol goes first, so seq still rises. Only the hard limit and the timeout stop it.
                if c.conflating, case .quote? = c.pending[e.locate] {
                    c.pending.removeValue(forKey: e.locate)
                    send(conflatedQuote(e, depth: d + 1), to: c, kind: .quote)
                    statistics.conflatedSent.add(1)
                }
                if c.conflating, case .gap? = c.pending[e.locate] { continue }  // its resync snapshot covers it
                send(frame, to: c, kind: kind)
            }
        }
    }

    /// Queues `frame` for `c` and applies the limits: over the hard limit the client is closed, over
    /// the soft limit (bytes its socket would not take) it starts conflating.
    @inline(__always)
    private func send(_ frame: WebSocketFrame, to c: StreamClient, kind: MessageKind) {
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

    private func sendText(_ text: String, to c: StreamClient, kind: MessageKind) {
        send(WebSocketFrame.text(text), to: c, kind: kind)
    }

    private func snapshotFrame(_ e: SymbolEntry, depth: Int) -> WebSocketFrame {
        let n = TickJSON.encodeSnapshot(e.state, depth: depth, hasTraded: e.hasTraded, into: scratch)
        return WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
    }

    private func gapFrame(_ e: SymbolEntry, from: UInt64) -> WebSocketFrame {
        let n = TickJSON.encodeGap(symbol: e.symbol, from: from, to: e.state.seq, into: scratch)
        return WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
    }

    // MARK: laps and resync

    private func handleLap(lost: Int) {
        statistics.laps.add(1)
        statistics.lostTicks.add(lost)
        log("event=gateway_lapped lost=\(lost) symbols=\(entries.count)")
        for e in entries {
            switch e.sync {
            case .synced: e.sync = .lapped(gapFrom: e.state.seq &+ 1)
            case .lapped, .awaitingQuote: break
            }
        }
    }

    /// The entry's levels are exact again (a quote after lost ticks): every subscriber gets `gap` and
    /// a fresh snapshot (or only the snapshot, if it subscribed meanwhile and never had one).
    private func resync(_ e: SymbolEntry, gapFrom: UInt64) {
        e.sync = .synced
        for d in 0..<Tick.depth {
            for s in e.subscribers[d] {
                guard let c = clients[Int(s.slot)], let sub = c.subscriptions[e.locate] else { continue }
                if sub.awaitingSnapshot {
                    c.subscriptions[e.locate]?.awaitingSnapshot = false
                    e.awaitingSnapshots -= 1
                    send(snapshotFrame(e, depth: d + 1), to: c, kind: .snapshot)
                } else if c.conflating {
                    c.markGap(e, seq: gapFrom)
                } else {
                    statistics.gaps.add(1)
                    send(gapFrame(e, from: gapFrom), to: c, kind: .gap)
                    send(snapshotFrame(e, depth: d + 1), to: c, kind: .snapshot)
                }
            }
        }
    }

    /// A feed node's snapshot of one symbol (a gateway node resynchronizing a channel): it replaces
    /// the cached state; subscribers whose stream it interrupts get `gap` + a fresh snapshot.
    private func applySnapshotState() {
        tick.flags &= ~Tick.Flags.snapshot
        let known = entryIndex[Int(tick.locate)] >= 0
        let e = entry(for: tick)
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

    private func sendAwaitedSnapshots(_ e: SymbolEntry) {
        for d in 0..<Tick.depth {
            for s in e.subscribers[d] {
                guard let c = clients[Int(s.slot)], c.subscriptions[e.locate]?.awaitingSnapshot == true else { continue }
                c.subscriptions[e.locate]?.awaitingSnapshot = false
                e.awaitingSnapshots -= 1
                send(snapshotFrame(e, depth: d + 1), to: c, kind: .snapshot)
            }
        }
    }

    // MARK: backpressure

    private func beginConflating(_ c: StreamClient) {
        c.conflating = true
        c.conflatingSince = now
        conflatingSlots.append(c.slot)
        statistics.conflationEpisodes.add(1)
        statistics.clientsConflating.add(1)
    }

    private func endConflating(_ c: StreamClient) {
        guard c.conflating else { return }
        c.conflating = false
        statistics.clientsConflating.add(-1)
        if let i = conflatingSlots.firstIndex(of: c.slot) { conflatingSlots.remove(at: i) }
    }

    /// Conflating clients: those drained below the low-water mark get their latest state (one
    /// conflated quote per symbol, or gap + snapshot where a trade or status was skipped); those over
    /// the soft limit for longer than `slowClientTimeout` are closed.
    private func serviceConflatingClients() {
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
    private func release(_ c: StreamClient) {
        while let (locate, p) = c.pending.first {
            c.pending.removeValue(forKey: locate)
            guard let sub = c.subscriptions[locate], !sub.awaitingSnapshot else { continue }
            let e = entries[Int(entryIndex[Int(locate)])]
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

    private func conflatedQuote(_ e: SymbolEntry, depth: Int) -> WebSocketFrame {
        if e.conflatedSeq != e.quoteSeq {
            for i in 0..<Tick.depth { e.conflatedFrames[i] = nil }
            e.conflatedSeq = e.quoteSeq
        }
        let effective = min(depth, e.encodedDepthLimit)
        if let f = e.conflatedFrames[effective - 1] { return f }
        let n = TickJSON.encode(e.latestQuote, depth: effective, conflated: true, into: scratch)
        let f = WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
        e.conflatedFrames[effective - 1] = f
        return f
    }

    private func closeSlow(_ c: StreamClient, reason: SlowReason) {
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

    // MARK: WebSocketServerDelegate

    /// Upgrades the stream path while under `maxClients` (else 503 with an error body); 404 elsewhere.
    public func route(_ request: HTTPRequest, server: WebSocketServer) -> HTTPRoute {
        guard request.path == configuration.streamPath else { return .respond(.text(.notFound)) }
        if let admission, !admission() {
            statistics.refusedClients.add(1)
            return .respond(.json(.serviceUnavailable,
                                  ControlMessage.error("not_ready", "the gateway is synchronizing with its feed node; try again shortly")))
        }
        if clientCount >= configuration.maxClients {
            statistics.refusedClients.add(1)
            return .respond(.json(.serviceUnavailable,
                                  ControlMessage.error("too_many_clients", "the gateway serves at most \(configuration.maxClients) clients")))
        }
        return .upgrade
    }

    /// A stream client connected.
    public func webSocketDidOpen(_ client: WebSocketClient, server: WebSocketServer) {
        let slot = Int(client.id & 0xFFFF_FFFF)
        if clientCount >= configuration.maxClients {
            statistics.refusedClients.add(1)
            server.close(client, code: .tryAgainLater, reason: "too many clients")
            return
        }
        while clients.count <= slot { clients.append(nil) }
        clients[slot] = StreamClient(ws: client, slot: Int32(slot))
        clientCount += 1
        statistics.clients.add(1)
        statistics.connections.add(1)
    }

    /// A client message: subscribe, unsubscribe, ping; anything else gets an `error`.
    public func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool,
                          server: WebSocketServer) {
        guard let c = clients[Int(client.id & 0xFFFF_FFFF)], c.ws.id == client.id else { return }
        statistics.messagesIn.add(1)
        guard isText else {
            statistics.countError("binary_message")
            server.close(client, code: .unsupportedData, reason: "this endpoint takes JSON text messages")
            return
        }
        switch ClientRequest(payload) {
        case .subscribe(let symbols, let depth): subscribe(c, symbols, depth: depth)
        case .unsubscribe(let symbols): unsubscribe(c, symbols)
        case .ping(let id): sendText(ControlMessage.pong(id), to: c, kind: .control)
        case .invalid(let code, let message):
            statistics.countError(code)
            sendText(ControlMessage.error(code, message), to: c, kind: .control)
        }
        publishCounts()
    }

    /// Forgets the client and its subscriptions, counting why it went.
    public func webSocketDidClose(_ client: WebSocketClient, code: WebSocketCloseCode, server: WebSocketServer) {
        let slot = Int(client.id & 0xFFFF_FFFF)
        guard slot < clients.count, let c = clients[slot], c.ws.id == client.id else { return }
        for (locate, sub) in c.subscriptions {
            let e = entries[Int(entryIndex[Int(locate)])]
            e.remove(Subscriber(slot: c.slot), depth: sub.depth)
            if sub.awaitingSnapshot { e.awaitingSnapshots -= 1 }
        }
        statistics.subscriptions.add(-c.subscriptions.count)
        endConflating(c)
        if !c.closing { statistics.countDisconnect(code) }
        clients[slot] = nil
        clientCount -= 1
        statistics.clients.add(-1)
    }

    private func subscribe(_ c: StreamClient, _ names: [String], depth: Int) {
        var accepted: [SymbolEntry] = []
        var unknown: [String] = []
        var overLimit: [String] = []
        var seen = Set<Int>()
        for name in names {
            guard let symbol = Symbol(name), let i = entryBySymbol[symbol] else { unknown.append(name); continue }
            guard seen.insert(i).inserted else { continue }
            let e = entries[i]
            if c.subscriptions[e.locate] == nil && c.subscriptions.count >= configuration.maxSubscriptions {
                overLimit.append(e.name)
                continue
            }
            if let old = c.subscriptions[e.locate] {
                e.remove(Subscriber(slot: c.slot), depth: old.depth)
                if old.awaitingSnapshot { e.awaitingSnapshots -= 1 }
            } else {
                statistics.subscriptions.add(1)
            }
            c.pending.removeValue(forKey: e.locate)
            e.add(Subscriber(slot: c.slot), depth: depth)
            c.subscriptions[e.locate] = Subscription(depth: depth, awaitingSnapshot: e.sync != .synced)
            if e.sync != .synced { e.awaitingSnapshots += 1 }
            accepted.append(e)
        }
        if !accepted.isEmpty || names.isEmpty {
            sendText(ControlMessage.symbols("subscribed", accepted.map(\.name)), to: c, kind: .control)
            for e in accepted where e.sync == .synced {
                send(snapshotFrame(e, depth: depth), to: c, kind: .snapshot)
            }
        }
        if !unknown.isEmpty {
            statistics.countError("unknown_symbol")
            sendText(ControlMessage.error("unknown_symbol", "no such symbol", symbols: unknown), to: c, kind: .control)
        }
        if !overLimit.isEmpty {
            statistics.countError("too_many_subscriptions")
            sendText(ControlMessage.error("too_many_subscriptions",
                                          "at most \(configuration.maxSubscriptions) symbols per client", symbols: overLimit),
                     to: c, kind: .control)
        }
    }

    private func unsubscribe(_ c: StreamClient, _ names: [String]) {
        var done: [String] = []
        var unknown: [String] = []
        for name in names {
            guard let symbol = Symbol(name), let i = entryBySymbol[symbol] else { unknown.append(name); continue }
            let e = entries[i]
            if let old = c.subscriptions.removeValue(forKey: e.locate) {
                e.remove(Subscriber(slot: c.slot), depth: old.depth)
                if old.awaitingSnapshot { e.awaitingSnapshots -= 1 }
                statistics.subscriptions.add(-1)
                c.pending.removeValue(forKey: e.locate)
            }
            if !done.contains(e.name) { done.append(e.name) }
        }
        if !done.isEmpty { sendText(ControlMessage.symbols("unsubscribed", done), to: c, kind: .control) }
        if !unknown.isEmpty {
            statistics.countError("unknown_symbol")
            sendText(ControlMessage.error("unknown_symbol", "no such symbol", symbols: unknown), to: c, kind: .control)
        }
    }

    // MARK: read-only views (loop thread: HTTP handlers)

    /// `GET /v1/symbols`: every known symbol with status, last trade, best bid and ask, volume, seq.
    public func symbolsJSON() -> String {
        var parts: [String] = []
        parts.reserveCapacity(entries.count)
        for e in entries.sorted(by: { $0.symbol < $1.symbol }) {
            let s = e.state
            func level(_ l: PriceLevel, _ count: UInt8) -> String {
                count == 0 ? "null" : "{\"price\":\"\(Price.text(UInt64(l.price)))\",\"size\":\(l.size)}"
            }
            let last = e.hasTraded ? "{\"price\":\"\(Price.text(UInt64(s.tradePrice)))\",\"size\":\(s.tradeSize)}" : "null"
            parts.append("{\"symbol\":\"\(ControlMessage.escape(e.name))\",\"status\":\"\(s.status.name)\",\"seq\":\(s.seq),"
                         + "\"bid\":\(level(s.bids[0], s.bidCount)),\"ask\":\(level(s.asks[0], s.askCount)),"
                         + "\"last\":\(last),\"volume\":\(s.volume),\"synced\":\(e.sync == .synced)}")
        }
        return "{\"symbols\":[" + parts.joined(separator: ",") + "]}"
    }

    /// Ring lag of the gateway's own reader.
    public var ringLag: Int { reader.lag }
}

/// What kind of message went out, for the per-type counters.
enum MessageKind: Int {
    case quote = 0, trade, status, tradeBreak, snapshot, gap, control
    static let names = ["quote", "trade", "status", "trade_break", "snapshot", "gap", "control"]
}

enum SlowReason { case hardLimit, timeout }

/// One subscription of a client.
struct Subscription {
    var depth: Int
    /// Subscribed while the symbol was resyncing: its snapshot is still to come.
    var awaitingSnapshot: Bool
}

/// What a conflating client has not been sent for one symbol.
enum PendingUpdate {
    /// Quotes were conflated: send the latest one (marked conflated). `from` is the first skipped seq.
    case quote(from: UInt64)
    /// A trade or status was skipped: send gap(from, latest) + snapshot.
    case gap(from: UInt64)
}

/// One stream client: its subscriptions and backpressure state. Loop thread only.
final class StreamClient {
    let ws: WebSocketClient
    let slot: Int32
    var subscriptions: [UInt16: Subscription] = [:]
    var conflating = false
    var conflatingSince: UInt64 = 0
    var closing = false
    /// Per symbol (locate), what a conflating client still has to be sent.
    var pending: [UInt16: PendingUpdate] = [:]

    init(ws: WebSocketClient, slot: Int32) {
        self.ws = ws
        self.slot = slot
    }

    func markQuote(_ e: SymbolEntry, seq: UInt64) {
        if pending[e.locate] == nil { pending[e.locate] = .quote(from: seq) }
    }

    func markGap(_ e: SymbolEntry, seq: UInt64) {
        switch pending[e.locate] {
        case .none: pending[e.locate] = .gap(from: seq)
        case .quote(let from): pending[e.locate] = .gap(from: from)
        case .gap: break
        }
    }
}

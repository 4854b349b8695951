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
/// One concept per file: this one holds the state and the plugging into the server;
/// `RingReading.swift` (the loop hook: ticks in), `Resynchronization.swift` (laps, snapshot states),
/// `FanOut.swift` (encode once, queue on every subscriber), `Backpressure.swift` (conflation, slow
/// clients), `Subscriptions.swift`, `StreamEndpoint.swift` (the WebSocket delegate),
/// `SymbolDirectory.swift` (`/v1/symbols`); the cache is `LastValueCache`, its entries `SymbolEntry`,
/// the clients `GatewayClient`. Access control (docs/security.md): `Authentication.swift` (tokens,
/// sessions, expiry, refresh), `SubscriptionEntitlements.swift`, `ClientLimits.swift`.
///
/// Threading: everything runs on the `WebSocketServer`'s loop thread (as its delegate for the stream
/// path and as its loop hook); `GatewayStatistics` may be read from any thread.
public final class Gateway: WebSocketServerDelegate, WebSocketServerLoopHook {
    /// The limits it runs with.
    public let configuration: GatewayConfiguration
    /// Counters (relaxed atomics, readable from any thread).
    public let statistics = GatewayStatistics()
    /// Access control's counters (`Authentication.swift`, `SubscriptionEntitlements.swift`, `ClientLimits.swift`).
    public let accessStatistics = AccessStatistics()
    /// Asked (on the loop thread) before a stream client is upgraded: false answers 503 `not_ready`.
    /// A gateway node refuses clients until its first snapshot is in the cache. Set before `attach`.
    public var admission: (() -> Bool)?
    /// A gateway node's snapshot candles and tapes, left by its upstream receiver: applied with each
    /// symbol's snapshot day state, so a node that joined late serves the bars and trades of the day
    /// before it joined. Set before `attach`.
    public var snapshotSeries: SnapshotSeriesMailbox?

    var reader: RingReader
    /// Whether the reader is parked for the server's sleep (`serverWillPark` … `serverDidWake`).
    var parked = false
    /// Whether the ring was closed and drained (the loop then sleeps on its sockets alone).
    var ringClosed = false
    /// The idle rounds' lengths (no stream client: `RingReading.swift`).
    var idleRounds: IdleRounds
    /// Told whether a stream client is connected (`serve`'s simulator batches by it). Set before the
    /// server runs; read and told on the loop thread.
    public var demand: StreamDemand?
    /// The tick being processed (read into in place from the ring).
    var tick = Tick()
    var cache = LastValueCache()
    /// Stream clients by the server's connection slot.
    var clients: [GatewayClient?] = []
    var clientCount = 0
    var conflatingSlots: [Int32] = []
    /// The message being fanned out, encoded once per distinct (variant, `prev`) (`Chain.swift`).
    var chainFrames = ChainFrames()
    /// Whether the loop is reading the ring (fanning out): a client that leaves meanwhile (a write
    /// error inside `send`) is forgotten at once, but its subscriber records stay until the turn
    /// ends (`departed`), so no subscriber list changes under a fan-out loop walking it by index.
    var readingRing = false
    var departed: [GatewayClient] = []
    let scratch: UnsafeMutablePointer<UInt8>
    /// Monotonic time at the start of this loop turn.
    var now: UInt64 = 0
    /// Messages queued this turn by kind (published to `statistics` once per turn: no atomic per message).
    var sentThisTurn = [Int](repeating: 0, count: MessageKind.names.count)
    var sentAnything = false
    /// Messages queued in the current turn (all kinds).
    var queuedThisTurn = 0
    // unowned(unsafe): the server owns the gateway as its hook and outlives every call into it;
    // a weak reference would cost an atomic load per message on the hot path.
    unowned(unsafe) var server: WebSocketServer?
    let log: (String) -> Void
    /// Tokens, sessions per user, expiry deadlines.
    var access: AccessState
    /// `stats` subscriptions by interval (`StatsDelivery.swift`).
    var statsGroups: [StatsGroup] = []
    /// Entries whose newest bars trades changed this turn and that have candle subscribers.
    var candleDirty: [SymbolEntry] = []
    /// Entries with a bar announced to subscribers and not yet sent closed.
    var openCandleEntries: [SymbolEntry] = []
    /// The feed's exchange clock: the newest tick `ts` read, whole seconds since midnight.
    var exchangeSecond: UInt32 = 0
    /// The first `ts` of the next second (one compare per tick instead of a division).
    var exchangeClockNextSecond: UInt64 = 0
    /// The clock moved to a new second with open bars listed: `closeCandles` at the turn's end.
    var candleCloseDue = false

    /// A gateway reading `reader` (a non-gating reader of the ring: a lap is resynced with snapshots).
    /// `log` receives one `event=… key=value` line per notable event (slow clients closed, laps).
    public init(reader: consuming RingReader, configuration: GatewayConfiguration = GatewayConfiguration(),
                log: @escaping (String) -> Void = { _ in }) {
        idleRounds = IdleRounds(capacity: reader.capacity, longest: Gateway.longestIdleRound, now: Clock.monotonic())
        self.reader = reader
        self.configuration = configuration
        self.log = log
        access = AccessState(configuration.access)
        scratch = .allocate(capacity: TickJSON.maxLength + 64)
    }

    deinit { scratch.deallocate() }

    /// Plugs the gateway into `server`: the loop hook (ring reading) and the ring's wakeup descriptor.
    /// Route the stream path to it with `HTTPRouter.webSocket(configuration.streamPath, gateway)`.
    public func attach(to server: WebSocketServer) throws(SystemError) {
        self.server = server
        try server.attach(self, wakeDescriptor: reader.wakeupDescriptor)
    }

    /// Ring lag of the gateway's own reader.
    public var ringLag: Int { reader.lag }
}

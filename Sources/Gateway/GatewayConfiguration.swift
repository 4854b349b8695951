/// The gateway's limits, validated once at start-up (`quotecast serve` maps its flags onto it; the
/// defaults are documented in docs/gateway.md).
///
/// Invariants: `clientBuffer` < `clientBufferMax`; every count ≥ 1.
public struct GatewayConfiguration: Sendable {
    /// Per-client soft limit, bytes: once the socket leaves more than this unwritten, the client's
    /// quotes are conflated (`--client-buffer`). Default 256 KiB.
    public var clientBuffer = 256 * 1024
    /// Per-client hard limit, bytes of queued output: past it the client is closed 1008
    /// (`--client-buffer-max`). Default 4 MiB.
    public var clientBufferMax = 4 << 20
    /// A client that stays over the soft limit this long is closed 1008, seconds
    /// (`--slow-client-timeout`). Default 10.
    public var slowClientTimeout: Double = 10
    /// Most WebSocket stream clients at once; more get HTTP 503 (`--max-clients`). Default 10 000.
    public var maxClients = 10_000
    /// Most symbols one client may subscribe to (`--max-subscriptions`). Default 1 000.
    public var maxSubscriptions = 1_000
    /// Most ticks taken from the ring per loop turn before the loop writes and looks at its sockets
    /// (bounds the latency that one burst adds to everyone else's reads). Default 1 024.
    public var ticksPerTurn = 1_024
    /// Most messages queued to clients per loop turn before the loop writes them. Default 262 144,
    /// which `ticksPerTurn` normally reaches first. Small budgets cut the delay a big burst adds to
    /// its first tick but cost throughput: coalescing is what makes fan-out cheap (`gateway.fanout`
    /// with 8 192: about 0.3 M msgs/s; unbounded: about 1 M msgs/s on the same loaded machine, since
    /// each `writev` then carries ~100 frames instead of ~8).
    public var messagesPerTurn = 262_144
    /// Updates kept per symbol for clients that resume with `since` (`--resume-history`): from a
    /// symbol's first subscription on, its last this-many updates, 240 bytes each (default 128:
    /// 30 KiB per symbol ever subscribed). 0 turns resuming off (every `since` gets a snapshot).
    public var resumeHistory = 128
    /// The WebSocket path of the market-data stream.
    public var streamPath = "/v1/stream"
    /// Tokens, entitlements and the per-connection message limit (docs/security.md).
    public var access = AccessConfiguration()

    /// The documented defaults.
    public init() {}

    /// Below this a conflating client is drained enough to get its latest quotes (half the soft limit).
    var lowWater: Int { clientBuffer / 2 }
}

/// Which load shape a run drives.
public enum LoadProfile: String, Sendable, CaseIterable {
    /// `--clients` clients connect (at `--connect-rate`), then hold for `--duration`.
    case steady
    /// Clients are added in steps (`--ramp-start`, `--ramp-step` every `--ramp-interval`) until a
    /// bound (`--fail-if`, default `p99<100ms`) is broken on a step or `--clients` is reached; the
    /// report gives the capacity: the most clients whose step kept every bound.
    case ramp
    /// Like steady, and `--churn-per-sec` clients a second disconnect and are replaced by new ones.
    case churn
    /// Like steady, with `--slow-fraction` of the clients slow (the default fraction becomes 0.1).
    case slow
    /// Like steady; at `--storm-at` seconds every client drops its connection and reconnects at once.
    case reconnectStorm = "reconnect-storm"
}

/// Everything a load run is told, validated once (see `LoadCommand` for the flags and defaults).
public struct LoadConfiguration: Sendable {
    /// The gateway stream, `ws://HOST:PORT/v1/stream`.
    public var url = "ws://127.0.0.1:8080/v1/stream"
    /// Clients to hold open (the ramp's ceiling).
    public var clients = 100
    /// Symbols each client subscribes to.
    public var symbolsPerClient = 10
    /// Book depth asked for in `subscribe` (1...10).
    public var depth = 10
    /// Seconds of measurement once the clients are connected.
    public var duration = 10.0
    /// New connections per second (all threads together) while connecting.
    public var connectRate = 1000.0
    /// Driver threads, each with its own epoll loop and share of the clients (1...2 is sensible).
    public var threads = 1
    /// Symbols to draw from; nil asks the gateway (`GET /v1/symbols`).
    public var symbols: [String]?
    /// How watchlists are drawn.
    public var distribution = SymbolDistribution.uniform
    /// Seed of every random choice (watchlists, which clients are slow, churn victims).
    public var seed: UInt64 = 1
    /// The load shape.
    public var profile = LoadProfile.steady
    /// Ramp: first step's clients, clients added per step, seconds per step.
    public var rampStart = 100
    public var rampStep = 100
    public var rampInterval = 5.0
    /// Churn: clients replaced per second.
    public var churnPerSecond = 0.0
    /// Slow clients: fraction of all clients, bytes each reads per second, its socket receive buffer.
    public var slowFraction = 0.0
    public var slowBytesPerSecond = 2000
    public var slowReceiveBuffer = 4096
    /// Reconnect storm: seconds into the measurement when every client drops and reconnects.
    public var stormAt: Double?
    /// Bounds the run must keep.
    public var failIf: [FailCondition] = []
    /// Whether to fetch the server's `/metrics` before and after.
    public var fetchMetrics = true
    /// Seconds a connect plus handshake may take before it counts as failed.
    public var connectTimeout = 5.0
    /// Print the live line on stderr every second.
    public var progress = true
    /// The access token client i presents (`Authorization: Bearer`) on its upgrade request, for a
    /// gateway run with `--auth token`; client 0's also goes with `GET /v1/symbols` and `/metrics`.
    /// nil: no token.
    public var token: (@Sendable (_ client: Int) -> String)?
    /// How the tokens were made, for the report: `none`, `shared` (one for every client) or
    /// `minted per client`.
    public var tokenSource = "none"

    /// The defaults.
    public init() {}

    /// The bounds a ramp step must keep: `--fail-if`, or `p99<100ms` when none was given.
    public var rampBounds: [FailCondition] {
        failIf.isEmpty ? [try! FailCondition(parsing: "p99<100ms")] : failIf
    }
}

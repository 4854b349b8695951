import Auth
import Fanout
import Gateway
import Market
import Sockets
import System
import WebPage
import WebSocket

/// The HTTP/WebSocket listener `serve` and `gateway` share: its flags, their parsing, and the routes
/// (the stream, the page at `/` and its files, `/v1/symbols`, `/healthz`, `/metrics`, the optional echo endpoint).
enum FrontEnd {
    /// The value flags of the listener and its clients.
    static let valueFlags = Set(["listen", "echo", "allowed-origin", "max-clients", "max-message", "ping-interval",
                                 "max-subscriptions", "client-buffer", "client-buffer-max", "slow-client-timeout",
                                 "client-sndbuf", "client-unsent", "deflate", "resume-history"]).union(AccessFlags.valueFlags)

    /// Their `--help` lines.
    static let usage = """
          --listen HOST:PORT     HTTP/WebSocket listener (default 127.0.0.1:8080; port 0 picks a free
                                 port, logged as listen=)
          --echo PATH            also serve a WebSocket echo endpoint at PATH (off by default)
          --allowed-origin LIST  comma-separated Origin values allowed to open WebSockets (default any)
          --max-clients N        most WebSocket stream clients; more get 503 (default 10000; plain HTTP
                                 connections get 1024 more)
          --max-subscriptions N  most symbols one client may subscribe to (default 1000)
          --client-buffer BYTES  per-client soft limit: output the socket would not take beyond which
                                 quotes are conflated (default 262144)
          --client-buffer-max BYTES  per-client hard limit of queued output: closed 1008 (default 4194304)
          --slow-client-timeout S  closed 1008 after S seconds over --client-buffer (default 10)
          --resume-history N     updates kept per symbol for clients resuming with "since" (default 128;
                                 0 = off): 240 bytes each per symbol ever subscribed, 30 KiB a symbol at
                                 the default (8 000 symbols: 240 MiB); docs/websocket-api.md "Resume"
          --client-unsent BYTES  most bytes a client socket holds in the kernel unsent (TCP_NOTSENT_LOWAT;
                                 default 16384): a stalled reader's backlog then waits in the gateway,
                                 where --client-buffer conflates it, not stale in the kernel
          --client-sndbuf BYTES  kernel send buffer per client socket (default: kernel autotuning)
          --max-message BYTES    largest message a client may send, else close 1009 (default 1048576;
                                 a compressed message counts compressed and inflated)
          --deflate MODE         permessage-deflate (RFC 7692) offered to clients: off, shared (default:
                                 each message compressed once, without context, for every client that
                                 accepts it) or full (also per-connection contexts for clients that ask,
                                 4 KiB windows: about 49 KiB of zlib state per such client); docs/websocket.md
          --ping-interval S      ping a WebSocket client silent for S seconds (default 30; closed 1001 if
                                 no answer within 10 s)
        \(AccessFlags.usage)
        """

    /// The listener's settings from the command line.
    struct Settings {
        var server: WebSocketServerConfiguration
        var gateway: GatewayConfiguration
        var echoPath: String?
        var listenText: String
        /// Whether --listen was given (a default address that is taken is not a bad flag value).
        var listenGiven: Bool
        /// The key file of `--auth token` (reloaded on SIGHUP); nil with `--auth none`.
        var keys: ReloadableKeyRing?

        /// The start-up line's access fields (`auth=…`, limits).
        var accessFields: [(String, Any)] { AccessFlags.startupFields(gateway, server, keys: keys) }
        /// The start-up line's level: a warning on an open gateway.
        var startupLevel: LogLevel { AccessFlags.startupLevel(keys: keys) }
    }

    /// Parses the listener's flags and raises the open-file limit to what `--max-clients` needs.
    static func settings(_ args: Arguments, log: Log) throws -> Settings {
        let listenText = args.string("listen") ?? "127.0.0.1:8080"
        let listenAddress = try args.address("listen", default: listenText)!
        let echoPath = args.string("echo")
        if let echoPath, !echoPath.hasPrefix("/") { throw UsageError("--echo: expected a path starting with /, got '\(echoPath)'") }
        var server = WebSocketServerConfiguration(listen: listenAddress)
        server.allowedOrigins = (args.string("allowed-origin") ?? "").split(separator: ",").map(String.init)
        var gateway = GatewayConfiguration()
        gateway.maxClients = try args.int("max-clients", default: 10_000, in: 1...1_000_000)
        gateway.maxSubscriptions = try args.int("max-subscriptions", default: 1_000, in: 1...65_536)
        gateway.clientBuffer = try args.int("client-buffer", default: 256 * 1024, in: 1024...(1 << 30))
        gateway.clientBufferMax = try args.int("client-buffer-max", default: 4 << 20, in: 2048...(1 << 31))
        guard gateway.clientBufferMax > gateway.clientBuffer else {
            throw UsageError("--client-buffer-max: must be larger than --client-buffer (\(gateway.clientBuffer))")
        }
        gateway.slowClientTimeout = Double(try args.int("slow-client-timeout", default: 10, in: 1...86_400))
        gateway.resumeHistory = try args.int("resume-history", default: 128, in: 0...65_536)
        server.maxConnections = gateway.maxClients + 1024
        // The server's own limit is a last resort behind the gateway's (which closes at --client-buffer-max).
        server.maxPendingBytes = gateway.clientBufferMax + (1 << 20)
        server.unsentLimitBytes = try args.int("client-unsent", default: 16_384, in: 1024...(1 << 28))
        if args.string("client-sndbuf") != nil {
            server.sendBufferBytes = try args.int("client-sndbuf", default: 0, in: 1024...(1 << 28))
        }
        server.maxMessageBytes = try args.int("max-message", default: 1 << 20, in: 125...(1 << 30))
        server.pingInterval = Double(try args.int("ping-interval", default: 30, in: 1...86_400))
        if let text = args.string("deflate") {
            guard let mode = DeflateMode(rawValue: text) else {
                throw UsageError("--deflate: expected off, shared or full, got '\(text)'")
            }
            server.deflate.mode = mode
        }
        let keys = try AccessFlags.apply(args, gateway: &gateway, server: &server)

        // One descriptor per connection: raise the soft open-file limit to what --max-clients needs.
        let descriptorsWanted = server.maxConnections + 256
        let descriptorsAllowed = raiseOpenFileLimit(to: descriptorsWanted)
        if descriptorsAllowed < descriptorsWanted {
            log(.warn, "open_file_limit", ["wanted": descriptorsWanted, "allowed": descriptorsAllowed,
                                            "hint": "raise the hard limit (ulimit -Hn) or lower --max-clients"])
        }
        return Settings(server: server, gateway: gateway, echoPath: echoPath, listenText: listenText,
                        listenGiven: args.string("listen") != nil, keys: keys)
    }

    /// Builds the gateway on `reader` and binds the listener with every route. `health` answers
    /// `/healthz` (live or not, and the JSON fields after `status`); `metrics` are the stages'
    /// samples before the gateway's, the server's own and the process's. Throws a `RuntimeFailure`
    /// (exit 1) when the address cannot be bound.
    static func start(_ s: Settings, reader: consuming RingReader, log: Log,
                      admission: (() -> Bool)? = nil,
                      health: @escaping () -> (live: Bool, json: String),
                      metrics: [() -> [MetricSample]]) throws -> (server: WebSocketServer, gateway: Gateway) {
        let router = HTTPRouter()
        router.get("/healthz") { _ in
            let (live, json) = health()
            return .json(live ? .ok : .serviceUnavailable, json)
        }
        let gateway = Gateway(reader: reader, configuration: s.gateway) { line in
            if LogLevel.info >= log.minimum { printError("level=info " + line) }
        }
        gateway.admission = admission
        router.webSocket(s.gateway.streamPath, gateway)
        router.get("/v1/symbols") { request in gateway.symbolsResponse(request) }
        WebPage.register(on: router)
        if let echoPath = s.echoPath { router.webSocket(echoPath, EchoHandler(path: echoPath)) }
        do {
            let server = try WebSocketServer(configuration: s.server, delegate: router) { level, line in
                let mapped: LogLevel = level == .info ? .info : level == .warn ? .warn : .error
                if mapped >= log.minimum { printError("level=\(mapped.name) " + line) }
            }
            // /metrics renders every stage's samples; each provider is a closure, so stages plug in.
            let keys = s.keys
            let providers = metrics + [{ gateway.statistics.samples() }, { gateway.accessStatistics.samples(keys: keys) },
                                       { server.statistics.samples() }, { ProcessMetrics.read().samples() }]
            router.get("/metrics") { _ in
                HTTPResponse(status: .ok, contentType: PrometheusText.contentType,
                             body: Array(PrometheusText.render(providers.flatMap { $0() }).utf8))
            }
            try gateway.attach(to: server)
            return (server, gateway)
        } catch {
            // A daemon without its listener is no use to its clients. An address in use (or not this
            // host's) is a runtime failure, not a bad flag: the value was well formed (exit 1). For the
            // default address the message says which flag picks another.
            if s.listenGiven { throw RuntimeFailure("--listen: cannot listen on \(s.listenText): \(error)") }
            throw RuntimeFailure("cannot listen on the default \(s.listenText) (\(error)); choose another with --listen HOST:PORT")
        }
    }
}

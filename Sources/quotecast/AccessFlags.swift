import Auth
import Gateway
import RateLimit
import WebSocket

/// The access-control flags `serve` and `gateway` share (issue 21, docs/security.md): tokens, the
/// key file and its reload on SIGHUP, and the inbound limits every client has.
enum AccessFlags {
    /// Their value flags.
    static let valueFlags: Set<String> = ["auth", "auth-key-file", "auth-leeway", "auth-expiry-warning", "client-message-rate",
                                          "client-message-burst", "connection-rate", "connection-burst"]

    /// Their `--help` lines.
    static let usage = """
          --auth none|token      none (default): no token asked for, every client sees every symbol
                                 (the start-up line says so); token: every stream client and
                                 /v1/symbols request needs a valid access token (JWT, HS256), 401 if not
          --auth-key-file FILE   the signing keys for --auth token: 'KID SECRET' lines, SECRET base64url
                                 of at least 32 bytes, mode 600 or 400; SIGHUP reloads it (a bad file
                                 keeps the keys in force and logs why; connections stay open)
          --auth-leeway S        clock skew tolerated on a token's exp and nbf, 0..300 (default 0)
          --auth-expiry-warning S  send token_expiring S seconds before a connection's token expires
                                 (default 60); at expiry it is closed 1008 token_expired unless the
                                 client sent {"op":"auth","token":...} with a fresh token
          --client-message-rate N  messages per second one connection may send, 0 = no limit (default
                                 20); over it: error rate_limited, and 1008 after sustained abuse
          --client-message-burst N  messages one connection may send at once (default 50)
          --connection-rate N    new connections per second from one address, 0 = no limit (default 0:
                                 behind a proxy every client has the proxy's address); over it: 429
          --connection-burst N   new connections one address may open at once (default 20)
        """

    /// Sets `gateway.access` and `server.newConnectionLimit` from the flags; loads the key file for
    /// `--auth token` (a file that cannot be used is an error: exit 1 naming the problem) and
    /// returns it for SIGHUP.
    static func apply(_ args: Arguments, gateway: inout GatewayConfiguration,
                      server: inout WebSocketServerConfiguration) throws -> ReloadableKeyRing? {
        let mode = try args.choice("auth", ["none", "token"], default: "none")
        var access = AccessConfiguration()
        access.leeway = Double(try args.int("auth-leeway", default: 0, in: 0...300))
        access.expiryWarning = Double(try args.int("auth-expiry-warning", default: 60, in: 0...86_400))
        let rate = try args.int("client-message-rate", default: Int(MessageRateLimit.defaultRatePerSecond), in: 0...1_000_000)
        let burst = try args.int("client-message-burst", default: MessageRateLimit.defaultBurst, in: 1...1_000_000)
        access.messageLimit = rate == 0 ? nil : MessageRateLimit(ratePerSecond: Double(rate), burst: burst)
        let connectionRate = try args.int("connection-rate", default: 0, in: 0...1_000_000)
        let connectionBurst = try args.int("connection-burst", default: 20, in: 1...1_000_000)
        server.newConnectionLimit = connectionRate == 0 ? nil
            : AddressRateLimiter.Configuration(ratePerSecond: Double(connectionRate), burst: connectionBurst)
        let keyFile = args.string("auth-key-file")
        var keys: ReloadableKeyRing?
        switch mode {
        case "token":
            guard let keyFile else { throw UsageError("--auth-key-file FILE is required with --auth token") }
            let ring = try ReloadableKeyRing(path: keyFile)
            access.mode = .token(keys: ring)
            keys = ring
        default:
            if keyFile != nil { throw UsageError("--auth-key-file: only used with --auth token") }
        }
        gateway.access = access
        return keys
    }

    /// The start-up line's access fields: how clients are let in and limited. An open gateway says
    /// so in capitals, and its line is a warning.
    static func startupFields(_ gateway: GatewayConfiguration, _ server: WebSocketServerConfiguration,
                              keys: ReloadableKeyRing?) -> [(String, Any)] {
        var fields: [(String, Any)]
        if let keys {
            fields = [("auth", "token"), ("key_file", keys.path), ("kids", keys.snapshot().keys.keyIDs.joined(separator: ",")),
                      ("leeway_s", Int(gateway.access.leeway)), ("expiry_warning_s", Int(gateway.access.expiryWarning))]
        } else {
            fields = [("auth", "none"), ("access", "OPEN: no token required, every client may see every symbol (--auth token to require one)")]
        }
        fields.append(("message_limit", gateway.access.messageLimit.map { "\(Int($0.ratePerSecond))/s,burst=\($0.burst)" } ?? "off"))
        fields.append(("connection_limit", server.newConnectionLimit.map { "\(Int($0.ratePerSecond))/s,burst=\($0.burst)" } ?? "off"))
        return fields
    }

    /// The start-up line's level: a warning when anyone may connect.
    static func startupLevel(keys: ReloadableKeyRing?) -> LogLevel { keys == nil ? .warn : .info }

    /// SIGHUP: reloads the key file; a bad one keeps the keys in force and says why.
    static func reload(_ keys: ReloadableKeyRing?, log: Log) {
        guard let keys else {
            log(.info, "reload_skipped", ["reason": "--auth none: no key file to reload"])
            return
        }
        switch keys.reload() {
        case .success(let ring):
            log(.info, "auth_keys_reloaded", ["key_file": keys.path, "kids": ring.keyIDs.joined(separator: ",")])
        case .failure(let error):
            log(.error, "auth_keys_reload_failed", ["key_file": keys.path, "error": "\(error)",
                                                     "kept": keys.snapshot().keys.keyIDs.joined(separator: ",")])
        }
    }
}

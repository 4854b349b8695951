import Auth
import RateLimit

/// Who may use the stream and how much one connection may ask (issue 21, docs/security.md): the
/// part of `GatewayConfiguration` that `--auth`, `--auth-key-file`, `--auth-leeway`,
/// `--auth-expiry-warning`, `--client-message-rate` and `--client-message-burst` set.
///
/// Invariants: `leeway` ≥ 0; `expiryWarning` ≥ 0.
public struct AccessConfiguration: Sendable {
    /// Whether a token is required.
    public enum Mode: Sendable {
        /// No token is asked for or looked at: every client may see every symbol (the demo default,
        /// said loudly at start-up).
        case open
        /// A valid token from `keys` is required on the upgrade request (and on `/v1/symbols`);
        /// its claims restrict what the connection may see.
        case token(keys: ReloadableKeyRing)
    }

    /// Open (the default) or token.
    public var mode = Mode.open
    /// Seconds of clock skew tolerated on `exp` and `nbf` (`--auth-leeway`). Default 0.
    public var leeway: Double = 0
    /// How long before its token expires a connection is sent `token_expiring`, seconds
    /// (`--auth-expiry-warning`). Default 60.
    public var expiryWarning: Double = 60
    /// Each connection's inbound message limit, copied full into every new client; nil: none
    /// (`--client-message-rate 0`). Default 20 messages per second, burst 50, closed 1008 after
    /// twice the burst of refusals in a row.
    public var messageLimit: MessageRateLimit? = MessageRateLimit()

    /// The documented defaults: open, no leeway, a minute's warning, 20 messages/s with a burst of 50.
    public init() {}

    /// Whether tokens are required.
    public var requiresToken: Bool {
        if case .token = mode { return true }
        return false
    }
}

import RateLimit
import System

/// The inbound limit every connection has, tokens or not: a token bucket of client messages
/// (`--client-message-rate`, `--client-message-burst`; 20/s, burst 50 by default). A message over it
/// is not served and answered `rate_limited`; a client that keeps sending over it (twice the burst of
/// refusals without its bucket once filling up again) is closed 1008 `rate_limited`. One that slows
/// down is forgiven.
extension Gateway {
    /// Whether `c`'s message may be served now; answers or closes it when not.
    func admitMessage(_ c: GatewayClient) -> Bool {
        guard var limit = c.messageLimit else { return true }
        let verdict = limit.admit(now: Clock.monotonic())
        c.messageLimit = limit
        switch verdict {
        case .allowed:
            return true
        case .refused:
            accessStatistics.rateLimitedMessages.add(1)
            let rate = ControlMessage.decimal(limit.ratePerSecond)
            sendText(ControlMessage.error("rate_limited", "over \(rate) messages per second (burst \(limit.burst)); "
                                          + "this message was not served, slow down or be disconnected"),
                     to: c, kind: .control)
        case .abusive:
            accessStatistics.rateLimitedMessages.add(1)
            closeForAccess(c, .rateLimited)
        }
        return false
    }
}

extension ControlMessage {
    /// A rate for a message: `20`, or `0.5`.
    static func decimal(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

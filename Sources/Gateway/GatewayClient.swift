import RateLimit
import WebSocket

/// One subscription of a client (its copy in the symbol's subscriber list, `Subscriber`, is what the
/// fan-out reads; this one is what requests and access control look up by symbol).
struct Subscription {
    var depth: Int
    var channels: ChannelSet
    /// `stats_interval_ms` of the request.
    var statsIntervalMilliseconds: Int
    /// Whether the request named `channels` (then `subscribed` lists them; a re-subscribe keeps it).
    var explicitChannels: Bool
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

/// One client of the gateway's stream: its connection, subscriptions and backpressure state. Loop
/// thread only.
final class GatewayClient {
    let ws: WebSocketClient
    let slot: Int32
    var subscriptions: [UInt16: Subscription] = [:]
    var conflating = false
    var conflatingSince: UInt64 = 0
    var closing = false
    /// Per symbol (locate), what a conflating client still has to be sent.
    var pending: [UInt16: PendingUpdate] = [:]
    /// Who it authenticated as (`--auth token`); nil on an open gateway.
    var session: ClientSession?
    /// Its inbound message limit; nil when there is none.
    var messageLimit: MessageRateLimit?

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

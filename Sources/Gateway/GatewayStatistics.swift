import Market
import Synchronization
import WebSocket

/// The gateway's counters and gauges. Written on the loop thread, readable from any thread (relaxed
/// atomics: statistics, not synchronization). `samples()` turns them into `/metrics` samples.
public final class GatewayStatistics: Sendable {
    /// Stream clients connected now.
    public let clients = Atomic<Int>(0)
    /// Stream clients accepted since start.
    public let connections = Atomic<Int>(0)
    /// Stream upgrades refused over `maxClients`.
    public let refusedClients = Atomic<Int>(0)
    /// Symbol subscriptions held now (summed over clients).
    public let subscriptions = Atomic<Int>(0)
    /// Client messages received.
    public let messagesIn = Atomic<Int>(0)
    /// Ticks read from the ring.
    public let ticks = Atomic<Int>(0)
    /// The gateway's ring reader position (ticks read or skipped), stored once per loop turn.
    public let ringPosition = Atomic<Int>(0)
    /// Shared frames encoded (once per tick and depth, not per client).
    public let framesEncoded = Atomic<Int>(0)
    /// Quotes a conflating client did not get one by one (superseded by a later quote).
    public let conflatedQuotes = Atomic<Int>(0)
    /// Conflated quotes (`"conflated":true`) sent to drained clients.
    public let conflatedSent = Atomic<Int>(0)
    /// Times a client went over the soft limit and started conflating.
    public let conflationEpisodes = Atomic<Int>(0)
    /// Clients conflating now.
    public let clientsConflating = Atomic<Int>(0)
    /// `gap` messages sent (each followed by a snapshot).
    public let gaps = Atomic<Int>(0)
    /// Symbols of subscribes with `since` whose missed updates were replayed (`recovered`: true),
    /// those that got a snapshot instead (the history no longer held them, or never did), and the
    /// updates replayed.
    public let resumes = Atomic<Int>(0)
    public let resumeMisses = Atomic<Int>(0)
    public let replayedUpdates = Atomic<Int>(0)
    /// Times the gateway's ring reader was lapped, and ticks it lost.
    public let laps = Atomic<Int>(0)
    public let lostTicks = Atomic<Int>(0)
    /// Clients closed 1008 over `--client-buffer-max`.
    public let slowHardLimit = Atomic<Int>(0)
    /// Clients closed 1008 for staying over `--client-buffer` past `--slow-client-timeout`.
    public let slowTimeout = Atomic<Int>(0)
    private let outByKind: [Counter]
    private let disconnectCells: [Counter]
    private let errorCells: [Counter]

    static let disconnectReasons = ["client_close", "going_away", "protocol_error", "unsupported_data", "invalid_payload",
                                    "message_too_big", "policy", "dropped", "other"]
    static let errorCodes = ["bad_json", "bad_request", "unknown_op", "bad_depth", "unknown_symbol",
                             "too_many_subscriptions", "binary_message"]

    init() {
        outByKind = (0..<MessageKind.names.count).map { _ in Counter() }
        disconnectCells = (0..<GatewayStatistics.disconnectReasons.count).map { _ in Counter() }
        errorCells = (0..<GatewayStatistics.errorCodes.count).map { _ in Counter() }
    }

    func countOut(_ kind: MessageKind, _ n: Int) { outByKind[kind.rawValue].cell.add(n) }

    /// Messages sent of one type (`quote`, `trade`, `status`, `trade_break`, `snapshot`, `gap`, `control`).
    public func messagesOut(_ type: String) -> Int {
        MessageKind.names.firstIndex(of: type).map { outByKind[$0].cell.load(ordering: .relaxed) } ?? 0
    }

    func countError(_ code: String) {
        if let i = GatewayStatistics.errorCodes.firstIndex(of: code) { errorCells[i].cell.add(1) }
    }

    /// Counts a disconnect the client (or the network) caused, by close code.
    func countDisconnect(_ code: WebSocketCloseCode) {
        let reason: String
        switch code.rawValue {
        case 1000, 1005: reason = "client_close"
        case 1001: reason = "going_away"
        case 1002: reason = "protocol_error"
        case 1003: reason = "unsupported_data"
        case 1007: reason = "invalid_payload"
        case 1008: reason = "policy"
        case 1009: reason = "message_too_big"
        case 1006: reason = "dropped"
        default: reason = "other"
        }
        disconnectCells[GatewayStatistics.disconnectReasons.firstIndex(of: reason)!].cell.add(1)
    }

    /// Disconnects by reason (see docs/gateway.md; `slow_buffer_max` and `slow_timeout` included).
    public func disconnects(_ reason: String) -> Int {
        if reason == "slow_buffer_max" { return slowHardLimit.load(ordering: .relaxed) }
        if reason == "slow_timeout" { return slowTimeout.load(ordering: .relaxed) }
        return GatewayStatistics.disconnectReasons.firstIndex(of: reason).map { disconnectCells[$0].cell.load(ordering: .relaxed) } ?? 0
    }

    /// The gateway's samples for `/metrics`.
    public func samples() -> [MetricSample] {
        func v(_ a: borrowing Atomic<Int>) -> Double { Double(a.load(ordering: .relaxed)) }
        var out: [MetricSample] = [
            MetricSample("quotecast_gateway_clients", .gauge, help: "WebSocket stream clients connected now", value: v(clients)),
            MetricSample("quotecast_gateway_connections_total", .counter, help: "WebSocket stream clients accepted", value: v(connections)),
            MetricSample("quotecast_gateway_refused_clients_total", .counter, help: "Stream upgrades refused over --max-clients", value: v(refusedClients)),
            MetricSample("quotecast_gateway_subscriptions", .gauge, help: "Symbol subscriptions held now, over all clients", value: v(subscriptions)),
            MetricSample("quotecast_gateway_messages_in_total", .counter, help: "Messages received from stream clients", value: v(messagesIn)),
            MetricSample("quotecast_gateway_ticks_total", .counter, help: "Ticks the gateway read from the ring", value: v(ticks)),
            MetricSample("quotecast_gateway_frames_encoded_total", .counter, help: "Shared frames encoded (once per tick and depth)", value: v(framesEncoded)),
            MetricSample("quotecast_gateway_conflated_quotes_total", .counter, help: "Quotes not sent one by one to a conflating client (superseded)", value: v(conflatedQuotes)),
            MetricSample("quotecast_gateway_conflated_sent_total", .counter, help: "Conflated quotes sent to clients that drained", value: v(conflatedSent)),
            MetricSample("quotecast_gateway_conflations_total", .counter, help: "Times a client went over --client-buffer and started conflating", value: v(conflationEpisodes)),
            MetricSample("quotecast_gateway_clients_conflating", .gauge, help: "Clients conflating now", value: v(clientsConflating)),
            MetricSample("quotecast_gateway_gaps_total", .counter, help: "gap messages sent (each followed by a fresh snapshot)", value: v(gaps)),
            MetricSample("quotecast_gateway_resumes_total", .counter, help: "Symbols resumed with since: missed updates replayed (recovered)", value: v(resumes)),
            MetricSample("quotecast_gateway_resume_misses_total", .counter, help: "Symbols asked with since that got a snapshot instead (--resume-history did not hold the missed updates)", value: v(resumeMisses)),
            MetricSample("quotecast_gateway_replayed_updates_total", .counter, help: "Updates replayed to resuming clients", value: v(replayedUpdates)),
            MetricSample("quotecast_gateway_ring_laps_total", .counter, help: "Times the gateway's ring reader was lapped", value: v(laps)),
            MetricSample("quotecast_gateway_ring_lost_ticks_total", .counter, help: "Ticks the gateway lost to ring laps", value: v(lostTicks)),
        ]
        for (i, name) in MessageKind.names.enumerated() {
            out.append(MetricSample("quotecast_gateway_messages_out_total", .counter, help: "Messages queued to stream clients, by type",
                                    labels: [("type", name)], value: v(outByKind[i].cell)))
        }
        let help = "Stream clients disconnected, by reason"
        out.append(MetricSample("quotecast_gateway_disconnects_total", .counter, help: help, labels: [("reason", "slow_buffer_max")], value: v(slowHardLimit)))
        out.append(MetricSample("quotecast_gateway_disconnects_total", .counter, help: help, labels: [("reason", "slow_timeout")], value: v(slowTimeout)))
        for (i, name) in GatewayStatistics.disconnectReasons.enumerated() {
            out.append(MetricSample("quotecast_gateway_disconnects_total", .counter, help: help, labels: [("reason", name)], value: v(disconnectCells[i].cell)))
        }
        for (i, code) in GatewayStatistics.errorCodes.enumerated() {
            out.append(MetricSample("quotecast_gateway_errors_total", .counter, help: "error messages sent to clients, by code",
                                    labels: [("code", code)], value: v(errorCells[i].cell)))
        }
        return out
    }
}

extension Atomic where Value == Int {
    /// Adds `n` (relaxed: a statistic).
    @inline(__always)
    func add(_ n: Int) { wrappingAdd(n, ordering: .relaxed) }
}

/// One relaxed counter in its own object, so counters can be kept in arrays (`Atomic` cannot).
final class Counter: Sendable {
    let cell = Atomic<Int>(0)
}

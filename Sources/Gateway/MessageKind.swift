import Market

/// What kind of message went out, for the per-type counters.
enum MessageKind: Int {
    case quote = 0, trade, status, tradeBreak, snapshot, gap, control, instrument
    static let names = ["quote", "trade", "status", "trade_break", "snapshot", "gap", "control", "instrument"]
}

extension MessageKind {
    /// The kind a tick of `kind` goes out as.
    @inline(__always)
    init(_ kind: TickKind) {
        self = switch kind {
        case .quote: .quote
        case .trade: .trade
        case .status: .status
        case .tradeBreak: .tradeBreak
        case .instrument: .instrument
        }
    }
}

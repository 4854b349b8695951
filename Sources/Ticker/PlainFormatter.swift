/// `--plain`: one line per update, no escape codes, fields `key=value` after the exchange time,
/// the symbol and the message type, so `grep`/`awk` can take them apart:
///
///     09:30:00.123 AAPL quote bid=300x189.2500 ask=189.2600x100
///     09:30:00.125 AAPL trade price=189.2600 size=100 side=B volume=123500 change=+0.0100
///
/// Prices keep the wire's 4 decimals. Connection events go to standard error instead (see
/// `TickerSession`), so standard output carries only market data.
public enum PlainFormatter {
    /// The line for `message` after it was applied to `state`, or nil for messages that carry no
    /// update (`subscribed`, `pong`, …).
    public static func line(_ message: TickerMessage, state: TickerState, allLevels: Bool = false) -> String? {
        switch message {
        case .snapshot(let s, let status, let bids, let asks, let last, let volume, _):
            var line = "\(TickerFormat.clock(s.ts, millis: true)) \(s.symbol) snapshot seq=\(s.seq) status=\(status)"
            line += " " + book(bids: bids, asks: asks, all: allLevels)
            line += " last=" + (last.map { "\(TickerFormat.price($0.price))x\($0.size)" } ?? "-")
            line += " volume=\(volume)"
            if let row = state.row(s.symbol), row.referenceIsOfficial { line += changeAndRange(row) }
            return line
        case .quote(let s, let bids, let asks, let conflated):
            return "\(TickerFormat.clock(s.ts, millis: true)) \(s.symbol) quote seq=\(s.seq) "
                + book(bids: bids, asks: asks, all: allLevels) + (conflated ? " conflated=true" : "")
        case .trade(let s, let price, let size, let side):
            var line = "\(TickerFormat.clock(s.ts, millis: true)) \(s.symbol) trade seq=\(s.seq) price=\(TickerFormat.price(price)) size=\(size) side=\(side ?? "-")"
            if let row = state.row(s.symbol) {
                line += " volume=\(row.volume)" + change(row)
            }
            return line
        case .status(let s, let status):
            return "\(TickerFormat.clock(s.ts, millis: true)) \(s.symbol) status seq=\(s.seq) status=\(status)"
        case .gap(let symbol, let from, let to):
            return "- \(symbol) gap from=\(from) to=\(to)"
        case .error(let code, let message, let symbols):
            if code == "unknown_symbol", !symbols.isEmpty {
                return symbols.map { "- \($0) unknown_symbol" }.joined(separator: "\n")
            }
            return "- - error code=\(code) symbols=\(symbols.isEmpty ? "-" : symbols.joined(separator: ",")) message=\"\(message)\""
        case .subscribed, .unsubscribed, .pong, .other:
            return nil
        }
    }

    /// ` change=… change_pct=…` when the row has a change (nothing otherwise).
    static func change(_ row: SymbolRow) -> String {
        guard let c = row.change, let p = row.changePercent else { return "" }
        return " change=\(TickerFormat.change(c, decimals: 4)) change_pct=\(TickerFormat.percent(p).dropLast())"
    }

    /// The change and ` range=LOW-HIGH` (the day's, when known): on a snapshot line when the gateway
    /// sent a reference price.
    static func changeAndRange(_ row: SymbolRow) -> String {
        var text = change(row)
        if let low = row.low, let high = row.high {
            text += " range=\(TickerFormat.price(low))-\(TickerFormat.price(high))"
        }
        return text
    }

    static func book(bids: [BookLevel], asks: [BookLevel], all: Bool) -> String {
        func side(_ levels: [BookLevel], sizeFirst: Bool) -> String {
            guard !levels.isEmpty else { return "-" }
            let shown = all ? levels : Array(levels.prefix(1))
            return shown.map { sizeFirst ? "\($0.size)x\(TickerFormat.price($0.price))" : "\(TickerFormat.price($0.price))x\($0.size)" }
                .joined(separator: ",")
        }
        return "bid=\(side(bids, sizeFirst: true)) ask=\(side(asks, sizeFirst: false))"
    }
}

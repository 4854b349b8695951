/// The pure renderer: `render(state, size)` is the whole screen for that state and window size, so
/// what the user sees is tested as text (snapshot tests) without a terminal.
///
/// Layout: row 0 is the header (gateway, connection state, msgs/s, latency, clock); the last row is
/// the footer (connection trouble, the gateway's notices, or the keys); the table or the ladder
/// fills the rows between. Narrow windows drop columns by a fixed order, short ones drop rows, and
/// windows too small for anything say so.
public enum TickerRenderer {
    /// Smallest window drawn; anything smaller shows only "window too small".
    public static let minimumSize = TerminalSize(width: 20, height: 3)

    /// The screen for `state` in a window of `size`.
    public static func render(_ state: TickerState, size: TerminalSize) -> ScreenGrid {
        var grid = ScreenGrid(size: size)
        guard size.width >= minimumSize.width, size.height >= minimumSize.height else {
            grid.put(size.width >= 16 ? "window too small" : "too small", column: 0, row: 0)
            return grid
        }
        header(state, &grid)
        let bodyTop = 1
        var bodyBottom = size.height  // exclusive
        if size.height >= 4 || state.connection != .connected {
            footer(state, &grid)
            bodyBottom -= 1
        }
        switch state.view {
        case .table: TableView.draw(state, &grid, top: bodyTop, bottom: bodyBottom)
        case .ladder(let symbol): LadderView.draw(state, symbol: symbol, &grid, top: bodyTop, bottom: bodyBottom)
        }
        if case .waiting(let attempt, let retryAt, let reason) = state.connection,
           !state.rows.contains(where: { $0.availability == .live }) {
            downNotice(state, attempt: attempt, retryAt: retryAt, reason: reason, &grid, top: bodyTop, bottom: bodyBottom)
        }
        return grid
    }

    // MARK: header and footer

    static func connectionLabel(_ state: TickerState) -> (String, CellStyle) {
        switch state.connection {
        case .connected: return ((state.unicode ? "● " : "* ") + "live", CellStyle(foreground: .green, bold: true))
        case .connecting: return ("connecting", CellStyle(foreground: .yellow, bold: true))
        case .waiting(_, let retryAt, _):
            let seconds = retryAt > state.now ? (retryAt - state.now + 999_999_999) / 1_000_000_000 : 0
            return ("down, retry in \(seconds)s", CellStyle(foreground: .red, bold: true))
        }
    }

    /// The gateway as `host:port` (the URL without scheme and the usual path).
    static func gatewayLabel(_ url: String) -> String {
        var s = Substring(url)
        if s.hasPrefix("ws://") { s = s.dropFirst(5) }
        if let slash = s.firstIndex(of: "/"), s[slash...] == "/v1/stream" { s = s[..<slash] }
        return String(s)
    }

    static func header(_ state: TickerState, _ grid: inout ScreenGrid) {
        let bar = CellStyle(reverse: true)
        grid.paint(row: 0) { $0 = bar }
        let width = grid.size.width
        let clock = TickerFormat.clock(state.wallNow) + " UTC"
        let (label, labelStyle) = connectionLabel(state)
        var parts: [(String, CellStyle)] = [
            ("quotecast ticker", CellStyle(bold: true, reverse: true)),
            (gatewayLabel(state.url), bar),
            (label, labelStyle),
        ]
        if state.connection == .connected {
            parts.append((TickerFormat.grouped(UInt64(state.messagesPerSecond)) + " msg/s", bar))
            parts.append(("lat " + (state.latency.map(TickerFormat.latency) ?? "-"), bar))
        }
        // Drop from the right until the parts (and the clock, when there is room) fit.
        func length(_ p: [(String, CellStyle)]) -> Int { p.reduce(0) { $0 + $1.0.unicodeScalars.count + 2 } + 1 }
        while parts.count > 1, length(parts) > width {
            // Order of sacrifice: latency, rate, gateway, title; the connection state stays.
            parts.remove(at: parts.count > 3 ? parts.count - 1 : parts.count == 3 ? 1 : 0)
        }
        var column = 1
        for (text, style) in parts {
            column = grid.put(text, column: column, row: 0, style: style) + 2
        }
        if column - 1 + clock.count + 1 <= width {
            grid.put(clock, column: width - clock.count - 1, row: 0, style: bar)
        }
    }

    /// Nothing to show and the gateway is down: say so in the middle of the screen, plainly.
    static func downNotice(_ state: TickerState, attempt: Int, retryAt: UInt64, reason: String,
                           _ grid: inout ScreenGrid, top: Int, bottom: Int) {
        let seconds = retryAt > state.now ? (retryAt - state.now + 999_999_999) / 1_000_000_000 : 0
        let lines = [
            ("Cannot reach the gateway at \(state.url)", CellStyle(foreground: .red, bold: true)),
            (reason, CellStyle.plain),
            ("Retrying in \(seconds)s (attempt \(attempt)). Is `quotecast serve` running there?", CellStyle(dim: true)),
        ]
        let height = bottom - top
        guard height >= 1 else { return }
        let first = top + max(0, (height - lines.count) / 2)
        for (i, (text, style)) in lines.enumerated() where first + i < bottom {
            for c in 0..<grid.size.width { grid[c, first + i] = .blank }
            let n = text.unicodeScalars.count
            grid.put(text, column: max(1, (grid.size.width - n) / 2), row: first + i, style: style)
        }
    }

    static func footer(_ state: TickerState, _ grid: inout ScreenGrid) {
        let row = grid.size.height - 1
        let text: String
        var style = CellStyle(dim: true)
        switch state.connection {
        case .waiting(let attempt, let retryAt, let reason):
            let seconds = retryAt > state.now ? (retryAt - state.now + 999_999_999) / 1_000_000_000 : 0
            text = "gateway unreachable: \(reason); retrying in \(seconds)s (attempt \(attempt))"
            style = CellStyle(foreground: .red, bold: true)
        case .connecting(let attempt):
            text = "connecting to \(state.url)" + (attempt > 1 ? " (attempt \(attempt))" : "") + "..."
            style = CellStyle(foreground: .yellow)
        case .connected:
            if let notice = state.notice {
                text = notice
                style = CellStyle(foreground: .yellow)
            } else {
                var keys = "q quit"
                if state.view == .table, state.rows.count > grid.size.height - 3 { keys += "  up/down scroll" }
                if state.depthSymbol != nil, state.rows.count > 1 {
                    keys += state.view == .table ? "  tab ladder" : "  tab table"
                }
                text = keys
            }
        }
        grid.put(text, column: 0, row: row, style: style)
    }
}

/// The table view: one row per symbol with last, change, change %, bid size x bid, ask x ask size,
/// volume and status; a row flashes green on an uptick and red on a downtick.
enum TableView {
    /// A column: its title, whether it is right-aligned, and the text of each row.
    struct Column: Sendable {
        let title: String
        let right: Bool
        let minWidth: Int
        let cell: @Sendable (SymbolRow, TickerState) -> (String, CellStyle)
    }

    static let symbol = Column(title: "SYMBOL", right: false, minWidth: 6) { row, _ in (row.symbol, CellStyle(bold: true)) }
    static let last = Column(title: "LAST", right: true, minWidth: 8) { row, state in
        guard let last = row.last else { return ("-", .plain) }
        let arrow: String
        switch row.direction {
        case .up: arrow = state.unicode ? "▲" : "+"
        case .down: arrow = state.unicode ? "▼" : "-"
        case .none: arrow = " "
        }
        let color: TerminalColor = row.direction == .up ? .green : row.direction == .down ? .red : .default
        return (TickerFormat.price(last, decimals: row.decimals) + arrow, CellStyle(foreground: color, bold: true))
    }
    static let change = Column(title: "CHG", right: true, minWidth: 7) { row, _ in
        guard let c = row.change else { return ("-", .plain) }
        return (TickerFormat.change(c, decimals: row.decimals), CellStyle(foreground: c > 0 ? .green : c < 0 ? .red : .default))
    }
    static let changePercent = Column(title: "CHG%", right: true, minWidth: 7) { row, _ in
        guard let p = row.changePercent, let c = row.change else { return ("-", .plain) }
        return (TickerFormat.percent(p), CellStyle(foreground: c > 0 ? .green : c < 0 ? .red : .default))
    }
    static let bid = Column(title: "BID SIZE x BID", right: true, minWidth: 14) { row, _ in
        guard let b = row.bids.first else { return ("-", .plain) }
        return ("\(TickerFormat.count(UInt64(max(0, b.size)), width: 6)) x \(TickerFormat.price(b.price, decimals: row.decimals))", .plain)
    }
    static let ask = Column(title: "ASK x ASK SIZE", right: false, minWidth: 14) { row, _ in
        guard let a = row.asks.first else { return ("-", .plain) }
        return ("\(TickerFormat.price(a.price, decimals: row.decimals)) x \(TickerFormat.count(UInt64(max(0, a.size)), width: 6))", .plain)
    }
    static let bidPrice = Column(title: "BID", right: true, minWidth: 6) { row, _ in
        guard let b = row.bids.first else { return ("-", .plain) }
        return (TickerFormat.price(b.price, decimals: row.decimals), .plain)
    }
    static let askPrice = Column(title: "ASK", right: true, minWidth: 6) { row, _ in
        guard let a = row.asks.first else { return ("-", .plain) }
        return (TickerFormat.price(a.price, decimals: row.decimals), .plain)
    }
    /// The day's range, `LOW-HIGH`.
    static let range = Column(title: "RANGE", right: true, minWidth: 11) { row, _ in
        guard let low = row.low, let high = row.high else { return ("-", .plain) }
        return (TickerFormat.price(low, decimals: row.decimals) + "-" + TickerFormat.price(high, decimals: row.decimals), .plain)
    }
    static let volume = Column(title: "VOLUME", right: true, minWidth: 9) { row, _ in
        (TickerFormat.count(row.volume, width: 9), .plain)
    }
    static let status = Column(title: "STATUS", right: false, minWidth: 7) { row, _ in statusCell(row) }

    /// Layouts from the richest to the barest: the first that fits the width is used.
    static let layouts: [[Column]] = [
        [symbol, last, change, changePercent, bid, ask, range, volume, status],
        [symbol, last, change, changePercent, bid, ask, volume, status],
        [symbol, last, changePercent, bid, ask, volume, status],
        [symbol, last, changePercent, bid, ask, status],
        [symbol, last, changePercent, bidPrice, askPrice, status],
        [symbol, last, changePercent, status],
        [symbol, last, status],
        [symbol, last],
    ]

    /// The status cell: halted and paused stand out.
    static func statusCell(_ row: SymbolRow) -> (String, CellStyle) {
        switch row.availability {
        case .pending: return ("waiting", CellStyle(dim: true))
        case .refused: return ("UNKNOWN", CellStyle(foreground: .red, bold: true))
        case .live: break
        }
        switch row.status {
        case "trading": return ("trading", .plain)
        case "halted": return ("HALTED", CellStyle(foreground: .yellow, bold: true, reverse: true))
        case "paused": return ("PAUSED", CellStyle(foreground: .yellow, bold: true, reverse: true))
        case "quotation": return ("quoting", CellStyle(foreground: .cyan))
        case "stale": return ("stale", CellStyle(foreground: .magenta))
        case "": return ("-", .plain)
        default: return (String(row.status.prefix(7)), .plain)
        }
    }

    static func draw(_ state: TickerState, _ grid: inout ScreenGrid, top: Int, bottom: Int) {
        guard bottom > top else { return }
        let width = grid.size.width
        // Column widths fit the widest cell, so they only move when a longer value appears.
        var chosen = layouts.last!
        var widths: [Int] = []
        for layout in layouts {
            let w = layout.map { column in
                state.rows.reduce(max(column.minWidth, column.title.count)) { m, row in
                    max(m, row.availability == .live || column.title == "SYMBOL" ? column.cell(row, state).0.unicodeScalars.count : 0)
                }
            }
            chosen = layout
            widths = w
            if w.reduce(0, +) + w.count - 1 <= width - 1 { break }
        }
        // Title row.
        var x = 1
        for (column, w) in zip(chosen, widths) {
            let title = TickerFormat.pad(column.title, w, right: column.right)
            grid.put(title, column: x, row: top, style: CellStyle(bold: true, dim: false))
            x += w + 1
        }
        grid.paint(row: top) { $0.foreground = .cyan }
        let firstRow = top + 1
        let capacity = bottom - firstRow
        guard capacity > 0 else { return }
        let count = state.rows.count
        let scroll = max(0, min(state.scroll, count - capacity))
        let hidden = count - scroll - capacity
        for slot in 0..<min(capacity, count - scroll) {
            let y = firstRow + slot
            if slot == capacity - 1, hidden > 0, capacity >= 3 {
                grid.put("... \(hidden + 1) more (up/down to scroll)", column: 1, row: y, style: CellStyle(dim: true))
                break
            }
            let row = state.rows[scroll + slot]
            drawRow(row, state, chosen, widths, &grid, y: y)
        }
    }

    static func drawRow(_ row: SymbolRow, _ state: TickerState, _ columns: [Column], _ widths: [Int],
                        _ grid: inout ScreenGrid, y: Int) {
        switch row.availability {
        case .refused(let code):
            grid.put(row.symbol, column: 1, row: y, style: CellStyle(bold: true))
            let why = code == "unknown_symbol" ? "unknown symbol (the gateway does not list it)" : "refused by the gateway: \(code)"
            grid.put(why, column: 2 + max(widths[0], row.symbol.count), row: y, style: CellStyle(foreground: .red))
            return
        case .pending:
            grid.put(row.symbol, column: 1, row: y, style: CellStyle(bold: true))
            grid.put(state.connection == .connected ? "waiting for snapshot..." : "-",
                     column: 2 + max(widths[0], row.symbol.count), row: y, style: CellStyle(dim: true))
            return
        case .live: break
        }
        var x = 1
        for (column, w) in zip(columns, widths) {
            let (text, style) = column.cell(row, state)
            grid.put(TickerFormat.pad(text, w, right: column.right), column: x, row: y, style: style, limit: w)
            x += w + 1
        }
        if row.flashUntil > state.now, row.direction != .none {
            let end = min(x - 1, grid.size.width)
            grid.paint(row: y, column: 0, count: end + 1) { style in
                if state.color {
                    style.background = row.direction == .up ? .green : .red
                    style.foreground = .black
                    style.reverse = false
                } else {
                    style.reverse = true
                }
            }
        } else if row.isHalted {
            grid.paint(row: y, column: 1, count: x - 1) { style in if !style.reverse { style.dim = true } }
        }
    }
}

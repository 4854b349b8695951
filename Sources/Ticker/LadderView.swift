/// The `--depth` view: one symbol's ladder, asks above (best at the bottom), bids below (best at
/// the top), size bars scaled to the window, and the latest trades beside it when there is room.
enum LadderView {
    /// Levels a side when the window is tall enough.
    static let levels = 10
    /// Width of the trade tape: `HH:MM:SS.mmm  PRICE  SIZE S`.
    static let tapeWidth = 31

    static func draw(_ state: TickerState, symbol: String, _ grid: inout ScreenGrid, top: Int, bottom: Int) {
        guard bottom > top, let row = state.row(symbol) else { return }
        let width = grid.size.width
        // Title line: symbol, status, last, change, volume, the day's range.
        var x = grid.put(symbol, column: 1, row: top, style: CellStyle(bold: true))
        switch row.availability {
        case .refused(let code):
            grid.put(code == "unknown_symbol" ? "unknown symbol (the gateway does not list it)" : "refused by the gateway: \(code)",
                     column: x + 2, row: top, style: CellStyle(foreground: .red))
            return
        case .pending:
            grid.put(state.connection == .connected ? "waiting for snapshot..." : "-", column: x + 2, row: top, style: CellStyle(dim: true))
            return
        case .live: break
        }
        // The rest of the title line: each part is shown whole or not at all.
        let (statusText, statusStyle) = TableView.statusCell(row)
        var parts: [[(String, CellStyle)]] = [[(statusText, statusStyle)]]
        if row.last != nil {
            let (lastText, lastStyle) = TableView.last.cell(row, state)
            parts.append([("last", CellStyle(dim: true)), (lastText, lastStyle)])
            if let c = row.change, let p = row.changePercent {
                let style = CellStyle(foreground: c > 0 ? .green : c < 0 ? .red : .default)
                parts.append([(TickerFormat.change(c, decimals: row.decimals) + " " + TickerFormat.percent(p), style)])
            }
        }
        parts.append([("vol", CellStyle(dim: true)), (TickerFormat.grouped(row.volume), .plain)])
        if row.low != nil {
            parts.append([("range", CellStyle(dim: true)), (TableView.range.cell(row, state).0, .plain)])
        }
        for part in parts {
            let length = part.reduce(0) { $0 + $1.0.unicodeScalars.count + 1 } + 1
            guard x + length <= width else { break }
            x += 1
            for (text, style) in part { x = grid.put(text, column: x + 1, row: top, style: style) }
        }
        if row.flashUntil > state.now, row.direction != .none {
            grid.paint(row: top, column: 0, count: width) { style in
                if state.color { style.background = row.direction == .up ? .green : .red; style.foreground = .black }
                else { style.reverse = true }
            }
        }

        // The ladder: levels a side fill what is left after the title and the spread line.
        let perSide = min(levels, (bottom - top - 2) / 2)
        guard perSide > 0 else { return }
        let tape = width >= 66
        let ladderWidth = tape ? width - tapeWidth - 2 : width
        let spreadRow = top + 1 + perSide
        let sizeWidth = 7, priceWidth = max(8, row.decimals == 4 ? 10 : 8)
        let labelWidth = 3
        let barStart = 1 + labelWidth + 1 + sizeWidth + 1 + priceWidth + 1
        let barWidth = max(0, ladderWidth - barStart - 1)
        let shown = row.asks.prefix(perSide) + row.bids.prefix(perSide)
        let maxSize = max(1, shown.map(\.size).max() ?? 1)

        func level(_ l: BookLevel?, label: String, y: Int, color: TerminalColor) {
            grid.put(TickerFormat.pad(label, labelWidth), column: 1, row: y, style: CellStyle(dim: true))
            guard let l else {
                grid.put(TickerFormat.pad("-", sizeWidth + 1 + priceWidth, right: true), column: 1 + labelWidth + 1, row: y, style: CellStyle(dim: true))
                return
            }
            grid.put(TickerFormat.pad(TickerFormat.count(UInt64(max(0, l.size)), width: sizeWidth), sizeWidth, right: true),
                     column: 1 + labelWidth + 1, row: y)
            grid.put(TickerFormat.pad(TickerFormat.price(l.price, decimals: row.decimals), priceWidth, right: true),
                     column: 1 + labelWidth + 1 + sizeWidth + 1, row: y, style: CellStyle(foreground: color, bold: true))
            if barWidth > 0 {
                grid.put(bar(Int64(barWidth) * 8 * max(0, l.size) / maxSize, unicode: state.unicode), column: barStart, row: y,
                         style: CellStyle(foreground: color), limit: barWidth)
            }
        }
        // Asks: the best ask sits just above the spread line, the 10th at the top.
        for i in 0..<perSide {
            let y = spreadRow - 1 - i
            level(i < row.asks.count ? row.asks[i] : nil, label: "A\(i + 1)", y: y, color: .red)
        }
        for i in 0..<perSide {
            let y = spreadRow + 1 + i
            level(i < row.bids.count ? row.bids[i] : nil, label: "B\(i + 1)", y: y, color: .green)
        }
        var spread = "spread -"
        if let a = row.asks.first, let b = row.bids.first {
            spread = "spread " + TickerFormat.price(a.price - b.price, decimals: row.decimals)
        }
        let rule: Unicode.Scalar = state.unicode ? "─" : "-"
        grid.put(String(repeating: Character(rule), count: max(0, ladderWidth - 2)), column: 1, row: spreadRow, style: CellStyle(dim: true))
        grid.put(" " + spread + " ", column: 1 + labelWidth + 1 + sizeWidth + 1 + priceWidth - spread.count - 1, row: spreadRow)

        guard tape else { return }
        let tx = width - tapeWidth - 1
        grid.put("TIME            PRICE    SIZE S", column: tx, row: top + 1, style: CellStyle(foreground: .cyan, bold: true))
        let rows = bottom - (top + 2)
        for (i, t) in row.tape.prefix(max(0, rows)).enumerated() {
            let color: TerminalColor = t.direction == .up ? .green : t.direction == .down ? .red : .default
            let line = TickerFormat.clock(t.ts, millis: true) + " "
                + TickerFormat.pad(TickerFormat.price(t.price, decimals: row.decimals), 9, right: true) + " "
                + TickerFormat.pad(TickerFormat.count(UInt64(max(0, t.size)), width: 7), 7, right: true) + " "
                + (t.side ?? "-")
            grid.put(line, column: tx, row: top + 2 + i, style: CellStyle(foreground: color))
        }
    }

    /// A bar `eighths`/8 cells long: full blocks and one partial block (ASCII: `#` per cell).
    static func bar(_ eighths: Int64, unicode: Bool) -> String {
        let full = Int(eighths / 8)
        let rest = Int(eighths % 8)
        guard unicode else { return String(repeating: "#", count: full + (rest >= 4 ? 1 : 0)) }
        let partials: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var s = String(repeating: "█", count: full)
        if rest > 0 { s.append(partials[rest - 1]) }
        if s.isEmpty, eighths > 0 { s = "▏" }
        return s
    }
}

/// Turns successive `ScreenGrid`s into terminal output, redrawing only the cells that changed.
///
/// The first frame, and any frame of a new size, clears and draws everything; later frames move the
/// cursor to each run of changed cells and write only those, with the fewest SGR (style) changes.
/// Assumes autowrap is off (`Terminal` turns it off), so writing the last column never scrolls.
public struct ScreenPainter: Sendable {
    /// Whether colour codes may be written (off for `--no-color`/`NO_COLOR`: bold, dim and reverse stay).
    public var color: Bool
    private var previous: ScreenGrid?

    /// A painter with nothing on screen yet.
    public init(color: Bool = true) { self.color = color }

    /// Forgets what is on screen, so the next frame is drawn in full (after a resize or a resume).
    public mutating func invalidate() { previous = nil }

    /// The bytes that turn the screen from the previous frame into `next`; empty when nothing changed.
    public mutating func frame(_ next: ScreenGrid) -> [UInt8] {
        var out: [UInt8] = []
        var current: CellStyle? = nil  // the terminal's style, unknown until set
        let full = previous?.size != next.size
        if full {
            out += Array("\u{1B}[0m\u{1B}[2J".utf8)
            current = .plain
        }
        let width = next.size.width
        for row in 0..<next.size.height {
            var column = 0
            var cursorAt = -1  // column the cursor sits at on this row, if known
            while column < width {
                let cell = next[column, row]
                if !full, let previous, previous[column, row] == cell {
                    column += 1
                    continue
                }
                if full, cell == .blank, current == .plain {
                    column += 1  // a cleared screen is already blank
                    continue
                }
                if cursorAt != column {
                    out += Array("\u{1B}[\(row + 1);\(column + 1)H".utf8)
                }
                if current != cell.style {
                    out += sgr(cell.style)
                    current = cell.style
                }
                var scalarBytes = [UInt8]()
                scalarBytes.reserveCapacity(4)
                for b in String(Character(cell.scalar)).utf8 { scalarBytes.append(b) }
                out += scalarBytes
                column += 1
                cursorAt = column
            }
        }
        if current != nil, current != .plain { out += Array("\u{1B}[0m".utf8) }
        previous = next
        return out
    }

    /// The SGR sequence that sets exactly `style` (starting from a reset).
    func sgr(_ style: CellStyle) -> [UInt8] {
        var codes = ["0"]
        if style.bold { codes.append("1") }
        if style.dim { codes.append("2") }
        if style.reverse { codes.append("7") }
        if color {
            if style.foreground != .default { codes.append("3\(style.foreground.rawValue)") }
            if style.background != .default { codes.append("4\(style.background.rawValue)") }
        }
        return Array("\u{1B}[\(codes.joined(separator: ";"))m".utf8)
    }
}

/// A terminal colour the ticker uses (the 8 ANSI colours: every terminal has them).
/// Raw values are the ANSI colour numbers (SGR 30+n foreground, 40+n background).
public enum TerminalColor: UInt8, Equatable, Sendable {
    /// The terminal's own colour (no SGR code).
    case `default` = 255
    /// ANSI 0.
    case black = 0
    /// ANSI 1: downticks, asks, trouble.
    case red = 1
    /// ANSI 2: upticks, bids, live.
    case green = 2
    /// ANSI 3: halts, connecting.
    case yellow = 3
    /// ANSI 4.
    case blue = 4
    /// ANSI 5: stale.
    case magenta = 5
    /// ANSI 6: column titles.
    case cyan = 6
    /// ANSI 7.
    case white = 7
}

/// How a cell is drawn.
public struct CellStyle: Equatable, Sendable {
    /// Text colour.
    public var foreground: TerminalColor = .default
    /// Background colour.
    public var background: TerminalColor = .default
    /// Bold text.
    public var bold = false
    /// Dim (faint) text.
    public var dim = false
    /// Reverse video (the flash when colours are off).
    public var reverse = false

    /// The terminal's default style.
    public static let plain = CellStyle()

    /// A style with the given attributes.
    public init(foreground: TerminalColor = .default, background: TerminalColor = .default,
                bold: Bool = false, dim: Bool = false, reverse: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
    }
}

/// One character cell: a single-width Unicode scalar and its style.
public struct Cell: Equatable, Sendable {
    /// The character (always one column wide).
    public var scalar: Unicode.Scalar
    /// Its style.
    public var style: CellStyle

    /// A blank cell.
    public static let blank = Cell(scalar: " ", style: .plain)
}

/// The size of the terminal window in cells.
public struct TerminalSize: Equatable, Sendable {
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int

    /// A size of `width` columns by `height` rows.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// A screen's worth of cells, row-major. Writes outside the grid are clipped, never trapped.
///
/// Invariant: `cells.count == size.width * size.height`.
public struct ScreenGrid: Equatable, Sendable {
    /// Its size.
    public let size: TerminalSize
    /// The cells, row by row.
    public private(set) var cells: [Cell]

    /// A blank grid of `size` (negative sizes count as 0).
    public init(size: TerminalSize) {
        let s = TerminalSize(width: max(0, size.width), height: max(0, size.height))
        self.size = s
        cells = Array(repeating: .blank, count: s.width * s.height)
    }

    /// The cell at `column`, `row` (0-based).
    public subscript(column: Int, row: Int) -> Cell {
        get { cells[row * size.width + column] }
        set { cells[row * size.width + column] = newValue }
    }

    /// Writes `text` from `column` on `row`, clipped to the grid and to `limit` columns; returns
    /// the column after the last character written.
    @discardableResult
    public mutating func put(_ text: String, column: Int, row: Int, style: CellStyle = .plain, limit: Int = .max) -> Int {
        guard row >= 0, row < size.height else { return column }
        var c = column
        let end = limit == .max ? size.width : min(size.width, column + limit)
        for scalar in text.unicodeScalars {
            if c >= end { break }
            if c >= 0 { self[c, row] = Cell(scalar: scalar, style: style) }
            c += 1
        }
        return c
    }

    /// Writes `text` right-aligned so its last character is at `endColumn - 1`.
    public mutating func putRight(_ text: String, endColumn: Int, row: Int, style: CellStyle = .plain) {
        put(text, column: endColumn - text.unicodeScalars.count, row: row, style: style)
    }

    /// Restyles `count` cells of `row` from `column` (their characters stay).
    public mutating func paint(row: Int, column: Int = 0, count: Int = .max, _ change: (inout CellStyle) -> Void) {
        guard row >= 0, row < size.height else { return }
        let end = count == .max ? size.width : min(size.width, column + count)
        var c = max(0, column)
        while c < end {
            change(&cells[row * size.width + c].style)
            c += 1
        }
    }

    /// The screen as text, one line per row, trailing blanks removed (what snapshot tests compare,
    /// and what `tmux capture-pane -p` shows).
    public var text: String {
        var lines: [String] = []
        lines.reserveCapacity(size.height)
        for r in 0..<size.height {
            var line = String.UnicodeScalarView()
            for c in 0..<size.width { line.append(self[c, r].scalar) }
            var s = String(line)
            while s.last == " " { s.removeLast() }
            lines.append(s)
        }
        return lines.joined(separator: "\n")
    }
}

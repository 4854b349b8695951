import Testing
@testable import Ticker

/// A tiny terminal emulator for the sequences the painter writes (CUP, ED 2, SGR, printable text):
/// applying the painter's output to it must give exactly the grid that was painted.
struct VirtualTerminal {
    var grid: ScreenGrid
    var row = 0, column = 0
    var style = CellStyle.plain
    var color: Bool

    init(size: TerminalSize, color: Bool = true) {
        grid = ScreenGrid(size: size)
        self.color = color
    }

    mutating func feed(_ bytes: [UInt8]) {
        let scalars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
        var i = 0
        while i < scalars.count {
            if scalars[i] == "\u{1B}", i + 1 < scalars.count, scalars[i + 1] == "[" {
                var j = i + 2
                var params = ""
                while j < scalars.count, !(scalars[j].value >= 0x40 && scalars[j].value <= 0x7E) {
                    params.unicodeScalars.append(scalars[j]); j += 1
                }
                let final = scalars[j]
                let numbers = params.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
                switch final {
                case "H": row = max(1, numbers.first ?? 1) - 1; column = max(1, numbers.count > 1 ? numbers[1] : 1) - 1
                case "J": grid = ScreenGrid(size: grid.size)
                case "m":
                    for n in numbers {
                        switch n {
                        case 0: style = .plain
                        case 1: style.bold = true
                        case 2: style.dim = true
                        case 7: style.reverse = true
                        case 30...37: style.foreground = TerminalColor(rawValue: UInt8(n - 30))!
                        case 40...47: style.background = TerminalColor(rawValue: UInt8(n - 40))!
                        default: Issue.record("unexpected SGR \(n)")
                        }
                    }
                default: Issue.record("unexpected sequence \(params)\(final)")
                }
                i = j + 1
                continue
            }
            #expect(scalars[i].value >= 0x20, "control character \(scalars[i].value) written")
            if column < grid.size.width, row < grid.size.height {
                grid[column, row] = Cell(scalar: scalars[i], style: style)
            }
            column += 1
            i += 1
        }
    }
}

@Suite struct ScreenPainterTests {
    let size = TerminalSize(width: 80, height: 24)

    /// Frame after frame of a changing state, the emulated terminal always shows what was rendered.
    @Test func diffsReproduceTheRenderedScreen() {
        var state = TickerFixtures.tableState()
        var painter = ScreenPainter()
        var terminal = VirtualTerminal(size: size)
        for i in 0..<40 {
            state.advance(now: state.now + 100_000_000, wallNow: state.wallNow + 100_000_000)
            let price = 1_893_800 + Int64(i % 7 - 3) * 100
            state.apply(.trade(TickerFixtures.stamp("AAPL", UInt64(10 + i)), price: price, size: 100, side: "B"))
            if i == 20 { state.apply(.status(TickerFixtures.stamp("NVDA", 50), status: "trading")) }
            let screen = TickerRenderer.render(state, size: size)
            terminal.feed(painter.frame(screen))
            #expect(terminal.grid == screen, "frame \(i)")
        }
    }

    /// Only changed cells are written: an unchanged frame writes nothing, a one-cell change little.
    @Test func unchangedCellsAreNotRedrawn() {
        var painter = ScreenPainter()
        var grid = TickerRenderer.render(TickerFixtures.tableState(), size: size)
        let first = painter.frame(grid)
        #expect(first.count > 500)
        #expect(painter.frame(grid).isEmpty)
        grid.put("X", column: 10, row: 5)
        let one = painter.frame(grid)
        #expect(one == Array("\u{1B}[6;11H\u{1B}[0mX".utf8))
    }

    /// A new size redraws everything from a cleared screen.
    @Test func resizeRedrawsInFull() {
        var painter = ScreenPainter()
        _ = painter.frame(TickerRenderer.render(TickerFixtures.tableState(), size: size))
        let small = TerminalSize(width: 40, height: 10)
        let screen = TickerRenderer.render(TickerFixtures.tableState(), size: small)
        let bytes = painter.frame(screen)
        #expect(bytes.starts(with: Array("\u{1B}[0m\u{1B}[2J".utf8)))
        var terminal = VirtualTerminal(size: small)
        terminal.feed(bytes)
        #expect(terminal.grid == screen)
    }

    /// With colours off no colour code is written (bold, dim and reverse still are).
    @Test func noColorWritesNoColourCodes() {
        var painter = ScreenPainter(color: false)
        var state = TickerFixtures.tableState()
        state.apply(.trade(TickerFixtures.stamp("AAPL", 9), price: 1_899_900, size: 1, side: "B"))
        let text = String(decoding: painter.frame(TickerRenderer.render(state, size: size)), as: UTF8.self)
        let codes = sgrCodes(text)
        #expect(!codes.contains { (30...47).contains($0) })
        #expect(codes.contains(7))
        var colour = ScreenPainter(color: true)
        let coloured = String(decoding: colour.frame(TickerRenderer.render(state, size: size)), as: UTF8.self)
        #expect(sgrCodes(coloured).contains(42))  // the uptick flash
    }

    /// Every parameter of every SGR (`ESC [ … m`) sequence in `text`.
    func sgrCodes(_ text: String) -> [Int] {
        var codes: [Int] = []
        for part in text.split(separator: "\u{1B}").dropFirst() where part.hasPrefix("[") {
            guard let m = part.firstIndex(where: { $0.isLetter }), part[m] == "m" else { continue }
            codes += part[part.index(after: part.startIndex)..<m].split(separator: ";").compactMap { Int($0) }
        }
        return codes
    }
}

import Testing
@testable import Ticker

/// The screen as text for fixed states and window sizes: what a user sees, compared line by line
/// (trailing blanks trimmed, as `tmux capture-pane -p` shows it). The renderer is a pure function of
/// state and size, so these are exact.
@Suite struct RendererTests {
    /// The table at 80x24: every column, flashes over, halted marked, the unknown symbol said plainly.
    @Test func table80x24() {
        let screen = TickerRenderer.render(TickerFixtures.tableState(), size: TerminalSize(width: 80, height: 24))
        #expect(screen.text == """
             quotecast ticker  127.0.0.1:8080  ● live  9 msg/s  lat 0.40 ms    14:30:01 UTC
             SYMBOL     LAST     CHG    CHG% BID SIZE x BID ASK x ASK SIZE    VOLUME STATUS
             AAPL    189.38▲   +0.12  +0.06%   400 x 189.37 189.38 x 150     123,600 trading
             MSFT    414.80▼   -0.22  -0.05%   300 x 415.01 415.02 x 100   2,345,728 trading
             NVDA    120.11     0.00   0.00%   300 x 120.10 120.11 x 100      98,765 HALTED
             QQQ           -       -       -   300 x 502.00 502.01 x 100           0 trading
             NOPE   unknown symbol (the gateway does not list it)
















            q quit
            """)
    }

    /// Narrower: change and sizes and volume go first; symbol, last, change %, bid/ask and status stay.
    @Test func table60x10() {
        let screen = TickerRenderer.render(TickerFixtures.tableState(), size: TerminalSize(width: 60, height: 10))
        #expect(screen.text == """
             quotecast ticker  127.0.0.1:8080  ● live  9 msg/s
             SYMBOL     LAST    CHG%    BID    ASK STATUS
             AAPL    189.38▲  +0.06% 189.37 189.38 trading
             MSFT    414.80▼  -0.05% 415.01 415.02 trading
             NVDA    120.11    0.00% 120.10 120.11 HALTED
             QQQ           -       - 502.00 502.01 trading
             NOPE   unknown symbol (the gateway does not list it)


            q quit
            """)
    }

    /// Small: fewer columns, and the rows that do not fit are counted with a hint to scroll.
    @Test func table40x6() {
        let screen = TickerRenderer.render(TickerFixtures.tableState(), size: TerminalSize(width: 40, height: 6))
        #expect(screen.text == """
             quotecast ticker  ● live  14:30:01 UTC
             SYMBOL     LAST    CHG% STATUS
             AAPL    189.38▲  +0.06% trading
             MSFT    414.80▼  -0.05% trading
             ... 3 more (up/down to scroll)
            q quit  up/down scroll
            """)
    }

    /// The ladder at 80x24: ten asks above (best at the bottom), ten bids below, bars scaled to the largest size, the tape beside it.
    @Test func ladder80x24() {
        let screen = TickerRenderer.render(TickerFixtures.ladderState(), size: TerminalSize(width: 80, height: 24))
        #expect(screen.text == """
             quotecast ticker  127.0.0.1:8080  ● live  7 msg/s  lat 0.40 ms    14:30:01 UTC
             AAPL  trading  last 189.28▼  +0.02 +0.01%  vol 125,500  range 189.27-189.29
             A10     600   189.35 ████████████              TIME            PRICE    SIZE S
             A9      250   189.34 █████                     09:30:00.500    189.28     600 S
             A8      800   189.33 ████████████████          09:30:00.400    189.29     500 B
             A7      500   189.32 ██████████                09:30:00.300    189.28     400 S
             A6    1,000   189.31 ████████████████████      09:30:00.200    189.27     300 B
             A5      200   189.30 ████                      09:30:00.100    189.28     200 S
             A4      300   189.29 ██████                    09:30:00.000    189.27     100 B
             A3      700   189.28 ██████████████
             A2      400   189.27 ████████
             A1      100   189.26 ██
             ──────── spread 0.01 ────────────────────────
             B1      300   189.25 ██████
             B2      500   189.24 ██████████
             B3      200   189.23 ████
             B4      800   189.22 ████████████████
             B5    1,200   189.21 ████████████████████████
             B6      400   189.20 ████████
             B7      600   189.19 ████████████
             B8      100   189.18 ██
             B9      900   189.17 ██████████████████
             B10     700   189.16 ██████████████
            q quit
            """)
    }

    /// A small ladder: fewer levels a side (the best ones), no tape, longer bars for the width, the title shows only whole parts.
    @Test func ladder50x12() {
        let screen = TickerRenderer.render(TickerFixtures.ladderState(), size: TerminalSize(width: 50, height: 12))
        #expect(screen.text == """
             quotecast ticker  127.0.0.1:8080  ● live
             AAPL  trading  last 189.28▼  +0.02 +0.01%
             A4      300   189.29 ██████████▏
             A3      700   189.28 ███████████████████████▋
             A2      400   189.27 █████████████▌
             A1      100   189.26 ███▍
             ──────── spread 0.01 ───────────────────────────
             B1      300   189.25 ██████████▏
             B2      500   189.24 ████████████████▉
             B3      200   189.23 ██████▊
             B4      800   189.22 ███████████████████████████
            q quit
            """)
    }

    /// Gateway down before any data: a plain message in the middle, the countdown in the header and the footer.
    @Test func down80x8() {
        let screen = TickerRenderer.render(TickerFixtures.downState(), size: TerminalSize(width: 80, height: 8))
        #expect(screen.text == """
             quotecast ticker  127.0.0.1:9  down, retry in 3s                  14:30:00 UTC
             SYMBOL     LAST     CHG    CHG% BID SIZE x BID ASK x ASK SIZE    VOLUME STATUS
                         Cannot reach the gateway at ws://127.0.0.1:9/v1/stream
                                      connect: Connection refused
                    Retrying in 3s (attempt 3). Is `quotecast serve` running there?


            gateway unreachable: connect: Connection refused; retrying in 3s (attempt 3)
            """)
    }

    /// Every size from tiny to large renders without trapping, never writes past the grid, and keeps
    /// the header's connection state when there is a header at all.
    @Test func everySizeDegradesWithoutTrapping() {
        for state in [TickerFixtures.tableState(), TickerFixtures.ladderState(), TickerFixtures.downState()] {
            for w in [0, 1, 5, 19, 20, 33, 50, 66, 80, 132] {
                for h in [0, 1, 2, 3, 4, 7, 12, 24, 50] {
                    let screen = TickerRenderer.render(state, size: TerminalSize(width: w, height: h))
                    #expect(screen.cells.count == w * h)
                    let lines = screen.text.split(separator: "\n", omittingEmptySubsequences: false)
                    #expect(lines.allSatisfy { $0.unicodeScalars.count <= w })
                    if w >= 20, h >= 3 {
                        #expect(lines[0].contains("live") || lines[0].contains("down"), "\(w)x\(h): \(lines[0])")
                    }
                }
            }
        }
    }

    /// A flashing row is painted green on an uptick and red on a downtick while the flash lasts, and
    /// in reverse video when colours are off.
    @Test func flashColours() {
        var state = TickerFixtures.tableState()
        state.apply(.trade(TickerFixtures.stamp("AAPL", 9), price: 1_894_000, size: 100, side: "B"))
        state.apply(.trade(TickerFixtures.stamp("MSFT", 9), price: 4_140_000, size: 100, side: "S"))
        let size = TerminalSize(width: 80, height: 24)
        let screen = TickerRenderer.render(state, size: size)
        #expect(screen[3, 2].style.background == .green)
        #expect(screen[3, 3].style.background == .red)
        #expect(screen[3, 4].style.background == .default)
        state.color = false
        let mono = TickerRenderer.render(state, size: size)
        #expect(mono[3, 2].style.reverse && mono[3, 2].style.background == .default)
        state.advance(now: state.now + TickerState.flashNanoseconds, wallNow: state.wallNow)
        #expect(TickerRenderer.render(state, size: size)[3, 2].style.reverse == false)
    }

    /// Without a UTF-8 locale the screen is pure ASCII.
    @Test func asciiOnly() {
        var state = TickerFixtures.ladderState()
        state.unicode = false
        let text = TickerRenderer.render(state, size: TerminalSize(width: 80, height: 24)).text
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(text.contains("#"))
    }
}

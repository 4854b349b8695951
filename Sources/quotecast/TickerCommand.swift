import Foundation
import Glibc
import Market
import StreamClient
import Ticker

let tickerCommand = Command(
    name: "ticker",
    summary: "terminal ticker viewer: a live table, a 10-level ladder (--depth) or plain lines (--plain)",
    usage: """
        usage: quotecast ticker [SYMBOL...] [--depth SYMBOL] [--url URL] [--plain] [--no-color] [--ascii]
                                [--fps N] [--connect-timeout SECONDS] [--retry-max SECONDS] [--token TOKEN]

        Connects to a quotecast gateway's WebSocket API and shows live quotes full-screen: one row
        per symbol with last, change and change % since the first price seen, bid size x bid,
        ask x ask size, volume and status; a row flashes green on an uptick and red on a downtick,
        halted symbols are marked. The header shows the gateway, the connection state, messages per
        second and latency (now minus the feed handler's receive time `rt`). If the gateway is down
        or drops the connection, it says so on screen and retries with backoff (0.5 s doubling up
        to --retry-max). Unknown symbols are shown as such.

          SYMBOL...              symbols for the table (at least one, or --depth)
          --depth SYMBOL         show SYMBOL's 10-level ladder (asks above, bids below, size bars) with
                                 its latest trades; Tab switches to the table when SYMBOLs are given too
          --url URL              the gateway (default ws://127.0.0.1:8080/v1/stream)
          --plain                one line per update on stdout, no escape codes (the default when
                                 stdout is not a terminal); connection events go to stderr
          --no-color             no colours (also when the NO_COLOR environment variable is set)
          --ascii                ASCII characters only (the default unless the locale is UTF-8)
          --fps N                at most N frames per second, 1..60 (default 10)
          --connect-timeout S    seconds one connection attempt may take (default 2)
          --retry-max S          longest wait between reconnection attempts, seconds (default 10)
          --token TOKEN          the access token for a gateway run with --auth token (sent as
                                 Authorization: Bearer); without it, the QUOTECAST_TOKEN environment
                                 variable, which unlike an argument does not show in ps

        Keys: q or Ctrl-C quits (the terminal is restored), Tab switches table/ladder, up/down
        (or k/j, PgUp/PgDn) scroll a long table, Ctrl-L redraws. SIGINT/SIGTERM/SIGHUP quit cleanly
        (exit status 0). See docs/ticker.md.

        """,
    run: runTicker)

/// Parses the ticker's flags into a configuration (errors name the flag).
func tickerConfiguration(_ args: Arguments, environment: [String: String]) throws(UsageError) -> (TickerConfiguration, StreamURL) {
    var configuration = TickerConfiguration()
    var symbols: [String] = []
    for text in args.positionals {
        for part in text.split(separator: ",") {
            guard let s = Symbol(part) else { throw UsageError("'\(part)' is not a symbol (1 to 8 printable ASCII characters)") }
            if !symbols.contains(s.description) { symbols.append(s.description) }
        }
    }
    if let text = args.string("depth") {
        guard let s = Symbol(text) else { throw UsageError("--depth: '\(text)' is not a symbol (1 to 8 printable ASCII characters)") }
        configuration.depthSymbol = s.description
    }
    guard !symbols.isEmpty || configuration.depthSymbol != nil else {
        throw UsageError("no symbols: give at least one SYMBOL or --depth SYMBOL")
    }
    configuration.symbols = symbols
    configuration.url = args.string("url") ?? configuration.url
    let url: StreamURL
    do {
        url = try StreamURL(configuration.url)
    } catch {
        throw UsageError("--url: \(error)")
    }
    configuration.plain = args.flag("plain")
    configuration.color = !args.flag("no-color") && (environment["NO_COLOR"] ?? "").isEmpty
    let locale = environment["LC_ALL"] ?? environment["LC_CTYPE"] ?? environment["LANG"] ?? ""
    configuration.unicode = !args.flag("ascii") && (locale.uppercased().contains("UTF-8") || locale.uppercased().contains("UTF8"))
    configuration.framesPerSecond = try args.int("fps", default: 10, in: 1...60)
    configuration.connectTimeout = UInt64(try args.int("connect-timeout", default: 2, in: 1...60)) * 1_000_000_000
    configuration.backoffMaximum = UInt64(try args.int("retry-max", default: 10, in: 1...3600)) * 1_000_000_000
    return (configuration, url)
}

func runTicker(_ argv: [String]) throws -> Int32 {
    let args = try Arguments(argv, valueFlags: ["depth", "url", "fps", "connect-timeout", "retry-max", "token"],
                             switchFlags: ["plain", "no-color", "ascii"])
    var (configuration, url) = try tickerConfiguration(args, environment: ProcessInfo.processInfo.environment)
    var signals = SignalWatch()

    // Full screen needs a terminal on stdout and one to read keys from (stdin, else /dev/tty).
    var terminal: Terminal?
    if !configuration.plain, isatty(1) == 1 {
        let input = isatty(0) == 1 ? Int32(0) : open("/dev/tty", O_RDONLY | O_NONBLOCK)
        if input >= 0 { terminal = try? Terminal(input: input, output: 1) }
    }
    if terminal == nil { configuration.plain = true }

    let token = args.string("token") ?? ProcessInfo.processInfo.environment["QUOTECAST_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    if let token, !token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
        throw UsageError("--token: expected a token of printable characters without spaces")
    }
    let session = TickerSession(configuration: configuration, connector: TickerSession.connector(for: url, token: token))
    if let terminal {
        let status = session.runScreen(terminal: terminal, signals: &signals)
        terminal.restore()
        return status
    }
    let log = Log(minimum: .info)
    return session.runPlain(output: 1, signals: &signals) { event in
        switch event {
        case .connected(let url):
            log(.info, "ticker_connected", ["url": url])
        case .down(let url, let reason, let retryIn, let attempt):
            log(.warn, "ticker_gateway_down", ["url": url, "error": reason,
                                               "retry_in_s": String(format: "%.1f", Double(retryIn) / 1e9), "attempt": attempt])
        }
    }
}

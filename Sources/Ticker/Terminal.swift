import Glibc

/// A key the ticker reacts to.
public enum TickerKey: Equatable, Sendable {
    /// `q`, `Q`, Ctrl-C, Ctrl-D.
    case quit
    /// Tab: table and ladder.
    case toggleView
    /// Up arrow or `k`.
    case up
    /// Down arrow or `j`.
    case down
    /// Page Up.
    case pageUp
    /// Page Down.
    case pageDown
    /// Ctrl-L: draw everything again.
    case redraw
}

/// Decodes key presses from raw terminal input: `q`, Ctrl-C (raw mode delivers it as a byte), Tab,
/// the arrow keys, `k`/`j`, PgUp/PgDn and Ctrl-L. Anything else is ignored.
public enum KeyDecoder {
    /// The keys in `bytes` (one read's worth; escape sequences are not split across reads by
    /// terminals in practice, and a split one is simply ignored).
    public static func keys(_ bytes: [UInt8]) -> [TickerKey] {
        var out: [TickerKey] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x1B, i + 2 < bytes.count, bytes[i + 1] == 0x5B {  // ESC [
                switch bytes[i + 2] {
                case 0x41: out.append(.up)
                case 0x42: out.append(.down)
                case 0x35: out.append(.pageUp)
                case 0x36: out.append(.pageDown)
                default: break
                }
                i += 3
                while i < bytes.count, bytes[i] == 0x7E { i += 1 }
                continue
            }
            switch b {
            case 0x71, 0x51, 0x03, 0x04: out.append(.quit)  // q Q ^C ^D
            case 0x09: out.append(.toggleView)
            case 0x6B: out.append(.up)  // k
            case 0x6A: out.append(.down)  // j
            case 0x0C: out.append(.redraw)  // ^L
            default: break
            }
            i += 1
        }
        return out
    }
}

/// The controlling terminal in full-screen mode: raw input (no echo, no line buffering, no signal
/// keys: Ctrl-C arrives as a byte), the alternate screen, hidden cursor, autowrap off. `restore()`
/// puts every one of those back; the session calls it on every way out (q, Ctrl-C, SIGTERM, SIGHUP,
/// errors), since signals are taken synchronously (`SignalWatch`) rather than killing the process.
public final class Terminal {
    /// The input descriptor (standard input).
    public let input: Int32
    /// The output descriptor (standard output).
    public let output: Int32
    private var saved = termios()
    private var active = false

    /// Takes over `input`/`output` (standard input and output by default). Fails when `input` is not
    /// a terminal.
    public init(input: Int32 = 0, output: Int32 = 1) throws(TerminalError) {
        self.input = input
        self.output = output
        guard tcgetattr(input, &saved) == 0 else { throw TerminalError("standard input is not a terminal") }
        var raw = saved
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        raw.c_cflag |= tcflag_t(CS8)
        // Reads return at once with what there is (the session polls before reading).
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(input, TCSAFLUSH, &raw) == 0 else { throw TerminalError("cannot set raw mode on the terminal") }
        active = true
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[?7l\u{1B}[0m\u{1B}[2J")
    }

    /// Puts the terminal back as it was: main screen, cursor shown, autowrap on, cooked input.
    /// Safe to call more than once.
    public func restore() {
        guard active else { return }
        active = false
        write("\u{1B}[0m\u{1B}[?7h\u{1B}[?25h\u{1B}[?1049l")
        _ = tcsetattr(input, TCSAFLUSH, &saved)
    }

    deinit { restore() }

    /// The window size, or 80x24 when the terminal does not say.
    public var size: TerminalSize { Terminal.size(of: output) }

    /// The window size of the terminal on `descriptor`, or 80x24 when it does not say.
    public static func size(of descriptor: Int32) -> TerminalSize {
        var ws = winsize()
        if ioctl(descriptor, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0, ws.ws_row > 0 {
            return TerminalSize(width: Int(ws.ws_col), height: Int(ws.ws_row))
        }
        return TerminalSize(width: 80, height: 24)
    }

    /// Reads the keys pressed since the last call (non-blocking).
    public func readKeys() -> [TickerKey] {
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, 64) }
        guard n > 0 else { return [] }
        return KeyDecoder.keys(Array(buffer[0..<n]))
    }

    /// Writes `text` in full.
    public func write(_ text: String) { write(Array(text.utf8)) }

    /// Writes `bytes` in full (retrying short writes and EINTR).
    public func write(_ bytes: [UInt8]) {
        TerminalOutput.writeAll(output, bytes)
    }
}

/// Full writes to a descriptor.
enum TerminalOutput {
    /// Writes all of `bytes` to `fd`; false when the descriptor failed (a closed pipe, say).
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&p, 1, 100)
                    continue
                }
                return false
            }
            offset += n
        }
        return true
    }
}

/// A terminal that could not be taken over.
public struct TerminalError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The signals the ticker handles, taken synchronously: they are blocked for the whole process and
/// collected with `sigtimedwait` between polls, so a signal never interrupts a half-written frame
/// and the terminal is always restored on the way out.
public struct SignalWatch {
    /// What a pending signal asks for.
    public enum Event: Equatable, Sendable {
        /// SIGWINCH: the window changed size.
        case resize
        /// SIGINT, SIGTERM, SIGHUP or SIGQUIT: quit cleanly.
        case stop(Int32)
    }

    private var set = sigset_t()

    /// Blocks SIGWINCH, SIGINT, SIGTERM, SIGHUP and SIGQUIT (call before any thread starts) and
    /// ignores SIGPIPE (a closed pipe shows as a write error).
    public init() {
        sigemptyset(&set)
        for s in [SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// The signals pending now (never waits).
    public mutating func pending() -> [Event] {
        var events: [Event] = []
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        while true {
            let s = sigtimedwait(&set, nil, &zero)
            if s <= 0 { break }
            events.append(s == SIGWINCH ? .resize : .stop(s))
        }
        return events
    }
}

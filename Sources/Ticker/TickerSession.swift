import Glibc
import System

/// What happened to the connection, for the plain mode's log lines on standard error.
public enum TickerEvent: Equatable, Sendable {
    /// Connected and subscribed.
    case connected(url: String)
    /// An attempt failed or the connection dropped; the next attempt is in `retryIn` ns.
    case down(url: String, reason: String, retryIn: UInt64, attempt: Int)
}

/// The ticker's loop: keeps a connection to the gateway (reconnecting with backoff), feeds every
/// message into `TickerState`, and either paints the screen (at most `framesPerSecond` frames a
/// second, only changed cells) or prints one plain line per update.
///
/// Single-threaded: one `poll` over the connection and the keyboard, signals collected between polls.
public final class TickerSession {
    /// The configuration it runs.
    public let configuration: TickerConfiguration
    /// The state the screen shows.
    public private(set) var state: TickerState
    /// Frames drawn so far (screen mode).
    public var frames: Int { pacer.frames }

    private let connector: TickerConnector
    private var link: TickerLink?
    private var pending: ConnectAttempt?
    private var linkProvedGood = false
    private var backoff: ReconnectBackoff
    private var retryAt: UInt64 = 0
    private var attempt = 1
    private var pacer: FramePacer
    private var lastDrain: UInt64 = 0
    /// The screen reads the link at most this often, so messages come in batches (and superseded
    /// quotes are skipped) instead of one wake-up per message.
    static let batchInterval: UInt64 = 5_000_000
    private let monotonic: () -> UInt64
    private let wall: () -> UInt64

    /// A session for `configuration` that opens links with `connector`; clocks are injectable.
    public init(configuration: TickerConfiguration, connector: @escaping TickerConnector,
                monotonic: @escaping () -> UInt64 = Clock.monotonic, wall: @escaping () -> UInt64 = Clock.realtime) {
        self.configuration = configuration
        self.connector = connector
        self.monotonic = monotonic
        self.wall = wall
        state = TickerState(url: configuration.url, symbols: configuration.symbols, depthSymbol: configuration.depthSymbol)
        state.color = configuration.color
        state.unicode = configuration.unicode
        backoff = ReconnectBackoff(initial: configuration.backoffInitial, maximum: configuration.backoffMaximum,
                                   seed: UInt64(truncatingIfNeeded: wall()))
        pacer = FramePacer(framesPerSecond: configuration.framesPerSecond)
    }

    deinit { link?.close() }

    // MARK: the connection

    /// Moves the connection along without blocking: starts an attempt when one is due, takes over
    /// a finished one (subscribing), gives up on one past the connect timeout. Reports through `event`.
    func pumpConnection(_ event: (TickerEvent) -> Void) {
        let now = monotonic()
        if let a = pending {
            if let outcome = a.take() {
                pending = nil
                if a.abandoned {
                    if case .success(let l) = outcome { l.close() }
                } else {
                    finish(outcome, event)
                }
            } else if !a.abandoned, now &- a.started >= configuration.connectTimeout {
                a.abandoned = true  // it ends by itself; no new attempt starts before it does
                down(reason: "no answer from \(TickerRenderer.gatewayLabel(configuration.url)) within "
                     + "\(configuration.connectTimeout / 1_000_000_000)s", event)
            }
        }
        if let a = pending, a.abandoned, link == nil, now >= retryAt {
            state.connection = .connecting(attempt: attempt)  // due, but the last attempt has not ended
        }
        guard link == nil, pending == nil, now >= retryAt else { return }
        state.connection = .connecting(attempt: attempt)
        pending = ConnectAttempt(connector: connector, timeout: configuration.connectTimeout, started: now)
    }

    private func finish(_ outcome: Result<TickerLink, any Error>, _ event: (TickerEvent) -> Void) {
        do {
            let l = try outcome.get()
            link = l
            for request in configuration.subscriptions { try l.send(text: request) }
            linkProvedGood = false
            state.connectionOpened()
            event(.connected(url: configuration.url))
        } catch {
            down(reason: "\(error)", event)
        }
    }

    /// Whether a connection attempt is under way (tests wait on it).
    var isConnecting: Bool { pending.map { !$0.abandoned } ?? false }

    /// The link failed or closed: schedule the next attempt.
    func down(reason: String, _ event: (TickerEvent) -> Void) {
        link?.close()
        link = nil
        if linkProvedGood {
            backoff.reset()
            attempt = 1
        }
        linkProvedGood = false
        let delay = backoff.nextDelay()
        attempt += 1
        retryAt = monotonic() &+ delay
        state.connection = .waiting(attempt: attempt, retryAt: retryAt, reason: reason)
        event(.down(url: configuration.url, reason: reason, retryIn: delay, attempt: attempt))
    }

    /// Reads what has arrived on the link and applies it; `each` sees every decoded message.
    /// With `coalesce` (the screen, which shows only the latest book), a quote followed in the same
    /// batch by a later quote or snapshot of its symbol is counted but not decoded: quotes replace
    /// the whole book, so the state ends the same and decoding stays bounded whatever the rate.
    func drain(coalesce: Bool = false, _ event: (TickerEvent) -> Void, _ each: (TickerMessage) -> Void) {
        guard let l = link else { return }
        let events: [LinkEvent]
        do {
            events = try l.drainAvailable()
        } catch {
            down(reason: "\(error)", event)
            return
        }
        lastDrain = monotonic()
        state.advance(now: lastDrain, wallNow: wall())
        var superseded = Set<Int>()
        if coalesce, events.count > 1 {
            var seen = Set<Substring>()
            for (i, e) in events.enumerated().reversed() {
                guard case .text(let text) = e, let (type, symbol) = MessagePrefix.scan(text) else { continue }
                if type == "quote" || type == "snapshot" {
                    if !seen.insert(symbol).inserted, type == "quote" { superseded.insert(i) }
                }
            }
        }
        for (i, e) in events.enumerated() {
            switch e {
            case .text(let text):
                linkProvedGood = true
                if superseded.contains(i) {
                    state.noteSkippedQuote()
                } else if let message = TickerMessage.parse(text) {
                    state.apply(message)
                    each(message)
                } else {
                    state.noteBadMessage()
                }
            case .binary:
                state.noteBadMessage()
            case .closed(let code, let reason):
                down(reason: "closed by the gateway (\(code)\(reason.isEmpty ? "" : " " + reason))", event)
                return
            }
        }
    }

    /// Waits up to `timeoutNanoseconds` for the link or `extra` to be readable; returns whether
    /// `extra` is.
    func wait(_ timeoutNanoseconds: UInt64, extra: Int32?) -> Bool {
        var fds: [pollfd] = []
        if let link { fds.append(pollfd(fd: link.descriptor, events: Int16(POLLIN), revents: 0)) }
        if let pending { fds.append(pollfd(fd: pending.wakeDescriptor, events: Int16(POLLIN), revents: 0)) }
        if let extra { fds.append(pollfd(fd: extra, events: Int16(POLLIN), revents: 0)) }
        let ms = Int32(min(1000, max(1, (timeoutNanoseconds + 999_999) / 1_000_000)))
        let n = poll(&fds, nfds_t(fds.count), ms)
        guard n > 0, let extra else { return false }
        return fds.contains { $0.fd == extra && $0.revents != 0 }
    }

    /// Waits up to `timeoutNanoseconds` for keys only; returns whether there are some.
    func waitForKeys(_ timeoutNanoseconds: UInt64, _ input: Int32) -> Bool {
        var p = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
        let ms = Int32(min(1000, max(1, (timeoutNanoseconds + 999_999) / 1_000_000)))
        return poll(&p, 1, ms) > 0
    }

    /// Nanoseconds until the next reconnect attempt (or a long time when connected or connecting).
    func untilRetry() -> UInt64 {
        guard link == nil, pending == nil else { return .max }
        let now = monotonic()
        return retryAt > now ? retryAt - now : 0
    }

    // MARK: screen mode

    /// Runs full-screen on `terminal` until `q`, Ctrl-C or a stop signal; returns the exit status.
    public func runScreen(terminal: Terminal, signals: inout SignalWatch) -> Int32 {
        var painter = ScreenPainter(color: configuration.color)
        var size = terminal.size
        func draw(force: Bool) {
            let now = monotonic()
            guard force || pacer.mayDraw(at: now) else { return }
            state.advance(now: now, wallNow: wall())
            terminal.write(painter.frame(TickerRenderer.render(state, size: size)))
            pacer.drew(at: now)
        }
        draw(force: true)
        while true {
            pumpConnection { _ in }
            let timeout = min(pacer.wait(at: monotonic()) == 0 ? pacer.interval : pacer.wait(at: monotonic()), untilRetry())
            // Within the batch interval after a read, only keys wake the loop; the link waits.
            let sinceDrain = monotonic() &- lastDrain
            let batching = link != nil && sinceDrain < TickerSession.batchInterval
            let keysReady = batching
                ? waitForKeys(min(timeout, TickerSession.batchInterval - sinceDrain), terminal.input)
                : wait(timeout, extra: terminal.input)
            if keysReady {
                for key in terminal.readKeys() {
                    switch key {
                    case .quit: return 0
                    case .toggleView:
                        if let d = configuration.depthSymbol, state.rows.count > 1 {
                            state.view = state.view == .table ? .ladder(d) : .table
                        }
                    case .up: state.scroll = max(0, state.scroll - 1)
                    case .down: state.scroll = min(max(0, state.rows.count - 1), state.scroll + 1)
                    case .pageUp: state.scroll = max(0, state.scroll - max(1, size.height - 4))
                    case .pageDown: state.scroll = min(max(0, state.rows.count - 1), state.scroll + max(1, size.height - 4))
                    case .redraw: painter.invalidate()
                    }
                }
            }
            if !batching { drain(coalesce: true, { _ in }, { _ in }) }
            for s in signals.pending() {
                switch s {
                case .resize:
                    size = terminal.size
                    painter.invalidate()
                case .stop: return 0
                }
            }
            draw(force: false)
        }
    }

    // MARK: plain mode

    /// Runs in plain mode: one line per update on `output`, connection events through `event`,
    /// until a stop signal or `output` closes; returns the exit status.
    public func runPlain(output: Int32, signals: inout SignalWatch, event: @escaping (TickerEvent) -> Void) -> Int32 {
        var closed = false
        let allLevels = configuration.depthSymbol
        while !closed {
            pumpConnection(event)
            _ = wait(min(untilRetry(), 250_000_000), extra: nil)
            var text = ""
            drain(event) { message in
                if let line = PlainFormatter.line(message, state: state, allLevels: message.symbol == allLevels) {
                    text += line
                    text += "\n"
                }
            }
            if !text.isEmpty, !TerminalOutput.writeAll(output, Array(text.utf8)) { closed = true }
            for s in signals.pending() { if case .stop = s { return 0 } }
        }
        return 0
    }
}

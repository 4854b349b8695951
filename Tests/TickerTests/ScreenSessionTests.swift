import Foundation
import Glibc
import Synchronization
import Testing
@testable import Ticker

/// A pseudo-terminal pair for driving the full-screen mode without a real terminal.
struct PseudoTerminal {
    let master: Int32
    let slave: Int32

    init?() {
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        guard master >= 0 else { return nil }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        // TIOCSPTLCK and TIOCGPTN (Glibc does not export them): unlock the slave, learn its number.
        guard ioctl(master, UInt(0x4004_5431), &unlock) == 0, ioctl(master, UInt(0x8004_5430), &number) == 0 else { return nil }
        slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard slave >= 0 else { return nil }
        var size = winsize(ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
    }

    func close() {
        Glibc.close(slave)
        Glibc.close(master)
    }
}

/// What the flood has done so far, readable from the test's thread while the session runs: the
/// messages the link handed over and the frames the session had drawn at its last drain.
final class FloodProgress: Sendable {
    private let counts = Mutex((messages: 0, frames: 0))
    var messages: Int { counts.withLock { $0.messages } }
    var frames: Int { counts.withLock { $0.frames } }
    func record(messages: Int, frames: Int) { counts.withLock { $0 = (messages, frames) } }
}

/// Lets the link (made on the connect thread, drained on the session's thread) read the session's
/// frame count. Set before the session's thread starts; read only on that thread.
final class SessionSlot: @unchecked Sendable {
    var session: TickerSession?
}

/// A link that always has more: every drain returns a burst of trades, so the session sees an
/// update rate far above its frame rate.
final class FloodLink: TickerLink {
    let pipe: (Int32, Int32)
    var seq: UInt64 = 0
    let progress: FloodProgress?
    let slot: SessionSlot?
    init(progress: FloodProgress? = nil, slot: SessionSlot? = nil) {
        self.progress = progress
        self.slot = slot
        var fds: [Int32] = [0, 0]
        _ = Glibc.pipe(&fds)
        pipe = (fds[0], fds[1])
        _ = Glibc.write(pipe.1, "x", 1)  // always readable
    }
    deinit { Glibc.close(pipe.0); Glibc.close(pipe.1) }
    var descriptor: Int32 { pipe.0 }
    func send(text: String) throws {}
    func drainAvailable() throws -> [LinkEvent] {
        usleep(200)  // ~5000 bursts a second at most
        // Called on the session's thread between frames, so reading its frame count here is safe;
        // the messages of earlier bursts have all been applied by now.
        progress?.record(messages: Int(seq), frames: slot?.session?.frames ?? 0)
        return (0..<20).map { _ in
            seq += 1
            return .text(#"{"type":"trade","symbol":"AAPL","seq":\#(seq),"ts":1,"rt":1,"price":"1\#(seq % 10).0000","size":1,"side":"B"}"#)
        }
    }
    func close() {}
}

/// Collects what the session writes to the terminal (the pty must be read or writes would block).
final class PtyReader: @unchecked Sendable {
    // @unchecked: every field is guarded by `lock`; the reading thread keeps this object alive.
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var stopped = false

    init(_ fd: Int32) {
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !isStopped {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 50) > 0 else { continue }
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 65_536) }
                if n <= 0 { break }
                lock.lock(); bytes += buffer[0..<n]; lock.unlock()
            }
        }.start()
    }
    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
    func stop() { lock.lock(); stopped = true; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: bytes, as: UTF8.self) }
}

/// The full-screen loop on a pseudo-terminal: the frame cap holds under a flood of updates, `q`
/// quits with 0, and the terminal is put back (main screen, cursor, autowrap, cooked mode).
@Suite struct ScreenSessionTests {
    @Test func frameCapUnderFloodAndCleanQuit() throws {
        guard let pty = PseudoTerminal() else { Issue.record("no pseudo-terminal"); return }
        defer { pty.close() }
        var before = termios()
        tcgetattr(pty.slave, &before)
        let reader = PtyReader(pty.master)
        defer { reader.stop(); usleep(100_000) }
        var configuration = TickerConfiguration()
        configuration.symbols = ["AAPL"]
        configuration.framesPerSecond = 10
        let progress = FloodProgress()
        let slot = SessionSlot()
        let session = TickerSession(configuration: configuration, connector: { _ in FloodLink(progress: progress, slot: slot) })
        slot.session = session
        let result = ResultBox()
        let box = SessionBox(session)
        let started = Date()
        let thread = Thread {
            var signals = SignalWatch()  // blocks the signals on this thread only
            guard let terminal = try? Terminal(input: pty.slave, output: pty.slave) else { result.set(-1); return }
            let status = box.session.runScreen(terminal: terminal, signals: &signals)
            terminal.restore()
            result.set(status)
        }
        thread.start()
        // Quit once the flood has been far above the frame rate for several frames, however long
        // a loaded machine takes to get there (no fixed run time: 2 s gave 2 frames under load).
        let flooded = waitFor(seconds: 120) { progress.messages >= 600 && progress.frames >= 6 }
        #expect(flooded, "after 120 s: \(progress.messages) messages, \(progress.frames) frames")
        _ = Glibc.write(pty.master, "q", 1)
        #expect(result.wait(60) == 0)
        let seconds = Date().timeIntervalSince(started)
        let messages = session.state.messages
        #expect(messages >= 600, "the flood was \(messages) messages")
        // At most 10 a second (plus the first frame and the forced "connecting" one): an upper
        // bound a slow machine only loosens.
        #expect(session.frames <= Int(seconds * 10) + 3, "\(session.frames) frames in \(seconds) s")
        #expect(session.frames >= 6)
        #expect(messages > session.frames * 20, "\(messages) messages, \(session.frames) frames: not a flood")
        print("ticker flood: \(messages) messages, \(session.frames) frames in \(seconds) s")
        let restored = "\u{1B}[0m\u{1B}[?7h\u{1B}[?25h\u{1B}[?1049l"
        _ = waitFor(seconds: 30) { reader.text.hasSuffix(restored) }
        let out = reader.text
        #expect(out.hasPrefix("\u{1B}[?1049h\u{1B}[?25l\u{1B}[?7l"))
        #expect(out.hasSuffix(restored))
        var after = termios()
        tcgetattr(pty.slave, &after)
        #expect(after.c_lflag == before.c_lflag)
    }

    /// Polls `condition` every 10 ms until it holds or `seconds` pass; whether it held.
    func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// Hands the session to the loop's thread (the test reads it only after the thread is done).
    final class SessionBox: @unchecked Sendable {
        let session: TickerSession
        init(_ session: TickerSession) { self.session = session }
    }

    final class ResultBox: @unchecked Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        private var value: Int32 = -99
        func set(_ v: Int32) { value = v; semaphore.signal() }
        func wait(_ seconds: Double) -> Int32 { _ = semaphore.wait(timeout: .now() + seconds); return value }
    }
}

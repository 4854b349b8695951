import Foundation
import Glibc

/// One connection attempt on a thread of its own, so a gateway host that never answers (a TCP
/// connect held for the kernel's SYN retries) cannot freeze the screen, the keys or the signals.
///
/// The session starts at most one attempt at a time and polls `wakeDescriptor`, which becomes
/// readable when the attempt is over; `take()` then hands the result over. An attempt the session
/// gave up on (past the connect timeout) still runs to its end, and its link, if any, is closed then.
final class ConnectAttempt: @unchecked Sendable {
    // @unchecked: `result` is written once by the attempt's thread and read by the session's
    // thread, both under `lock`; the link inside is used by one thread at a time (handed over).
    private let lock = NSLock()
    private var result: Result<TickerLink, any Error>?
    private let pipe: (read: Int32, write: Int32)
    /// Monotonic time the attempt started (ns).
    let started: UInt64
    /// Set when the session stopped waiting for this attempt.
    var abandoned = false

    /// Starts `connector(timeout)` on a new thread.
    init(connector: @escaping TickerConnector, timeout: UInt64, started: UInt64) {
        var fds: [Int32] = [-1, -1]
        _ = Glibc.pipe(&fds)
        pipe = (fds[0], fds[1])
        self.started = started
        let thread = Thread { [self] in
            let outcome: Result<TickerLink, any Error>
            do {
                outcome = .success(try connector(timeout))
            } catch {
                outcome = .failure(error)
            }
            lock.lock()
            result = outcome
            lock.unlock()
            _ = Glibc.write(pipe.write, "x", 1)
        }
        thread.start()
    }

    deinit {
        Glibc.close(pipe.read)
        Glibc.close(pipe.write)
    }

    /// Readable once the attempt is over.
    var wakeDescriptor: Int32 { pipe.read }

    /// The outcome, once: nil while the attempt runs (or after it was taken).
    func take() -> Result<TickerLink, any Error>? {
        lock.lock()
        defer { lock.unlock() }
        let r = result
        result = nil
        return r
    }
}

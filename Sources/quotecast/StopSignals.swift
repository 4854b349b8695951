import Feed
import Glibc
import System

/// SIGINT and SIGTERM (and, for the daemons that reload something, SIGHUP), taken by the main thread
/// with `sigtimedwait`. `block()` must run before any thread starts, so every thread inherits the
/// mask and none is interrupted by them.
struct StopSignals {
    private var set = sigset_t()

    /// Blocks SIGINT and SIGTERM in the calling thread (and the threads it starts from now on), and
    /// SIGHUP too when `hangup` is true (then `wait` hands it to its `onHangup`; a daemon must not
    /// die of the signal that asks it to reload).
    static func block(hangup: Bool = false) -> StopSignals {
        var s = StopSignals()
        sigemptyset(&s.set)
        sigaddset(&s.set, SIGINT)
        sigaddset(&s.set, SIGTERM)
        if hangup { sigaddset(&s.set, SIGHUP) }
        pthread_sigmask(SIG_BLOCK, &s.set, nil)
        return s
    }

    /// Waits, checking every 100 ms, until a stop signal arrives (returns "SIGINT" or "SIGTERM"),
    /// `duration` seconds have passed since the call while `done` was still false ("duration"), or
    /// `done()` returns true (nil). A SIGHUP (when blocked) calls `onHangup` and the wait goes on.
    mutating func wait(duration: Int?, onHangup: () -> Void = {}, until done: () -> Bool) -> String? {
        let started = Clock.monotonic()
        var timeout = timespec(tv_sec: 0, tv_nsec: 100_000_000)
        while true {
            let signal = sigtimedwait(&set, nil, &timeout)
            if signal == SIGINT { return "SIGINT" }
            if signal == SIGTERM { return "SIGTERM" }
            if signal == SIGHUP { onHangup() }
            if done() { return nil }
            if let duration, Clock.monotonic() - started >= UInt64(duration) * 1_000_000_000 { return "duration" }
        }
    }
}

import CShim
import Glibc
import Synchronization

/// Whether anyone takes ticks as they are published — in `serve`, whether the gateway has a stream
/// client — told by the thread that knows (the gateway's loop) to a paced source that batches by it
/// (the simulator's `Pacer`). With nobody watching, the simulator sends its ticks in rarer, larger
/// batches (fewer wakeups of an idle daemon); the first watcher ends the sleep of such a batch at once,
/// so from then on ticks go on the fine grid again.
///
/// Invariant: `wakeup` is an eventfd owned by this object (closed in `deinit`), or -1 when one could
/// not be made; then `sleep` cannot be cut short and only sleeps to its deadline.
public final class StreamDemand: Sendable {
    private let watched: Atomic<Bool>
    private let wakeup: Int32

    /// A demand starting as `watched`.
    public init(watched: Bool = false) {
        self.watched = Atomic(watched)
        wakeup = qc_wakeup_create()
    }

    deinit { if wakeup >= 0 { qc_wakeup_close(wakeup) } }

    /// Whether anyone takes ticks as they are published.
    public var isWatched: Bool { watched.load(ordering: .relaxed) }

    /// Says whether anyone takes ticks as they are published; a change to watched wakes a paced source
    /// sleeping in `sleep(until:)`. Cheap when nothing changes (one load).
    public func set(watched now: Bool) {
        guard watched.load(ordering: .relaxed) != now else { return }
        // Relaxed: the flag carries no data; the eventfd write/read orders it for the sleeper, and a
        // sleeper that misses the write reads the flag again at its next batch anyway.
        watched.store(now, ordering: .relaxed)
        if now && wakeup >= 0 { _ = qc_wakeup_signal(wakeup) }
    }

    /// Sleeps until `deadline` (a `Clock.monotonic()` reading, ns) while nobody watches; returns early
    /// — true — when someone starts watching (or already watches). Millisecond resolution (`poll`), so
    /// for the coarse sleeps of an unwatched source; watched sources sleep with `DeadlineSleeper`.
    @discardableResult
    public func sleep(until deadline: UInt64) -> Bool {
        guard wakeup >= 0 else {
            DeadlineSleeper.sleep(until: deadline)
            return isWatched
        }
        while !isWatched {
            let now = Clock.monotonic()
            if now >= deadline { return false }
            // Rounded up: never early (a batch woken early would find nothing due and sleep again).
            let milliseconds = Int32(min((deadline - now + 999_999) / 1_000_000, 60_000))
            // A stale signal (watched, unwatched, then slept again) only ends this wait early: the loop
            // looks at the flag and sleeps on.
            _ = qc_wakeup_wait(wakeup, milliseconds)
        }
        return true
    }
}

import Glibc

/// Sleeping until an absolute point on the monotonic clock (`Clock.monotonic()`), for pacing: a
/// paced sender computes each send's deadline from the previous one, so time lost to scheduling
/// or to the work between two sleeps is not added to every interval (as a relative `usleep` would).
///
/// The minimal sleeper the bandwidth budget needs (issue 24); issue 23's wait strategies may take
/// its place.
public enum DeadlineSleep {
    /// Sleeps until `Clock.monotonic()` reaches `deadline` (returns at once if it has), resuming
    /// after signals. Never spins.
    public static func until(monotonic deadline: UInt64) {
        var t = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, nil) == EINTR {}
    }
}

import Glibc

/// Sleeps until an absolute CLOCK_MONOTONIC deadline (`clock_nanosleep` with `TIMER_ABSTIME`): what a
/// paced loop (the simulator, a replay) sleeps with. A loop that sleeps to `start + k × period` never
/// drifts by the time its own work or a late wakeup took, and a late wakeup is made up by the next
/// batch, not by spinning. A signal (EINTR) resumes the same deadline.
public enum DeadlineSleeper {
    /// Sleeps until `deadline` (a `Clock.monotonic()` reading, ns); returns at once if it has passed.
    public static func sleep(until deadline: UInt64) {
        var target = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while true {
            let result = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil)
            // clock_nanosleep returns the error number itself (not -1 and errno).
            if result != EINTR { return }
        }
    }

    /// Sleeps for `nanoseconds` from now (a relative sleep through the same call).
    public static func sleep(nanoseconds: UInt64) {
        sleep(until: Clock.monotonic() &+ nanoseconds)
    }
}

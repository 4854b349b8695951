#if canImport(Glibc)
import Glibc
#endif

/// The real time tokens are checked against (CLOCK_REALTIME, as `exp` and `nbf` are wall-clock
/// NumericDates). Verification takes `now` as a parameter; this is what production passes.
public enum WallClock {
    /// Seconds since the Unix epoch.
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

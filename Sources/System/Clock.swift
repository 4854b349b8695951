import CShim
import Glibc

/// The process's clocks, read in one place: monotonic time for intervals, deadlines and pacing;
/// the wall clock for the `rt` of ticks and for latencies measured against it; CPU time for the
/// benchmarks and the idle-CPU checks.
///
/// Every reading is in nanoseconds as a `UInt64`: subtract two monotonic readings with `&-` only when
/// the second was taken after the first on the same host.
public enum Clock {
    /// CLOCK_MONOTONIC, nanoseconds since an arbitrary start (boot): never jumps, never goes back.
    @inlinable @inline(__always)
    public static func monotonic() -> UInt64 { qc_monotonic_ns() }

    /// CLOCK_REALTIME, nanoseconds since the Unix epoch: the clock a tick's `rt` is stamped with.
    @inlinable @inline(__always)
    public static func realtime() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }

    /// CPU time (user + system) the calling thread has used: what one stage costs apart from the
    /// others sharing the machine.
    public static func threadCPU() -> UInt64 { qc_thread_cpu_ns() }

    /// CPU time (user + system) the whole process has used.
    public static func processCPU() -> UInt64 { qc_process_cpu_ns() }
}

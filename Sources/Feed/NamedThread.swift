import CShim
import Foundation
import Synchronization

/// A thread with a kernel-visible name (shown by `top -H` and `ps -L`) that can be joined.
/// Stages of the daemon each own one; they meet only in the broadcast ring.
public final class NamedThread: Sendable {
    /// The name given to the kernel (at most 15 bytes are kept).
    public let name: String
    private let finished = DispatchSemaphore(value: 0)

    /// Starts `body` on a new thread called `name`.
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        self.name = name
        let done = finished
        let thread = Thread {
            _ = name.withCString { qc_set_thread_name($0) }
            body()
            done.signal()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Waits until the thread's body has returned.
    public func join() {
        finished.wait()
        finished.signal()  // later joins return at once
    }
}

/// A flag one thread raises and others poll: the daemon's stop request.
public final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    public init() {}
    /// Asks every stage to stop.
    public func raise() {
        // Relaxed: stages only need to see it eventually; what they publish is ordered by the ring.
        raised.store(true, ordering: .relaxed)
    }
    /// Whether a stop was asked for.
    public var isRaised: Bool { raised.load(ordering: .relaxed) }
}

/// Nanoseconds since the Unix epoch (CLOCK_REALTIME): the `rt` of ticks.
public func realtimeNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Nanoseconds of CLOCK_MONOTONIC, for pacing and rates.
public func monotonicNanoseconds() -> UInt64 { qc_monotonic_ns() }

/// CPU time (user + system) the calling thread has used, in nanoseconds: for benchmarks that report
/// the cost of one stage apart from the others sharing the machine.
public func threadCPUNanoseconds() -> UInt64 { qc_thread_cpu_ns() }

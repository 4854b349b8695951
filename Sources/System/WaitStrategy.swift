/// How a thread that has run out of work waits for more, in the LMAX Disruptor's vocabulary. Every
/// thread that waits on the broadcast ring or on sockets takes one (`--wait` on `serve`, `feed` and
/// `gateway`); the waiting itself is `IdleBackoff`, one implementation for ring readers, the ring's
/// writer on a full ring, and event loops. docs/operations.md says when to choose which.
public enum WaitStrategy: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Park at once: sleep in the kernel (an eventfd, `epoll_wait`) until signalled. Least CPU; every
    /// wait that ends costs a wakeup (two system calls and the scheduler's latency). For non-critical
    /// readers, and for hosts where CPU matters more than tens of microseconds.
    case blocking
    /// Spin briefly, then yield a few times, then park. The spin budget adapts to how long this
    /// thread's recent waits lasted (bounded by `IdleBackoff.maximumSpinNanoseconds`): spinning is
    /// kept where work comes back within it and falls away where it does not, so an idle daemon parks
    /// almost at once and a busy one hands work over without system calls. The default.
    case adaptive
    /// Never park: poll in a loop. The lowest latency for a whole core per waiting thread: only for
    /// dedicated, isolated cores (`isolcpus`, `taskset`), never on a shared host.
    case spinning

    /// The name used on the command line (`--wait NAME`).
    public var description: String { rawValue }
}

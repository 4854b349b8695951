import CShim
import Glibc

/// One thread's way through its idle periods under a `WaitStrategy`: spin, then yield, then park.
/// The one implementation of "spin, then park" in the daemon: ring readers (`RingReader.next`), the
/// ring's writer waiting on a full gating reader, and event loops (the WebSocket server's, with the
/// gateway's ring as its work) all drive one.
///
/// Use: each time the thread looks for work and finds none, call `idle()`. It either performs one
/// bounded step (a CPU relax hint or a `sched_yield`) and returns `true` (look again), or returns
/// `false`: park now (sleep in the kernel until signalled). Call `worked()` when work was found and
/// `parked()` after a park ended; both end the idle period (cheap when there was none, so `worked()`
/// may be called for every item).
///
/// Adaptive spinning: the spin phase lasts `spinBudget` nanoseconds. The budget follows an
/// exponentially weighted average (1/8) of how long this thread's recent idle periods spun before work
/// came back, a period that ended in a park counting as 0 (spinning did not pay): `budget = minimum +
/// 2 × average`, at most `maximumSpinNanoseconds`. A feed that publishes every millisecond (an idle
/// daemon) drives it to the minimum within a few dozen waits; a busy ring whose work returns within
/// microseconds keeps it high. Work found while yielding teaches nothing about spinning (it comes when
/// the thread being waited for shares this core: the yield, not the spin, let it run) and leaves the
/// budget as it is.
///
/// Value type, one per thread, owned by that thread; no allocation, no locks.
public struct IdleBackoff: Sendable {
    /// The strategy it follows.
    public let strategy: WaitStrategy
    /// Longest adaptive spin, ns: about what a park and its wakeup cost on a loaded 2-vCPU host
    /// (`quotecast-bench ring.wake`), so spinning longer could not save more than it burns.
    public static let maximumSpinNanoseconds: UInt64 = 20_000
    /// Shortest adaptive spin, ns: a few polls, so a burst's next item is still caught without a park.
    public static let minimumSpinNanoseconds: UInt64 = 500
    /// `sched_yield` rounds after the spin (adaptive only): hands the core to a thread that shares it
    /// and is about to produce the work.
    public static let yieldRounds = 4

    /// Average spin of recent idle periods, ns (adaptive only).
    private(set) var averageSpin: UInt64
    /// The current spin phase's length, ns (adaptive only).
    public private(set) var spinBudget: UInt64
    /// When the current idle period began (monotonic ns), 0 when the thread is not idle.
    private var idleSince: UInt64 = 0
    /// Steps taken in the current idle period.
    private var steps = 0
    /// Yields taken in the current idle period; > 0 means the spin phase is over.
    private var yields = 0

    /// A thread's backoff, starting with the longest spin (adaptive learns down from there).
    public init(_ strategy: WaitStrategy) {
        self.strategy = strategy
        averageSpin = IdleBackoff.maximumSpinNanoseconds / 2
        spinBudget = IdleBackoff.maximumSpinNanoseconds
    }

    /// Whether an idle period is in progress (`idle()` was called since the last `worked()`/`parked()`).
    public var isIdle: Bool { steps != 0 }

    /// The thread found nothing to do. Performs one step and returns `true` (look for work again), or
    /// returns `false`: park now. `.blocking` always parks, `.spinning` never does.
    @inline(__always)
    public mutating func idle() -> Bool {
        switch strategy {
        case .blocking:
            return false
        case .spinning:
            steps &+= 1
            qc_cpu_relax()
            return true
        case .adaptive:
            return adaptiveStep()
        }
    }

    private mutating func adaptiveStep() -> Bool {
        steps &+= 1
        if steps == 1 { idleSince = Clock.monotonic() }
        if yields == 0 {
            // The clock is read every 8th step only: a relax hint costs tens of nanoseconds, a clock read
            // about as much, and the budget's resolution does not need more.
            if steps & 7 != 0 || Clock.monotonic() &- idleSince < spinBudget {
                qc_cpu_relax()
                return true
            }
        }
        guard yields < IdleBackoff.yieldRounds else { return false }
        yields &+= 1
        sched_yield()
        return true
    }

    /// The thread found work: ends the idle period (adaptive learns how long it spun).
    @inline(__always)
    public mutating func worked() {
        guard steps != 0 else { return }
        if strategy == .adaptive && yields == 0 { learn(spun: Clock.monotonic() &- idleSince) }
        reset()
    }

    /// A park ended: ends the idle period (adaptive learns that spinning did not pay).
    public mutating func parked() {
        if strategy == .adaptive { learn(spun: 0) }
        reset()
    }

    private mutating func learn(spun: UInt64) {
        let sample = min(spun, IdleBackoff.maximumSpinNanoseconds)
        averageSpin = averageSpin &- averageSpin / 8 &+ sample / 8
        spinBudget = min(IdleBackoff.maximumSpinNanoseconds, IdleBackoff.minimumSpinNanoseconds &+ 2 &* averageSpin)
    }

    private mutating func reset() {
        steps = 0
        yields = 0
        idleSince = 0
    }
}

import CShim
import Glibc
import Synchronization
import System

/// A single-writer, many-reader broadcast ring of `Tick` slots: the feed thread writes every tick once,
/// and each reader (the multicast publisher, gateway loops, …) reads all of them at its own pace, with no
/// locks, no allocation and one copy in, one copy out.
///
/// Use: create the ring, then on each thread claim its handle (`makeWriter()` on the writer thread,
/// `makeReader(i)` on reader `i`'s thread). Handles are `~Copyable`: one writer, one handle per reader.
/// Gating readers gate the writer from the moment the ring exists (even before their thread claims the
/// handle), so start order does not matter. `close()` ends the stream: readers drain what was published
/// and then get `.closed`; parked threads wake.
///
/// Invariants: the writer's published cursor only grows; a gating reader's cursor is never more than
/// `capacity` behind it; a non-gating reader's cursor may be, and its next read then reports `.lapped`.
public final class BroadcastRing: Sendable {
    let memory: RingMemory
    /// The configuration the ring was built with.
    public let configuration: RingConfiguration
    /// Whether any reader is non-gating (then the writer must store slots with atomic words).
    let hasNonGatingReaders: Bool

    /// A ring shaped by `configuration`; throws when it is invalid or eventfds cannot be made.
    public init(_ configuration: RingConfiguration) throws(RingConfigurationError) {
        let capacity = configuration.capacity
        guard capacity >= 2, capacity & (capacity - 1) == 0 else { throw .capacityNotPowerOfTwo(capacity) }
        guard (1...64).contains(configuration.readers.count) else { throw .readerCount(configuration.readers.count) }
        guard (1...capacity).contains(configuration.publishBatch) else { throw .publishBatch(configuration.publishBatch) }
        precondition(RingLayout.tickTail == 0 || RingLayout.tickTail == 4, "Tick size must be a multiple of 4")
        precondition(RingLayout.payload + (RingLayout.tickWords + 1) * 8 <= RingLayout.slotSize,
                     "Tick no longer fits a 256-byte slot")
        let memory = RingMemory.allocate(capacity: capacity, readers: configuration.readers)
        var fds: [Int32] = []
        for _ in 0...configuration.readers.count {
            let fd = qc_wakeup_create()
            if fd < 0 {
                let error = errno
                fds.forEach { qc_wakeup_close($0) }
                memory.deallocate()
                throw .eventfd(error)
            }
            fds.append(fd)
        }
        memory.writerFD = fds[0]
        for r in 0..<configuration.readers.count { memory.setReaderFD(r, fds[r + 1]) }
        self.memory = memory
        self.configuration = configuration
        self.hasNonGatingReaders = configuration.readers.contains(.nonGating)
    }

    deinit {
        qc_wakeup_close(memory.writerFD)
        for r in 0..<memory.readerCount { qc_wakeup_close(memory.readerFD(r)) }
        memory.deallocate()
    }

    /// Number of slots.
    public var capacity: Int { memory.capacity }

    /// Number of readers.
    public var readerCount: Int { memory.readerCount }

    /// The writer handle; call it on the writer thread. `wait` is how it waits on a full gating reader
    /// (default: the configuration's). Traps if the writer was already claimed.
    public func makeWriter(wait: WaitStrategy? = nil) -> RingWriter {
        // CAS (acq_rel): exactly one caller wins the claim; ordering beyond that is moot.
        precondition(memory.writerClaimed.compareExchange(expected: 0, desired: 1), "ring writer claimed twice")
        return RingWriter(ring: self, wait: wait ?? configuration.wait)
    }

    /// The handle of reader `index`; call it on that reader's thread. `wait` is how its `next` waits
    /// (default: the configuration's; a non-critical reader such as a status line takes `.blocking`).
    /// Traps if `index` is out of range or the reader was already claimed (a reader is claimed once:
    /// its handle's end detaches it).
    public func makeReader(_ index: Int, wait: WaitStrategy? = nil) -> RingReader {
        precondition((0..<memory.readerCount).contains(index), "no ring reader \(index)")
        // CAS (acq_rel): exactly one caller wins the claim.
        precondition(memory.claimed(index).compareExchange(expected: 0, desired: 1), "ring reader \(index) claimed twice")
        return RingReader(ring: self, index: index, wait: wait ?? configuration.wait)
    }

    /// Ends the stream: readers drain what was published and then read `.closed`; a writer waiting on a
    /// full ring gives up. Wakes every parked thread. Idempotent; the writer should `flush()` first.
    public func close() {
        // Release: pairs with the acquire load in readers' empty path, so whatever the writer published
        // before closing is seen before `.closed` is.
        memory.closed.storeReleasing(1)
        // Sequentially consistent fence: the closed mark is ordered before the signals below, and parkers
        // re-check `closed` after their own fence, so none can sleep through the close.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        for r in 0..<memory.readerCount { _ = qc_wakeup_signal(memory.readerFD(r)) }
        _ = qc_wakeup_signal(memory.writerFD)
    }

    /// Whether `close()` was called.
    public var isClosed: Bool {
        // Acquiring: a caller that sees the close also sees what was published before it.
        memory.closed.loadAcquiring() != 0
    }

    /// A snapshot of the ring's counters and per-reader lag, for /metrics. Fields are read one by one
    /// (relaxed), so they are individually fresh, not one atomic cut.
    public func metrics() -> RingMetrics {
        // Relaxed everywhere below: monitoring only, no data is read through these values.
        let published = memory.publishedCursor.loadRelaxed()
        var readers: [RingReaderMetrics] = []
        readers.reserveCapacity(memory.readerCount)
        for r in 0..<memory.readerCount {
            let cursor = memory.cursor(r).loadRelaxed()
            readers.append(RingReaderMetrics(
                index: r, kind: memory.isGating(r) ? .gating : .nonGating, cursor: cursor,
                lag: max(0, published - cursor), attached: memory.attached(r).loadRelaxed() != 0,
                laps: memory.laps(r).loadRelaxed(), lostTicks: memory.lost(r).loadRelaxed(),
                parks: memory.parks(r).loadRelaxed(), wakeups: memory.wakeups(r).loadRelaxed()))
        }
        return RingMetrics(capacity: memory.capacity, published: published,
                           writerFullWaits: memory.fullWaits.loadRelaxed(), writerFails: memory.fails.loadRelaxed(),
                           writerParks: memory.writerParks.loadRelaxed(), wakeupsSent: memory.wakeupsSent.loadRelaxed(),
                           missedWakeups: memory.missedWakeups.loadRelaxed(), readers: readers)
    }

    /// Wakes every parked reader; called by the writer after a publish found `parkedReaders > 0`.
    ///
    /// It takes flags, never the count: the count is each reader's own (+1 in `prepareToPark`, −1 in
    /// `unpark`). A waker that also took one off the count could take it from a reader that had set its
    /// flag but not yet counted itself, leaving the count at 0 while another reader sleeps, so the next
    /// publish would skip this scan (docs/architecture.md, "The lost wakeup").
    @inline(never)
    func wakeParkedReaders() {
        for r in 0..<memory.readerCount {
            // Relaxed pre-check: a cheap filter; the exchange below decides. A parker's flag is visible
            // here: its count increment (a release RMW, and every later change of the count is an RMW
            // in its release sequence) is what the writer's acquire load of the count read.
            guard memory.parked(r).loadRelaxed() != 0 else { continue }
            // Acquire-release exchange: whoever turns 1 into 0 owns the wakeup.
            if memory.parked(r).exchangeAcquiringAndReleasing(0) == 1 {
                _ = qc_wakeup_signal(memory.readerFD(r))
                memory.wakeupsSent.bump()
            }
        }
    }

    /// Wakes the writer if it is parked on a full ring; called by gating readers that moved.
    @inline(never)
    func wakeWriter() {
        // Acquire-release exchange: exactly one waker turns the mark off and signals.
        if memory.writerParked.exchangeAcquiringAndReleasing(0) == 1 {
            _ = qc_wakeup_signal(memory.writerFD)
        }
    }
}

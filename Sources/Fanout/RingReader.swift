import CShim
import Market
import Synchronization
import System

/// Longest single sleep of a parked reader or writer. Parks are woken by the other side's signal; this
/// bound only matters if a signal is late (the signaller preempted) or lost: a park that finds a signal
/// owed at the timeout waits one more period, and counts a lost one in `RingMetrics.missedWakeups`. An
/// idle ring wakes each parked thread ten times a second: microseconds of CPU.
let parkSafetyMilliseconds: Int32 = 100

/// What one read from the ring produced.
public enum RingRead: Sendable, Equatable {
    /// The next tick was copied out.
    case tick
    /// Nothing new yet (only from `poll`, or from `next` with a timeout).
    case empty
    /// A non-gating reader was lapped: `lost` ticks were overwritten before it read them. The reader now
    /// stands at the newest published tick; its owner should resync (fresh snapshots), then read on.
    case lapped(lost: Int)
    /// The ring was closed and this reader has read everything published before the close.
    case closed
}

/// One reader's handle: its own cursor, its cached view of the writer's cursor, its wakeup eventfd.
///
/// Use it from one thread (it is `~Copyable`). `poll` never blocks; `next` waits by the handle's
/// `WaitStrategy` (`IdleBackoff`: spin, yield, then park on the reader's eventfd until the writer
/// publishes). An event loop that already sleeps in `epoll` can add
/// `wakeupDescriptor` to its set and bracket its sleep with `prepareToPark()` / `finishPark()`.
/// Ending the handle detaches the reader: a gating reader then no longer holds the writer back.
public struct RingReader: ~Copyable, Sendable {
    let ring: BroadcastRing
    let memory: RingMemory
    /// This reader's index.
    public let index: Int
    /// Whether this reader gates the writer.
    public let isGating: Bool
    /// Slots in the ring.
    public let capacity: Int
    /// How `next` waits: spin, yield, park (one value per reader, owned by its thread).
    var backoff: IdleBackoff
    let cursorCell: AtomicIntCell
    let parkedCell: AtomicIntCell
    /// The eventfd the writer signals when this reader is parked; readable means "look again".
    public let wakeupDescriptor: Int32
    /// Next ring sequence to read.
    var cursor: Int = 0
    /// The writer's published cursor as last seen (≥ `cursor`).
    var cachedPublished: Int = 0
    /// Whether a park begun by `prepareToPark()` has not ended yet: this reader's +1 is in the parked
    /// count and `unpark()` owes the −1.
    var parkPending = false

    init(ring: BroadcastRing, index: Int, wait: WaitStrategy) {
        self.ring = ring
        memory = ring.memory
        self.index = index
        isGating = memory.isGating(index)
        capacity = memory.capacity
        backoff = IdleBackoff(wait)
        cursorCell = memory.cursor(index)
        parkedCell = memory.parked(index)
        wakeupDescriptor = memory.readerFD(index)
        // Acquire: pairs with the cursor's own initial store; a reader starts where its group says.
        cursor = cursorCell.loadAcquiring()
        cachedPublished = cursor
    }

    deinit {
        // Release: this reader's slot reads happen before the writer, which acquires `attached`, reuses them.
        memory.attached(index).storeReleasing(0)
        // Sequentially consistent fence (Dekker with the writer's park): either it sees the detach or we see
        // its parked mark and wake it.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        // Relaxed: ordered by the fence above.
        if memory.writerParked.loadRelaxed() != 0 { ring.wakeWriter() }
        if parkPending { withdrawPark() }
    }

    /// Next ring sequence this reader will read (ticks read + ticks lost).
    public var position: Int { cursor }

    /// Published ticks this reader has not read yet.
    public var lag: Int {
        // Relaxed: a monitoring figure; nothing is read through it.
        max(0, memory.publishedCursor.loadRelaxed() &- cursor)
    }

    /// Copies the next tick into `tick` if there is one; never blocks.
    @inline(__always)
    public mutating func poll(into tick: inout Tick) -> RingRead {
        if cursor == cachedPublished {
            // Acquire: pairs with the writer's release publish, so every slot below it is complete.
            cachedPublished = memory.publishedCursor.loadAcquiring()
            if cursor == cachedPublished { return emptyOrClosed() }
        }
        guard isGating else { return pollNonGating(into: &tick) }
        memory.slot(cursor).loadPlain(into: &tick)
        cursor &+= 1
        // Release: our copy of the slot happens before the writer, which acquires this cursor, reuses it.
        cursorCell.storeReleasing(cursor)
        // Relaxed: a cheap hint for a writer parked on a full ring; the fenced check in `prepareToPark`
        // (reached once we run dry) is what guarantees it is not left asleep.
        if memory.writerParked.loadRelaxed() != 0 { ring.wakeWriter() }
        return .tick
    }

    /// The seqlock read of a slot the writer may be overwriting.
    @inline(__always)
    mutating func pollNonGating(into tick: inout Tick) -> RingRead {
        if cachedPublished &- cursor > capacity { return skipLap() }
        let slot = memory.slot(cursor)
        let expected = cursor &+ 1
        // Acquire: pairs with the writer's release stamp store, so the payload of that write is visible.
        if slot.stamp.loadAcquiring() == expected {
            slot.loadAtomically(into: &tick)
            // Acquire fence: orders the payload loads before the re-check; if any load saw a later write,
            // the re-check sees that write's begin mark (0) or a later stamp.
            atomicMemoryFence(ordering: .acquiring)
            // Relaxed: ordered by the fence above.
            if slot.stamp.loadRelaxed() == expected {
                cursor = expected
                // Relaxed: a non-gating cursor only feeds the lag metric; nobody synchronizes on it.
                cursorCell.storeRelaxed(cursor)
                return .tick
            }
        }
        return skipLap()
    }

    /// Moves a lapped reader to the newest published tick and counts what it lost.
    @inline(never)
    mutating func skipLap() -> RingRead {
        // Acquire: the slots below the new position are complete.
        let newest = memory.publishedCursor.loadAcquiring()
        let lost = newest &- cursor
        cursor = newest
        cachedPublished = newest
        // Relaxed: metrics only (see `pollNonGating`).
        cursorCell.storeRelaxed(cursor)
        memory.laps(index).bump()
        memory.lost(index).bump(by: lost)
        return .lapped(lost: lost)
    }

    @inline(never)
    mutating func emptyOrClosed() -> RingRead {
        // Acquire: pairs with `close()`'s release store; the last publish before it is then visible below.
        guard memory.closed.loadAcquiring() != 0 else { return .empty }
        // Acquire: as in `poll`.
        cachedPublished = memory.publishedCursor.loadAcquiring()
        return cursor == cachedPublished ? .closed : .empty
    }

    /// How this reader's `next` waits.
    public var waitStrategy: WaitStrategy { backoff.strategy }

    /// Copies the next tick into `tick`, waiting for one by the handle's `WaitStrategy` (spin, yield,
    /// then park on the eventfd until the writer publishes). Returns `.tick`, `.lapped` or `.closed`, or
    /// `.empty` when `timeoutMilliseconds` (≥ 0) passed in one park without a wakeup (or, spinning, since
    /// the call began).
    public mutating func next(into tick: inout Tick, timeoutMilliseconds: Int32 = -1) -> RingRead {
        var spinDeadline: UInt64 = 0
        while true {
            let result = poll(into: &tick)
            guard result == .empty else {
                backoff.worked()
                return result
            }
            if backoff.idle() {
                // A strategy that never parks still honours the timeout (the clock only costs while spinning).
                if timeoutMilliseconds >= 0, backoff.strategy == .spinning {
                    let now = Clock.monotonic()
                    if spinDeadline == 0 { spinDeadline = now &+ UInt64(timeoutMilliseconds) &* 1_000_000 }
                    if now >= spinDeadline {
                        backoff.worked()
                        return .empty
                    }
                }
                continue
            }
            if prepareToPark() {
                // Never sleep longer than the safety timeout: should a wakeup ever be lost, the reader
                // still looks again within `parkSafetyMilliseconds` (and the loss is counted).
                let wait = timeoutMilliseconds < 0 ? parkSafetyMilliseconds
                                                   : min(timeoutMilliseconds, parkSafetyMilliseconds)
                var signalled = qc_wakeup_wait(wakeupDescriptor, wait)
                if signalled == 0, wait == parkSafetyMilliseconds, isSignalOwed {
                    // The writer owes a signal and has not sent it. Late (a writer preempted between its
                    // publish and its wakeup scan; on a loaded machine that is common) or lost: one more
                    // safety period tells which. Only a lost one is counted. Relaxed: a statistic.
                    signalled = qc_wakeup_wait(wakeupDescriptor, parkSafetyMilliseconds)
                    if signalled == 0 { memory.missedWakeups.addRelaxed(1) }
                }
                if signalled == 1 { memory.wakeups(index).bump() }
                unpark()
                backoff.parked()
                if signalled == 0 {
                    let result = poll(into: &tick)
                    if result != .empty { return result }
                    if timeoutMilliseconds >= 0 { return .empty }
                }
            }
        }
    }

    /// Whether a parked reader is owed a signal: ticks were published after its re-check and its flag
    /// is still up. The writer published after our fenced re-check, so its fenced load of the count saw
    /// our +1 (Dekker), and its scan will take the flag and signal.
    var isSignalOwed: Bool {
        // Relaxed: our own flag; acquire: as in `poll`.
        parkedCell.loadRelaxed() == 1 && memory.publishedCursor.loadAcquiring() != cursor
    }

    /// Marks this reader parked so the writer signals `wakeupDescriptor` on its next publish. Returns
    /// `true` when the caller may now sleep on the descriptor (then call `finishPark()` after waking);
    /// `false` when ticks (or the close) are already there: read on instead, nothing to undo.
    public mutating func prepareToPark() -> Bool {
        // Relaxed: made visible to the writer by the release half of the count increment below.
        parkedCell.storeRelaxed(1)
        // Sequentially consistent: the RMW and the fence after it are our half of the Dekker pair with
        // the writer's publish (cursor store; fence; count load): one of us sees the other's store.
        memory.parkedReaders.addSequentiallyConsistent(1)
        parkPending = true
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        // Relaxed: ordered by the fence above (our cursor store precedes it; the writer fences too).
        if isGating, memory.writerParked.loadRelaxed() != 0 { ring.wakeWriter() }
        // Acquire (both): as in `poll` / `emptyOrClosed`.
        if memory.publishedCursor.loadAcquiring() != cursor || memory.closed.loadAcquiring() != 0 {
            unpark()
            return false
        }
        memory.parks(index).bump()
        return true
    }

    /// Ends a park begun by `prepareToPark()`: withdraws the parked mark and drains the eventfd.
    /// Harmless when no park is pending.
    public mutating func finishPark() {
        qc_wakeup_drain(wakeupDescriptor)
        if parkPending { unpark() }
    }

    /// Ends the pending park.
    mutating func unpark() {
        parkPending = false
        withdrawPark()
    }

    /// Takes the parked flag back if the writer has not, and this reader's own +1 off the parked count.
    func withdrawPark() {
        // Acquire-release exchange: if the flag is still ours no wakeup is coming; otherwise the writer
        // took it and signalled (a stale signal then causes one spurious wakeup, nothing worse).
        _ = parkedCell.exchangeAcquiringAndReleasing(0)
        // Relaxed, but a read-modify-write: every change of the count must be one, so that the writer's
        // acquire load of any later value still synchronizes with a parker's increment (the release
        // sequence, see `BroadcastRing.wakeParkedReaders`). The −1 is always ours to take.
        memory.parkedReaders.addRelaxed(-1)
    }
}

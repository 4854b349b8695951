import CShim
import Market
import Synchronization
import System

/// The ring's only writer: copies ticks into slots and publishes them in batches with one release store.
///
/// Use it from one thread (it is `~Copyable`, so it cannot be shared or duplicated). Ticks written are
/// invisible to readers until published: `write` publishes by itself every `publishBatch` ticks, and
/// `flush()` publishes the rest (call it at the end of each input packet). Ending the handle publishes
/// whatever is pending.
public struct RingWriter: ~Copyable, Sendable {
    let ring: BroadcastRing
    let memory: RingMemory
    let capacity: Int
    let batch: Int
    let policy: RingFullPolicy
    /// How it waits on a full gating reader under `.wait`: spin, yield, park (`IdleBackoff`).
    var backoff: IdleBackoff
    let atomicSlots: Bool
    /// Next ring sequence to write.
    var next: Int = 0
    /// The last value stored to the published cursor.
    var published: Int = 0
    /// Cached exclusive bound for `next`: the slowest attached gating reader's cursor + capacity
    /// (`Int.max` without gating readers). Re-read only when `next` reaches it.
    var limit: Int

    init(ring: BroadcastRing, wait: WaitStrategy) {
        self.ring = ring
        memory = ring.memory
        capacity = memory.capacity
        batch = ring.configuration.publishBatch
        policy = ring.configuration.fullPolicy
        backoff = IdleBackoff(wait)
        atomicSlots = ring.hasNonGatingReaders
        limit = 0
        limit = gatingLimit()
    }

    deinit {
        if next != published { RingWriter.publish(next, memory: memory, ring: ring) }
    }

    /// Ticks written so far (published or not).
    public var written: Int { next }

    /// Ticks written but not yet published.
    public var pending: Int { next &- published }

    /// Writes one tick. Returns `false` only when it was not written: a gating reader is full under
    /// `.fail`, or the ring was closed while waiting under `.wait`.
    @inline(__always)
    public mutating func write(_ tick: borrowing Tick) -> Bool {
        if next == limit, !makeRoom() { return false }
        let slot = memory.slot(next)
        if atomicSlots {
            // Relaxed: the begin mark only has to precede the payload stores, which the release fence
            // below ensures (seqlock writer protocol); non-gating readers re-check the stamp after copying.
            slot.stamp.storeRelaxed(0)
            // Release fence: a reader whose relaxed payload loads see any store below, and which then
            // issues its acquire fence, is guaranteed to see the begin mark (or later) on its re-check.
            atomicMemoryFence(ordering: .releasing)
            slot.storeAtomically(tick)
            // Release: a reader that acquires this stamp sees the whole payload.
            slot.stamp.storeReleasing(next &+ 1)
        } else {
            // No non-gating reader exists: nobody reads a slot the writer may be writing (gating readers
            // released it, the cursor publish orders it before their reads), so a plain copy is safe and
            // no stamp is needed.
            slot.storePlain(tick)
        }
        next &+= 1
        if next &- published >= batch { publish(next) }
        return true
    }

    /// Publishes every written tick and wakes parked readers, if any.
    @inline(__always)
    public mutating func flush() {
        if next != published { publish(next) }
    }

    @inline(__always)
    mutating func publish(_ cursor: Int) {
        RingWriter.publish(cursor, memory: memory, ring: ring)
        published = cursor
    }

    @inline(__always)
    static func publish(_ cursor: Int, memory: RingMemory, ring: BroadcastRing) {
        // Release: every slot written before it (payload and stamp) is visible to a reader that acquires
        // the cursor.
        memory.publishedCursor.storeReleasing(cursor)
        // Sequentially consistent fence (Dekker with `RingReader.park`): either a parking reader's re-check
        // sees this cursor, or the load below sees its parked count.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        // Acquire: pairs with the parker's count increment, so its parked flag is visible to the wakeup scan.
        if memory.parkedReaders.loadAcquiring() != 0 { ring.wakeParkedReaders() }
    }

    /// The slowest attached gating reader's cursor plus capacity (`Int.max` if there is none).
    func gatingLimit() -> Int {
        var slowest = Int.max
        for r in 0..<memory.readerCount where memory.isGating(r) {
            // Acquire: pairs with the reader's release store of its cursor/detach, so its reads of the
            // slots it released happen before this writer reuses them.
            guard memory.attached(r).loadAcquiring() != 0 else { continue }
            // Acquire: as above.
            slowest = min(slowest, memory.cursor(r).loadAcquiring())
        }
        return slowest == Int.max ? Int.max : slowest &+ capacity
    }

    /// Refreshes the cached limit; when a gating reader is really full, applies the full policy.
    @inline(never)
    mutating func makeRoom() -> Bool {
        limit = gatingLimit()
        if next < limit { return true }
        // Gating readers can only catch up on what is published.
        flush()
        switch policy {
        case .fail:
            memory.fails.bump()
            return false
        case .wait:
            memory.fullWaits.bump()
            while true {
                limit = gatingLimit()
                if next < limit || ring.isClosed {
                    backoff.worked()
                    return next < limit
                }
                if backoff.idle() { continue }
                parkUntilRoom()
                backoff.parked()
            }
        }
    }

    /// Sleeps on the writer's eventfd until a gating reader moves (or the ring closes).
    mutating func parkUntilRoom() {
        // Relaxed store + sequentially consistent fence (Dekker with the readers' cursor store + fence +
        // `writerParked` load): either the re-check below sees their new cursor, or they see this mark.
        memory.writerParked.storeRelaxed(1)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        limit = gatingLimit()
        if next < limit || ring.isClosed {
            // Relaxed: taking our own mark back; a concurrent waker may also clear it and signal, which
            // leaves a stale signal that only causes one spurious wakeup later.
            memory.writerParked.storeRelaxed(0)
            return
        }
        memory.writerParks.bump()
        var signalled = qc_wakeup_wait(memory.writerFD, parkSafetyMilliseconds)
        // Relaxed: our own mark (a reader that takes it signals).
        if signalled == 0, memory.writerParked.loadRelaxed() == 1, gatingLimit() > next {
            // Room, and no reader took the mark: a signal is owed. Late (a reader preempted between its
            // cursor store and its wake) or lost: one more safety period tells which, as for readers.
            signalled = qc_wakeup_wait(memory.writerFD, parkSafetyMilliseconds)
            // Relaxed: a statistic.
            if signalled == 0 { memory.missedWakeups.addRelaxed(1) }
        }
        // Relaxed: as above; a reader clearing it concurrently leaves a stale signal, one spurious wakeup.
        memory.writerParked.storeRelaxed(0)
    }
}

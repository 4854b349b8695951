import Market
import Synchronization

/// A pointer to one `Atomic<Int>` that lives in the ring's raw memory.
///
/// Invariant: `pointer` addresses an initialized `Atomic<Int>` inside a `RingMemory` block that outlives
/// every copy of this value (the block is freed only by `BroadcastRing.deinit`, after every handle,
/// which holds the ring, is gone).
struct AtomicIntCell: @unchecked Sendable {
    // @unchecked: a plain pointer to an atomic; every access goes through the atomic's own operations.
    let pointer: UnsafeMutablePointer<Atomic<Int>>

    @inline(__always) func loadRelaxed() -> Int { pointer.pointee.load(ordering: .relaxed) }
    @inline(__always) func loadAcquiring() -> Int { pointer.pointee.load(ordering: .acquiring) }
    @inline(__always) func storeRelaxed(_ value: Int) { pointer.pointee.store(value, ordering: .relaxed) }
    @inline(__always) func storeReleasing(_ value: Int) { pointer.pointee.store(value, ordering: .releasing) }
    @inline(__always) func exchangeAcquiringAndReleasing(_ value: Int) -> Int {
        pointer.pointee.exchange(value, ordering: .acquiringAndReleasing)
    }
    @inline(__always) func addRelaxed(_ value: Int) {
        _ = pointer.pointee.wrappingAdd(value, ordering: .relaxed)
    }
    @inline(__always) func addSequentiallyConsistent(_ value: Int) {
        _ = pointer.pointee.wrappingAdd(value, ordering: .sequentiallyConsistent)
    }
    @inline(__always) func compareExchange(expected: Int, desired: Int) -> Bool {
        pointer.pointee.compareExchange(expected: expected, desired: desired,
                                        ordering: .acquiringAndReleasing).exchanged
    }

    /// Adds one to a counter that only the calling thread writes (a load and a store, not an RMW).
    /// Relaxed both ways: counters order nothing, /metrics readers only need an eventually fresh value.
    @inline(__always) func bump(by amount: Int = 1) {
        storeRelaxed(loadRelaxed() &+ amount)
    }
}

/// Every offset of the ring's memory, in one place (Agrona's `RecordDescriptor` style).
///
/// One raw block, 128-byte aligned:
/// ```
/// [writer line]  publishedCursor                                 written per batch by the writer
/// [parking line] parkedReaders, writerParked, closed, writerClaimed   written rarely, read often
/// [writer stats] fullWaits, fails, parks, wakeupsSent, writerFD, missedWakeups (any thread, atomic add)
/// [reader i]     cursor, parked, attached, claimed, laps, lost, parks, wakeups, fd, kind
/// [slots]        capacity × 256-byte slot: stamp word, then the tick as 8-byte words
/// ```
/// Each group sits on its own 128-byte unit (two cache lines, so the adjacent-line prefetcher cannot
/// make two writers share one either).
enum RingLayout {
    /// Padding unit of every control group.
    static let line = 128
    static let writerLine = 0
    static let parkingLine = line
    static let writerStatsLine = 2 * line
    static func readerLine(_ index: Int) -> Int { 3 * line + index * line }

    // Parking line fields.
    static let parkedReaders = 0
    static let writerParked = 8
    static let closed = 16
    static let writerClaimed = 24

    // Writer stats fields.
    static let fullWaits = 0
    static let fails = 8
    static let writerParks = 16
    static let wakeupsSent = 24
    static let writerFD = 32 // Int32, written once before any thread starts
    static let missedWakeups = 40

    // Reader group fields.
    static let cursor = 0
    static let parked = 8
    static let attached = 16
    static let claimed = 24
    static let laps = 32
    static let lost = 40
    static let parks = 48
    static let wakeups = 56
    static let readerFD = 64 // Int32, written once before any thread starts
    static let kind = 72 // Int, 1 = gating, written once before any thread starts

    /// Bytes of one slot: an 8-byte stamp, then the tick rounded up to 8-byte words; four cache lines.
    static let slotSize = 256
    /// Offset of the tick within a slot.
    static let payload = 8
    /// Bytes of the tick (`MemoryLayout<Tick>.size`).
    static let tickBytes = MemoryLayout<Tick>.size
    /// Whole 8-byte words of the tick.
    static let tickWords = tickBytes / 8
    /// Bytes past the last whole word (0 or 4, checked at start).
    static let tickTail = tickBytes % 8

    static func controlBytes(readers: Int) -> Int { readerLine(readers) }
}

/// The ring's raw memory: control groups and slots, and typed views onto them.
///
/// Invariants: allocated and fully initialized by `allocate` before any thread sees it; freed once by
/// `deallocate` from `BroadcastRing.deinit`. `mask == capacity - 1`. Slot `i` is at
/// `slots + i * RingLayout.slotSize`, 64-byte aligned. The immutable fields (fds, kinds) are written
/// before the ring is shared and never again.
struct RingMemory: @unchecked Sendable {
    // @unchecked: a bundle of pointers; shared mutable state behind them is only touched through
    // atomics (control words, stamps, payload words) or under the ring's happens-before protocol
    // (gating readers' plain copies of slots the writer cannot be writing).
    let base: UnsafeMutableRawPointer
    let slots: UnsafeMutableRawPointer
    let capacity: Int
    let mask: Int
    let readerCount: Int

    static func allocate(capacity: Int, readers: [RingReaderKind]) -> RingMemory {
        let control = RingLayout.controlBytes(readers: readers.count)
        let total = control + capacity * RingLayout.slotSize
        let base = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: RingLayout.line)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: total)
        let memory = RingMemory(base: base, slots: base + control, capacity: capacity, mask: capacity - 1,
                                readerCount: readers.count)
        func initAtomic(_ offset: Int) {
            (base + offset).bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
        }
        for field in [RingLayout.parkedReaders, RingLayout.writerParked, RingLayout.closed,
                      RingLayout.writerClaimed] { initAtomic(RingLayout.parkingLine + field) }
        initAtomic(RingLayout.writerLine)
        for field in [RingLayout.fullWaits, RingLayout.fails, RingLayout.writerParks, RingLayout.wakeupsSent,
                      RingLayout.missedWakeups] {
            initAtomic(RingLayout.writerStatsLine + field)
        }
        for (index, kind) in readers.enumerated() {
            let line = RingLayout.readerLine(index)
            for field in [RingLayout.cursor, RingLayout.parked, RingLayout.attached, RingLayout.claimed,
                          RingLayout.laps, RingLayout.lost, RingLayout.parks, RingLayout.wakeups] {
                initAtomic(line + field)
            }
            (base + line + RingLayout.kind).storeBytes(of: kind == .gating ? 1 : 0, as: Int.self)
            memory.attached(index).storeRelaxed(1) // before any thread exists: ordering is moot
        }
        for slot in 0..<capacity {
            let s = base.advanced(by: control + slot * RingLayout.slotSize)
            s.bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
            let words = (s + RingLayout.payload).bindMemory(to: Atomic<UInt64>.self, capacity: 31)
            for w in 0..<31 { (words + w).initialize(to: Atomic(0)) }
        }
        return memory
    }

    func deallocate() { base.deallocate() }

    @inline(__always) func cell(_ offset: Int) -> AtomicIntCell {
        AtomicIntCell(pointer: (base + offset).assumingMemoryBound(to: Atomic<Int>.self))
    }

    // Writer line and parking line.
    var publishedCursor: AtomicIntCell { cell(RingLayout.writerLine) }
    var parkedReaders: AtomicIntCell { cell(RingLayout.parkingLine + RingLayout.parkedReaders) }
    var writerParked: AtomicIntCell { cell(RingLayout.parkingLine + RingLayout.writerParked) }
    var closed: AtomicIntCell { cell(RingLayout.parkingLine + RingLayout.closed) }
    var writerClaimed: AtomicIntCell { cell(RingLayout.parkingLine + RingLayout.writerClaimed) }
    var fullWaits: AtomicIntCell { cell(RingLayout.writerStatsLine + RingLayout.fullWaits) }
    var fails: AtomicIntCell { cell(RingLayout.writerStatsLine + RingLayout.fails) }
    var writerParks: AtomicIntCell { cell(RingLayout.writerStatsLine + RingLayout.writerParks) }
    var wakeupsSent: AtomicIntCell { cell(RingLayout.writerStatsLine + RingLayout.wakeupsSent) }
    /// Parks that ended by their safety timeout and found work waiting (a wakeup that never came).
    /// Several threads add to it: updated with an atomic add, never with `bump`.
    var missedWakeups: AtomicIntCell { cell(RingLayout.writerStatsLine + RingLayout.missedWakeups) }
    var writerFD: Int32 {
        get { (base + RingLayout.writerStatsLine + RingLayout.writerFD).load(as: Int32.self) }
        nonmutating set { (base + RingLayout.writerStatsLine + RingLayout.writerFD).storeBytes(of: newValue, as: Int32.self) }
    }

    // Reader groups.
    @inline(__always) func cursor(_ r: Int) -> AtomicIntCell { cell(RingLayout.readerLine(r) + RingLayout.cursor) }
    @inline(__always) func parked(_ r: Int) -> AtomicIntCell { cell(RingLayout.readerLine(r) + RingLayout.parked) }
    @inline(__always) func attached(_ r: Int) -> AtomicIntCell { cell(RingLayout.readerLine(r) + RingLayout.attached) }
    @inline(__always) func claimed(_ r: Int) -> AtomicIntCell { cell(RingLayout.readerLine(r) + RingLayout.claimed) }
    @inline(__always) func laps(_ r: Int) -> AtomicIntCell { cell(RingLayout.readerLine(r) + RingLayout.laps) }
    @inline(__always) func lost(_ r: Int) -> AtomicIntCell { cell(RingLayout.readerLine(r) + RingLayout.lost) }
    @inline(__always) func parks(_ r: Int) -> AtomicIntCell { cell(RingLayout.readerLine(r) + RingLayout.parks) }
    @inline(__always) func wakeups(_ r: Int) -> AtomicIntCell { cell(RingLayout.readerLine(r) + RingLayout.wakeups) }
    func readerFD(_ r: Int) -> Int32 {
        (base + RingLayout.readerLine(r) + RingLayout.readerFD).load(as: Int32.self)
    }
    func setReaderFD(_ r: Int, _ fd: Int32) {
        (base + RingLayout.readerLine(r) + RingLayout.readerFD).storeBytes(of: fd, as: Int32.self)
    }
    func isGating(_ r: Int) -> Bool {
        (base + RingLayout.readerLine(r) + RingLayout.kind).load(as: Int.self) == 1
    }

    // Slots.
    @inline(__always) func slot(_ sequence: Int) -> SlotRef {
        SlotRef(base: slots + (sequence & mask) &* RingLayout.slotSize)
    }
}

/// One slot: a stamp word and the tick stored as relaxed-atomic 8-byte words (a seqlock record).
///
/// Stamp protocol: `0` while the writer is (re)writing the slot, `sequence + 1` once the tick with
/// that ring sequence is complete. Stamps of one slot only grow, apart from the transient `0`, so a
/// reader that sees the same `sequence + 1` before and after its copy copied exactly that tick.
///
/// Invariant: `base` is a slot inside a live `RingMemory`.
struct SlotRef {
    let base: UnsafeMutableRawPointer

    @inline(__always) var stamp: AtomicIntCell {
        AtomicIntCell(pointer: base.assumingMemoryBound(to: Atomic<Int>.self))
    }

    @inline(__always) func word(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (base + RingLayout.payload).assumingMemoryBound(to: Atomic<UInt64>.self) + index
    }

    /// Stores `tick` word by word with relaxed atomic stores (racing readers are non-gating ones, which
    /// validate the stamp; relaxed stores keep that race defined and TSan-clean).
    @inline(__always) func storeAtomically(_ tick: borrowing Tick) {
        withUnsafeBytes(of: tick) { src in
            for w in 0..<RingLayout.tickWords {
                // Relaxed: the stamp's release store (after this) is what publishes the payload.
                word(w).pointee.store(src.loadUnaligned(fromByteOffset: w &* 8, as: UInt64.self), ordering: .relaxed)
            }
            if RingLayout.tickTail == 4 {
                let tail = src.loadUnaligned(fromByteOffset: RingLayout.tickWords &* 8, as: UInt32.self)
                // Relaxed: as above.
                word(RingLayout.tickWords).pointee.store(UInt64(tail), ordering: .relaxed)
            }
        }
    }

    /// Stores `tick` with a plain copy; only when no reader can be reading this slot concurrently (a ring
    /// without non-gating readers: the writer only reuses a slot every gating reader has released).
    @inline(__always) func storePlain(_ tick: borrowing Tick) {
        withUnsafeBytes(of: tick) { src in
            (base + RingLayout.payload).copyMemory(from: src.baseAddress!, byteCount: RingLayout.tickBytes)
        }
    }

    /// Loads the tick word by word with relaxed atomic loads; the caller validates the stamp around it.
    @inline(__always) func loadAtomically(into tick: inout Tick) {
        withUnsafeMutableBytes(of: &tick) { dst in
            for w in 0..<RingLayout.tickWords {
                // Relaxed: the caller's acquire fence + stamp re-check decides whether these are valid.
                dst.storeBytes(of: word(w).pointee.load(ordering: .relaxed), toByteOffset: w &* 8, as: UInt64.self)
            }
            if RingLayout.tickTail == 4 {
                // Relaxed: as above.
                let tail = UInt32(truncatingIfNeeded: word(RingLayout.tickWords).pointee.load(ordering: .relaxed))
                dst.storeBytes(of: tail, toByteOffset: RingLayout.tickWords &* 8, as: UInt32.self)
            }
        }
    }

    /// Loads the tick with a plain copy; only for a gating reader (the writer cannot touch this slot
    /// until the reader's cursor release-store says it is done with it).
    @inline(__always) func loadPlain(into tick: inout Tick) {
        withUnsafeMutableBytes(of: &tick) { dst in
            dst.baseAddress!.copyMemory(from: base + RingLayout.payload, byteCount: RingLayout.tickBytes)
        }
    }
}

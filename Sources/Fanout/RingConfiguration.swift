import System

/// What a reader of the broadcast ring is allowed to lose.
public enum RingReaderKind: Sendable, Equatable {
    /// The writer never overtakes this reader: it sees every tick (the multicast publisher, a recorder).
    /// When it is a whole ring behind, the writer applies its `RingFullPolicy`.
    case gating
    /// The writer may lap this reader. It detects the lap (a torn or overwritten slot is never taken for
    /// a tick), reports how many ticks it lost and continues from the newest tick (a gateway, which then
    /// resyncs its clients from fresh snapshots).
    case nonGating
}

/// What the writer does when a gating reader is a whole ring behind.
public enum RingFullPolicy: Sendable, Equatable {
    /// Wait (the configuration's `WaitStrategy`) until a gating reader frees a slot (counted as a full-wait).
    case wait
    /// `RingWriter.write` returns `false` at once; the tick is not written (counted as a fail).
    case fail
}

/// The shape of a broadcast ring, fixed at start.
///
/// Invariants (checked by `BroadcastRing.init`): `capacity` is a power of two ≥ 2; 1…64 readers;
/// `publishBatch` in 1…capacity.
public struct RingConfiguration: Sendable {
    /// Number of slots; a power of two. Default 65 536 slots (16 MiB of 256-byte slots), enough for a
    /// reader descheduled for ~12 ms at a few million ticks per second.
    public var capacity: Int
    /// The readers, by index: `makeReader(i)` hands out reader `i` of kind `readers[i]`.
    public var readers: [RingReaderKind]
    /// The writer's policy when a gating reader is full. Default `.wait`.
    public var fullPolicy: RingFullPolicy
    /// Writes the writer may hold unpublished before `write` publishes them itself (the batch of one
    /// release store). `flush()` publishes earlier. Default 32.
    public var publishBatch: Int
    /// How a reader with nothing to read, and the writer waiting on a full gating reader, wait (spin,
    /// yield, park: `IdleBackoff`), unless their handle is made with another. Default `.adaptive`.
    public var wait: WaitStrategy

    /// A configuration with the documented defaults for everything but the readers.
    public init(capacity: Int = 65_536, readers: [RingReaderKind], fullPolicy: RingFullPolicy = .wait,
                publishBatch: Int = 32, wait: WaitStrategy = .adaptive) {
        self.capacity = capacity
        self.readers = readers
        self.fullPolicy = fullPolicy
        self.publishBatch = publishBatch
        self.wait = wait
    }
}

/// Why a `RingConfiguration` was refused, or the ring's resources could not be made.
public enum RingConfigurationError: Error, Equatable, Sendable {
    /// `capacity` is not a power of two ≥ 2.
    case capacityNotPowerOfTwo(Int)
    /// The reader count is outside 1…64.
    case readerCount(Int)
    /// `publishBatch` is outside 1…capacity.
    case publishBatch(Int)
    /// `eventfd` failed with this errno.
    case eventfd(Int32)
}

import Glibc

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
    /// Spin briefly, then park until a gating reader frees a slot (counted as a full-wait).
    case wait
    /// `RingWriter.write` returns `false` at once; the tick is not written (counted as a fail).
    case fail
}

/// The shape of a broadcast ring, fixed at start.
///
/// Invariants (checked by `BroadcastRing.init`): `capacity` is a power of two ≥ 2; 1…64 readers;
/// `publishBatch` in 1…capacity; `spinIterations` ≥ 0.
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
    /// `qc_cpu_relax` rounds a waiting reader (or full writer) spins before it parks. Default 2000
    /// (a few tens of microseconds).
    public var spinIterations: Int

    /// A configuration with the documented defaults for everything but the readers.
    public init(capacity: Int = 65_536, readers: [RingReaderKind], fullPolicy: RingFullPolicy = .wait,
                publishBatch: Int = 32, spinIterations: Int = 2000) {
        self.capacity = capacity
        self.readers = readers
        self.fullPolicy = fullPolicy
        self.publishBatch = publishBatch
        self.spinIterations = spinIterations
    }

    /// Spin rounds for a ring whose threads hand work along a chain (a feed node's ring → its
    /// publisher; a gateway node's receiver → its ring → the gateway) on this machine: the default
    /// with 4 or more online processors; 200 below that, where the threads outnumber the cores and a
    /// long spin only holds up the thread it waits for. Measured with `quotecast-bench mcast.hop` on
    /// 2 vCPUs at 100 000 ticks/s (interleaved runs): hop p50 59–64 µs with 200, 120–270 µs with 2000,
    /// 52–67 µs with 0 (but a p99 of milliseconds, every wait then a park).
    public static var chainSpinIterations: Int {
        sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 4 ? 2000 : 200
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
    /// `spinIterations` is negative.
    case spinIterations(Int)
    /// `eventfd` failed with this errno.
    case eventfd(Int32)
}

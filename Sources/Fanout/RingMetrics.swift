/// The ring's counters and per-reader lag, as a plain value for /metrics.
public struct RingMetrics: Sendable, Equatable {
    /// Number of slots.
    public var capacity: Int
    /// Ticks published so far (the writer's cursor).
    public var published: Int
    /// Times the writer found a gating reader full under `.wait` and had to wait.
    public var writerFullWaits: Int
    /// Writes refused because a gating reader was full under `.fail`.
    public var writerFails: Int
    /// Times the writer parked (slept on its eventfd) waiting for a gating reader.
    public var writerParks: Int
    /// Wakeup signals the writer sent to parked readers.
    public var wakeupsSent: Int
    /// Wakeups that never came: parks (reader or writer) that found work owed to them at their safety
    /// timeout and got no signal in one more timeout period (docs/architecture.md, "Safety timeout").
    /// Expected 0; anything else is a bug in the parking protocol.
    public var missedWakeups: Int
    /// One entry per reader, by index.
    public var readers: [RingReaderMetrics]
}

/// One reader's position and counters.
public struct RingReaderMetrics: Sendable, Equatable {
    /// The reader's index.
    public var index: Int
    /// Gating or non-gating.
    public var kind: RingReaderKind
    /// Next sequence the reader will read.
    public var cursor: Int
    /// Published ticks the reader has not read yet (writer cursor − reader cursor, ≥ 0).
    public var lag: Int
    /// Whether the reader still counts (a detached gating reader no longer gates the writer).
    public var attached: Bool
    /// Laps detected (non-gating readers only).
    public var laps: Int
    /// Ticks skipped because of laps.
    public var lostTicks: Int
    /// Times the reader parked on its eventfd.
    public var parks: Int
    /// Times the reader woke from a park by a signal.
    public var wakeups: Int
}

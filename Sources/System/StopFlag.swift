import Synchronization

/// A flag one thread raises and others poll: the daemon's stop request, or one stage's.
public final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    /// A flag not raised yet.
    public init() {}

    /// Asks every stage that polls this flag to stop.
    public func raise() {
        // Relaxed: stages only need to see it eventually; what they publish is ordered by the ring.
        raised.store(true, ordering: .relaxed)
    }

    /// Whether a stop was asked for.
    public var isRaised: Bool { raised.load(ordering: .relaxed) }
}

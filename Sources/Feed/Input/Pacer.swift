import System

/// Paces a stream at `rate` items per second against CLOCK_MONOTONIC, in batches of what is due:
/// between batches the thread sleeps to an absolute deadline (`DeadlineSleeper`), never spins, and a
/// late wakeup is made up by a larger next batch rather than by drifting.
///
/// Batches go on a grid of `batchInterval` (1 ms) from the start: a wakeup is the first grid point at
/// or after the next item's due time, so at 10 000 items/s a wakeup sends the ten items due, at 100
/// items/s each item goes at its own time (at most one interval late), and a late wakeup does not
/// shift later ones. Each batch stands for one exchange packet; an idle-rate daemon wakes at most a
/// thousand times a second whatever the rate.
///
/// With a `demand` that nobody watches (`serve` with no stream client), batches go on a coarser grid
/// of `unwatchedBatchInterval` (50 ms: twenty wakeups a second at any rate): nobody takes the ticks as
/// they come, and a request sees what was published before it. The first watcher ends such a sleep at
/// once; from then on the fine grid holds again. The first `fineStart` (1 s) keeps the fine grid
/// whoever watches: a client that connects right after `serve` starts finds the symbols the simulator
/// quotes first as soon as it did before the coarse grid (at 1 000 msgs/s a 50 ms first step left
/// them unknown to a subscribe 30 ms after start). Either way an item is never sent before its due
/// time, and (when the machine keeps up) at most one step of the grid in force after it.
public struct Pacer {
    /// Items per second; 0 = unpaced.
    public let rate: Int
    /// The step of the batch grid (the shortest time between two batches), ns.
    public let batchInterval: UInt64
    /// The default batch interval: 1 ms. Paced senders without a `Pacer` (a replay, the bursty
    /// simulator, which follow the messages' own timestamps) send what is due within it at once too.
    public static let defaultBatchInterval: UInt64 = 1_000_000
    /// The step of the batch grid while `demand` says nobody watches, ns.
    public static let unwatchedBatchInterval: UInt64 = 50_000_000
    /// Whether anyone takes the items as they go (nil: always paced on the fine grid, as for a source
    /// whose consumers are elsewhere: a multicast feed, a replay).
    public var demand: StreamDemand?
    /// How long after its start the pacer keeps the fine grid even while nobody watches, ns.
    public let fineStart: UInt64
    /// The default `fineStart`: 1 s.
    public static let defaultFineStart: UInt64 = 1_000_000_000
    let start = Clock.monotonic()
    var sent = 0

    /// A pacer of `rate` items per second (0: unpaced), its clock starting now.
    public init(rate: Int, batchInterval: UInt64 = Pacer.defaultBatchInterval, demand: StreamDemand? = nil,
                fineStart: UInt64 = Pacer.defaultFineStart) {
        self.rate = rate
        self.batchInterval = max(1, batchInterval)
        self.demand = demand
        self.fineStart = fineStart
    }

    /// Whether batches go on the coarse grid now: nobody watches and the start-up is over.
    var onCoarseGrid: Bool {
        guard let demand, !demand.isWatched else { return false }
        return Clock.monotonic() &- start >= fineStart
    }

    /// How many items are due now (at most `maxBatch`); always `maxBatch` when unpaced.
    public func due(maxBatch: Int) -> Int {
        guard rate > 0 else { return maxBatch }
        return max(0, min(maxBatch, dueBy(Clock.monotonic()) - sent))
    }

    /// Items due by monotonic time `time` since the start.
    func dueBy(_ time: UInt64) -> Int {
        Int(Double(time &- start) * Double(rate) / 1e9)
    }

    /// Records that `n` items went.
    public mutating func consumed(_ n: Int) { sent += n }

    /// When the next item is due (monotonic ns).
    var nextItemDue: UInt64 {
        // Item k (0-based) is due once `dueBy` exceeds k, at start + (k + 1) / rate seconds.
        start &+ UInt64((Double(sent + 1) * 1e9 / Double(rate)).rounded(.up))
    }

    /// Sleeps until the next batch is due: the first point of the batch grid at or after the next
    /// item's due time (the coarse grid while `demand` is unwatched; a watcher arriving ends that sleep
    /// early, and `due` then says what is due by now). Returns at once when unpaced.
    public mutating func sleepUntilNextBatch() {
        guard rate > 0 else { return }
        if let demand, onCoarseGrid {
            demand.sleep(until: nextGridPoint(Pacer.unwatchedBatchInterval))
        } else {
            DeadlineSleeper.sleep(until: nextGridPoint(batchInterval))
        }
    }

    /// When the next batch is due as things stand (monotonic ns): the deadline `sleepUntilNextBatch`
    /// would sleep to now. 0 when unpaced.
    public var nextBatchDeadline: UInt64 {
        guard rate > 0 else { return 0 }
        return nextGridPoint(onCoarseGrid ? Pacer.unwatchedBatchInterval : batchInterval)
    }

    /// The first point of a grid of step `interval` from the start at or after the next item's due time.
    func nextGridPoint(_ interval: UInt64) -> UInt64 {
        let sinceStart = nextItemDue &- start
        let gridPoints = (sinceStart + interval - 1) / interval
        return start &+ gridPoints &* interval
    }
}

import Foundation
import System

/// Paces a stream at `rate` items per second against CLOCK_MONOTONIC, in batches: the feed sleeps
/// between batches instead of spinning, so an idle-rate daemon uses almost no CPU.
public struct Pacer {
    /// Items per second; 0 = unpaced.
    public let rate: Int
    let start = Clock.monotonic()
    var sent = 0

    /// A pacer of `rate` items per second (0: unpaced), its clock starting now.
    public init(rate: Int) { self.rate = rate }

    /// How many items are due now (at most `maxBatch`); always `maxBatch` when unpaced.
    public func due(maxBatch: Int) -> Int {
        guard rate > 0 else { return maxBatch }
        let elapsed = Clock.monotonic() - start
        let target = Int(Double(elapsed) * Double(rate) / 1e9)
        return max(0, min(maxBatch, target - sent))
    }

    /// Records that `n` items went.
    public mutating func consumed(_ n: Int) { sent += n }

    /// Sleeps about until the next item is due (at least 200 µs, at most 10 ms).
    public func sleepUntilNext() {
        guard rate > 0 else { return }
        let perItem = 1e9 / Double(rate)
        let nanos = UInt32(min(10_000_000, max(200_000, perItem)))
        usleep(nanos / 1000)
    }
}

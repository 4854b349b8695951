/// The rounds of a ring reader that nobody waits on (the status line's reader; the gateway while no
/// stream client is connected): instead of waking at every publish it drains the ring, sleeps a round,
/// and drains again. How long a round may be: up to `longest`, but no longer than the writer, at the
/// rate the last round saw, takes to fill an eighth of the ring (never shorter than `shortest`).
///
/// So at a steady rate the ring cannot lap the reader, and a rising rate shortens the next round at
/// once; only a rate that jumps more than eight-fold from one round to the next *and* fills the whole
/// ring within `longest` can lap it (a non-gating reader counts the lap and survives it). Value type,
/// one per reader, used by the reader's thread only.
public struct IdleRounds {
    /// The longest round, ns.
    public let longest: UInt64
    /// The shortest round, ns.
    public let shortest: UInt64
    /// Ticks a round may bring at the last round's rate: an eighth of the ring.
    let allowance: Int
    /// Ticks read since the last round ended.
    var ticks = 0
    /// When the last round ended (monotonic ns).
    var lastEnd: UInt64

    /// Rounds for a ring of `capacity` slots, between `shortest` and `longest` ns, the first starting at
    /// `now` (a `Clock.monotonic()` reading).
    public init(capacity: Int, longest: UInt64, shortest: UInt64 = 1_000_000, now: UInt64) {
        self.longest = max(longest, shortest)
        self.shortest = shortest
        allowance = max(1, capacity / 8)
        lastEnd = now
    }

    /// Counts `n` ticks read in the current round.
    public mutating func read(_ n: Int) { ticks &+= n }

    /// Ends a round (the ring is drained) at `now`; returns how long to sleep before the next one, ns.
    public mutating func endRound(now: UInt64) -> UInt64 {
        let elapsed = now &- lastEnd
        let brought = ticks
        ticks = 0
        lastEnd = now
        guard brought > 0 else { return longest }
        // The round at which the last one's rate brings `allowance` ticks: elapsed × allowance / brought,
        // in floating point (no overflow for any elapsed time or count).
        let fitting = Double(elapsed) * Double(allowance) / Double(brought)
        return fitting >= Double(longest) ? longest : max(shortest, UInt64(fitting))
    }
}

import MoldUDP64
import System

/// A feed node's bandwidth budget (issue 24): bits per second on the wire, per channel and/or
/// across all channels, counting every datagram's UDP payload plus its IPv4 and UDP headers
/// (`WireRateBucket.wireBytes`). Off when neither rate is set.
public struct PublishBudget: Sendable, Equatable {
    /// Each channel's budget, bits per second (nil: none).
    public var channelBitsPerSecond: UInt64?
    /// The budget of all channels together, bits per second (nil: none).
    public var totalBitsPerSecond: UInt64?
    /// Packets of the largest size that may leave back to back (the token buckets' depth).
    public var burstPackets = 4
    /// After this long with nothing held back, a channel's over-budget episode has ended.
    public var episodeQuietNanoseconds: UInt64 = 1_000_000_000

    /// No budget.
    public init() {}

    /// Whether a budget is set.
    public var isEnabled: Bool { channelBitsPerSecond != nil || totalBitsPerSecond != nil }

    /// The buckets' depth for packets of at most `payloadSize` bytes.
    public func burstBytes(payloadSize: Int) -> Int { max(1, burstPackets) * WireRateBucket.wireBytes(datagram: payloadSize) }
}

/// What a budget log line reports: an episode began (`over_budget`, the bucket that stopped a
/// packet: `channel` or `total`) or ended (`within_budget`, with its length, the quotes conflated
/// and the longest pacing delay in it).
public enum BudgetEvent: Sendable, Equatable {
    case overBudget(channel: Int, limit: String, bitsPerSecond: UInt64)
    case withinBudget(channel: Int, seconds: Double, conflated: Int, longestDelayNanoseconds: UInt64)
    /// Packets waited while the budget went unused for `nanoseconds` (a bucket stayed full: the
    /// publisher thread did not run), ending at `realtime` (ns since the epoch); channel nil: the
    /// total budget.
    case unused(channel: Int?, nanoseconds: UInt64, realtime: UInt64)
}

/// The publisher thread's pacing state: the token buckets, and per channel the over-budget
/// episodes, the per-second wire rate and the pacing delays, published to `ChannelSendCounters`.
final class BudgetPacer {
    let budget: PublishBudget
    private var channelBuckets: [WireRateBucket]
    private var total: WireRateBucket?
    private let counters: [ChannelSendCounters]
    private let onEvent: @Sendable (BudgetEvent) -> Void
    /// Start of each channel's episode (0: none), and the last time it had anything held back.
    private var episodeStart: [UInt64]
    private var lastBehind: [UInt64]
    private var conflatedAtStart: [Int]
    private var episodeLongestDelay: [UInt64]
    private var overBudgetBefore: [UInt64]
    private var secondStart: UInt64
    /// Whether each channel's last held-back packet waited for the total bucket.
    private var heldByTotal: [Bool]
    private var secondBytes: [Int]
    private var secondPackets: [Int]

    init(budget: PublishBudget, channels: Int, payloadSize: Int, counters: [ChannelSendCounters], now: UInt64,
         onEvent: @escaping @Sendable (BudgetEvent) -> Void) {
        self.budget = budget
        let burst = budget.burstBytes(payloadSize: payloadSize)
        channelBuckets = budget.channelBitsPerSecond.map { rate in
            (0..<channels).map { _ in WireRateBucket(bitsPerSecond: rate, burstBytes: burst, now: now) }
        } ?? []
        total = budget.totalBitsPerSecond.map { WireRateBucket(bitsPerSecond: $0, burstBytes: burst, now: now) }
        self.counters = counters
        self.onEvent = onEvent
        episodeStart = Array(repeating: 0, count: channels)
        lastBehind = Array(repeating: 0, count: channels)
        conflatedAtStart = Array(repeating: 0, count: channels)
        episodeLongestDelay = Array(repeating: 0, count: channels)
        overBudgetBefore = Array(repeating: 0, count: channels)
        secondStart = now
        heldByTotal = Array(repeating: false, count: channels)
        secondBytes = Array(repeating: 0, count: channels)
        secondPackets = Array(repeating: 0, count: channels)
    }

    /// Fills the buckets to `now`; `waiting(c)` says whether channel `c` has packets waiting, whose
    /// buckets' overflow is budget lost to a stalled publisher (counted; reported from 1 ms).
    @inline(__always)
    func fill(now: UInt64, waiting: (Int) -> Bool) {
        // A bucket's overflow is lost budget only while a packet waits for that very bucket (a
        // channel's bucket also fills while its packets wait for the total one).
        var totalHeld = false
        for i in counters.indices where waiting(i) {
            if heldByTotal[i] { totalHeld = true }
        }
        for i in channelBuckets.indices {
            let unused = channelBuckets[i].fill(now: now)
            if unused > 0, waiting(i), !heldByTotal[i] { lost(channel: i, unused, now: now) }
        }
        if let unused = total?.fill(now: now), totalHeld, unused > 0 { lost(channel: nil, unused, now: now) }
    }

    private func lost(channel: Int?, _ nanoseconds: UInt64, now: UInt64) {
        if let channel { counters[channel].budgetUnusedNanoseconds.add(Int(nanoseconds), ordering: .relaxed) }
        else { totalUnusedNanoseconds &+= nanoseconds }
        if nanoseconds >= 1_000_000 { onEvent(.unused(channel: channel, nanoseconds: nanoseconds, realtime: Clock.realtime())) }
    }

    /// Budget of the total bucket lost while packets waited, nanoseconds.
    private(set) var totalUnusedNanoseconds: UInt64 = 0

    /// When a datagram of `wireBytes` may leave on `channel` (≤ `now`: at once), and which bucket
    /// holds it back.
    @inline(__always)
    func readyAt(channel: Int, wireBytes: Int) -> (at: UInt64, limit: String) {
        var at: UInt64 = 0
        var limit = "channel"
        if !channelBuckets.isEmpty { at = channelBuckets[channel].readyAt(wireBytes: wireBytes) }
        if let t = total?.readyAt(wireBytes: wireBytes), t > at {
            at = t
            limit = "total"
        }
        return (at, limit)
    }

    /// A datagram of `wireBytes` leaves on `channel` after waiting `delay` ns for the budget.
    @inline(__always)
    func sent(channel: Int, wireBytes: Int, delay: UInt64) {
        if !channelBuckets.isEmpty { channelBuckets[channel].take(wireBytes: wireBytes) }
        total?.take(wireBytes: wireBytes)
        secondBytes[channel] &+= wireBytes
        secondPackets[channel] &+= 1
        if episodeStart[channel] != 0, delay > episodeLongestDelay[channel] { episodeLongestDelay[channel] = delay }
        let c = counters[channel]
        if delay > UInt64(c.longestPacingDelayNanoseconds.load(ordering: .relaxed)) {
            c.longestPacingDelayNanoseconds.store(Int(delay), ordering: .relaxed)
        }
    }

    /// A packet of `channel` had to wait for the `limit` bucket: the channel is over its budget
    /// (an episode starts unless one is running).
    func heldBack(channel: Int, limit: String, now: UInt64, conflatedSoFar: Int) {
        lastBehind[channel] = now
        heldByTotal[channel] = limit == "total"
        guard episodeStart[channel] == 0 else { return }
        episodeStart[channel] = now
        conflatedAtStart[channel] = conflatedSoFar
        episodeLongestDelay[channel] = 0
        counters[channel].overBudgetEpisodes.add(1, ordering: .relaxed)
        let rate = limit == "total" ? budget.totalBitsPerSecond ?? 0 : budget.channelBitsPerSecond ?? 0
        onEvent(.overBudget(channel: channel, limit: limit, bitsPerSecond: rate))
    }

    /// Once per publisher round: `behind[c]` says whether channel `c` still holds packets or quotes
    /// back, `conflated[c]` its conflation count so far. Ends quiet episodes, updates the time over
    /// budget and the per-second rates.
    func update(now: UInt64, behind: (Int) -> Bool, conflated: [Int]) {
        for channel in episodeStart.indices {
            counters[channel].quotesConflated.store(conflated[channel], ordering: .relaxed)
            if behind(channel) { lastBehind[channel] = now }
            let start = episodeStart[channel]
            guard start != 0 else { continue }
            let spent = lastBehind[channel] &- start
            counters[channel].overBudgetNanoseconds.store(Int(overBudgetBefore[channel] &+ spent), ordering: .relaxed)
            if now &- lastBehind[channel] >= budget.episodeQuietNanoseconds {
                overBudgetBefore[channel] &+= spent
                episodeStart[channel] = 0
                onEvent(.withinBudget(channel: channel, seconds: Double(spent) / 1e9,
                                      conflated: conflated[channel] - conflatedAtStart[channel],
                                      longestDelayNanoseconds: episodeLongestDelay[channel]))
            }
        }
        if now &- secondStart >= 1_000_000_000 {
            let seconds = Double(now &- secondStart) / 1e9
            for channel in secondBytes.indices {
                counters[channel].wireBitsPerSecond.store(Int(Double(secondBytes[channel] * 8) / seconds), ordering: .relaxed)
                counters[channel].packetsPerSecond.store(Int(Double(secondPackets[channel]) / seconds), ordering: .relaxed)
                secondBytes[channel] = 0
                secondPackets[channel] = 0
            }
            secondStart = now
        }
    }
}

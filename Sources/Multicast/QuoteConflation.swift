import Market

/// The quotes a feed node holds back while a channel is over its bandwidth budget: at most one per
/// instrument, the latest (a newer quote replaces the unsent one, which is counted as conflated), in
/// the order the instruments first had one pending. Trades, status changes and breaks are never held
/// here; before one of them is sent, its instrument's pending quote is taken out and sent first, so an
/// instrument's messages keep their order.
///
/// A quote that replaced others carries `Tick.Flags.conflated`, and its `changedLevel` is the
/// shallowest level any of them changed (a client of depth d that skips quotes changing only deeper
/// levels must still see it). Its `seq` is the latest one: the replaced quotes' seqs are never on the
/// wire, and the flag tells a gateway that the hole before it held quotes only.
///
/// Owned by the publisher thread. Memory: one `Tick` slot per locate, reserved up front and touched
/// only for instruments that ever wait. Invariant: `isPending[l]` ⇔ `slots[l]` is a quote not yet
/// sent, and then `l` is in its channel's queue (which may also hold stale entries for locates taken
/// out early, skipped when reached); `pendingCount[c]` counts the pending locates of channel `c`.
public final class QuoteConflation {
    private let slots: UnsafeMutablePointer<Tick>
    private let isPending: UnsafeMutablePointer<Bool>
    private let channelOfLocate: UnsafeMutablePointer<UInt16>
    private var queues: [[UInt16]]
    private var heads: [Int]
    /// Pending quotes per channel.
    public private(set) var pendingCount: [Int]
    /// Quotes replaced by a newer one of their instrument (never sent), per channel.
    public private(set) var conflated: [Int]

    /// Room for every locate on `channels` channels.
    public init(channels: Int) {
        slots = .allocate(capacity: 1 << 16)
        isPending = .allocate(capacity: 1 << 16)
        isPending.initialize(repeating: false, count: 1 << 16)
        channelOfLocate = .allocate(capacity: 1 << 16)
        channelOfLocate.initialize(repeating: 0, count: 1 << 16)
        queues = Array(repeating: [], count: channels)
        heads = Array(repeating: 0, count: channels)
        pendingCount = Array(repeating: 0, count: channels)
        conflated = Array(repeating: 0, count: channels)
    }

    deinit {
        slots.deallocate()
        isPending.deallocate()
        channelOfLocate.deallocate()
    }

    /// Whether `locate` has a quote waiting.
    @inline(__always)
    public func hasPending(locate: UInt16) -> Bool { isPending[Int(locate)] }

    /// Holds `quote` (on `channel`) back, replacing its instrument's unsent quote if there is one.
    /// Returns false, holding nothing, when the pending quote is of another symbol (the locate was
    /// reused): take and send that one first.
    public func hold(_ quote: Tick, channel: Int) -> Bool {
        let l = Int(quote.locate)
        if isPending[l] {
            guard slots[l].symbol == quote.symbol else { return false }
            let changed = min(slots[l].changedLevel, quote.changedLevel)
            slots[l] = quote
            slots[l].changedLevel = changed
            slots[l].flags |= Tick.Flags.conflated
            conflated[channel] &+= 1
            return true
        }
        (slots + l).initialize(to: quote)
        isPending[l] = true
        channelOfLocate[l] = UInt16(channel)
        queues[channel].append(quote.locate)
        pendingCount[channel] += 1
        return true
    }

    /// Takes `locate`'s pending quote out (it must have one).
    public func take(locate: UInt16) -> Tick {
        let l = Int(locate)
        precondition(isPending[l])
        isPending[l] = false
        pendingCount[Int(channelOfLocate[l])] -= 1
        return slots[l]
    }

    /// Takes the oldest pending quote of `channel`, if any.
    public func takeOldest(channel: Int) -> Tick? {
        while heads[channel] < queues[channel].count {
            let locate = queues[channel][heads[channel]]
            heads[channel] += 1
            if heads[channel] == queues[channel].count {
                queues[channel].removeAll(keepingCapacity: true)
                heads[channel] = 0
            } else if heads[channel] > 4096 && heads[channel] * 2 > queues[channel].count {
                queues[channel].removeFirst(heads[channel])
                heads[channel] = 0
            }
            if isPending[Int(locate)] && Int(channelOfLocate[Int(locate)]) == channel { return take(locate: locate) }
        }
        return nil
    }
}

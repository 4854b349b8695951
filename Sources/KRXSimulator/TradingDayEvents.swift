/// Something that happens at a moment of the simulated day.
enum DayEvent: Sendable, Equatable {
    /// The instrument master batch and each market's end-of-batch marker.
    case masterBatch
    /// Every instrument's base price and limits (A4).
    case basePrices
    /// The opening auction starts taking orders (08:30).
    case openingAuctionStart
    /// The opening uncross (09:00).
    case openingUncross
    /// The closing auction starts (15:20).
    case closingAuctionStart
    /// The closing uncross (15:30).
    case closingUncross
    /// A polling record for the minute.
    case polling
    /// An order of instrument `i`.
    case order(Int)
    /// News about instrument `i`.
    case news(Int)
    /// A halt of a random instrument in continuous trading.
    case halt
    /// Instrument `i`'s current single-price auction (VI, resumption, extended open or close) ends;
    /// ignored unless `generation` is still the instrument's.
    case auctionEnd(Int, generation: Int)
    /// Instrument `i`'s halt ends (same rule).
    case haltEnd(Int, generation: Int)
}

/// The day's events by time; events at the same time come out in the order they were scheduled,
/// so the day is deterministic. A binary min-heap.
struct DayEventQueue: Sendable {
    private var heap: [(time: Int64, order: UInt64, event: DayEvent)] = []
    private var scheduled: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }

    mutating func schedule(_ event: DayEvent, at time: Int64) {
        heap.append((time, scheduled, event))
        scheduled += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(child, parent) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func next() -> (time: Int64, event: DayEvent)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, precedes(left, smallest) { smallest = left }
            if right < heap.count, precedes(right, smallest) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (first.time, first.event)
    }

    private func precedes(_ a: Int, _ b: Int) -> Bool {
        heap[a].time < heap[b].time || (heap[a].time == heap[b].time && heap[a].order < heap[b].order)
    }
}

import Market

/// One symbol's most recent updates, kept for clients that resume with `since` (docs/websocket-api.md,
/// "Resume"): every tick of the symbol with a seq above `heldAfter`, up to the latest the gateway
/// applied, oldest first, at most `capacity` of them. Allocated when the symbol is first subscribed
/// (`enable`): `capacity` × `MemoryLayout<Tick>.stride` (240) bytes per such symbol.
///
/// Invariants: `count` ≤ `ticks.count`; the held ticks are `ticks[(start + i) % ticks.count]` for
/// i in 0..<count, in seq order, contiguous in the symbol's stream (no tick of the symbol between two
/// held ones was skipped); the first held tick directly follows `heldAfter`.
struct UpdateHistory {
    private var ticks: [Tick] = []
    private var start = 0
    private(set) var count = 0
    /// Every update after this seq (up to the latest) is held.
    private(set) var heldAfter: UInt64 = .max

    /// Whether the symbol keeps a history (it has been subscribed and the history is on).
    var isEnabled: Bool { !ticks.isEmpty }

    /// Starts keeping the next `capacity` updates after `seq` (the symbol's current one).
    mutating func enable(capacity: Int, at seq: UInt64) {
        guard capacity > 0, !isEnabled else { return }
        ticks = Array(repeating: Tick(), count: capacity)
        restart(at: seq)
    }

    /// Forgets what was held: updates were lost; from `seq` (the resynchronized state) on it holds again.
    mutating func restart(at seq: UInt64) {
        start = 0
        count = 0
        heldAfter = seq
    }

    /// Adds the symbol's next update, dropping the oldest when full.
    @inline(__always)
    mutating func append(_ tick: Tick) {
        let capacity = ticks.count
        if count == capacity {
            heldAfter = ticks[start].seq
            ticks[start] = tick
            start = start &+ 1 == capacity ? 0 : start &+ 1
        } else {
            var i = start &+ count
            if i >= capacity { i &-= capacity }
            ticks[i] = tick
            count &+= 1
        }
    }

    /// Whether every update after `since` up to `latest` (the symbol's current seq) is held.
    func covers(since: UInt64, latest: UInt64) -> Bool {
        isEnabled && since >= heldAfter && since <= latest
    }

    /// Calls `body` with each held update whose seq is above `since`, oldest first.
    func forEach(after since: UInt64, _ body: (Tick) -> Void) {
        for i in 0..<count {
            let t = ticks[(start + i) % ticks.count]
            if t.seq > since { body(t) }
        }
    }
}

import Fanout
import Feed
import Foundation
import Market
import Synchronization
import System

/// The status stage: a non-gating ring reader that checks every tick's per-symbol sequence (each
/// symbol's `seq` must rise by exactly one, unless the reader was lapped or the feed announced the
/// hole with a `stale` status just before it) and prints a status line.
///
/// It is not on anyone's critical path, so it reads in rounds (`IdleRounds`): it drains the ring,
/// sleeps out the rest of a round of up to `longestRound`, and only then looks again (parking on the
/// ring, a blocking reader, when the round brought nothing). It wakes about five times a second
/// whatever the feed's rate; a round is shortened so that, at the rate the last one saw, it brings at
/// most an eighth of the ring (65 536 slots by default): only a rate jumping more than eight-fold
/// between two rounds, past ~330 k ticks/s, could lap it, which it counts and survives.
final class StatusReader: Sendable {
    /// Longest time between two of its rounds, ns (status lines are seconds apart).
    static let longestRound: UInt64 = 200_000_000
    let intervalSeconds: Int
    /// More `key=value` fields for the status line (the gateway's clients and messages), read from
    /// the status thread: must be thread-safe.
    let extraFields: @Sendable () -> String
    private let seen = Atomic<Int>(0)
    private let holes = Atomic<Int>(0)
    private let laps = Atomic<Int>(0)
    private let lost = Atomic<Int>(0)
    private let trades = Atomic<Int>(0)
    private let symbols = Atomic<Int>(0)
    private let started = Clock.monotonic()

    init(intervalSeconds: Int, extraFields: @escaping @Sendable () -> String = { "" }) {
        self.intervalSeconds = intervalSeconds
        self.extraFields = extraFields
    }

    /// Sequence breaks seen while not lapped: must stay 0.
    var sequenceErrors: Int { holes.load(ordering: .relaxed) }

    func run(reader: inout RingReader, ring: BroadcastRing, counters: FeedCounters) {
        var tick = Tick()
        var lastSeq = [UInt64](repeating: 0, count: 1 << 16)
        var staleAnnounced = [Bool](repeating: false, count: 1 << 16)
        var nextLine = Clock.monotonic() + UInt64(intervalSeconds) * 1_000_000_000
        var resync = false
        var symbolCount = 0
        var roundStart = Clock.monotonic()
        var rounds = IdleRounds(capacity: reader.capacity, longest: StatusReader.longestRound, now: roundStart)
        while true {
            var result = reader.poll(into: &tick)
            if result == .empty {
                // Drained: sleep out the round, then look again (the reader blocks: it parks until the
                // next publish if the round brought nothing, at most until the next status line is due).
                let drained = Clock.monotonic()
                DeadlineSleeper.sleep(until: min(roundStart &+ rounds.endRound(now: drained), nextLine))
                result = reader.next(into: &tick, timeoutMilliseconds: 200)
                roundStart = Clock.monotonic()
            }
            switch result {
            case .tick:
                rounds.read(1)
                let i = Int(tick.locate)
                if lastSeq[i] == 0 { symbolCount += 1; symbols.store(symbolCount, ordering: .relaxed) }
                // After a lap the first tick of each symbol may jump: start its line afresh. A feed that
                // heals by itself (KRX) announces the updates it lost with a `stale` status tick and
                // leaves one seq out right after it: that hole is announced, not an error.
                let announced = staleAnnounced[i] && tick.seq == lastSeq[i] &+ 2
                if !resync, lastSeq[i] != 0, tick.seq != lastSeq[i] &+ 1, !announced { holes.add(1, ordering: .relaxed) }
                lastSeq[i] = tick.seq
                staleAnnounced[i] = tick.kind == .status && tick.status == .stale
                seen.add(1, ordering: .relaxed)
                if tick.kind == .trade { trades.add(1, ordering: .relaxed) }
            case .lapped(let n):
                laps.add(1, ordering: .relaxed)
                lost.add(n, ordering: .relaxed)
                resync = true
                for i in lastSeq.indices { lastSeq[i] = 0 }
                symbolCount = 0
            case .empty:
                break
            case .closed:
                return
            }
            let now = Clock.monotonic()
            if now >= nextLine {
                printLine(final: false, ring: ring, counters: counters)
                nextLine = now + UInt64(intervalSeconds) * 1_000_000_000
            }
            if resync, result == .tick { resync = false }
        }
    }

    func printLine(final: Bool, ring: BroadcastRing, counters: FeedCounters) {
        let seconds = Double(Clock.monotonic() - started) / 1e9
        let metrics = ring.metrics()
        let lag = metrics.readers.map { "\($0.lag)" }.joined(separator: ",")
        let line = "level=info event=\(final ? "status_final" : "status") uptime_s=\(String(format: "%.1f", seconds))"
            + " messages=\(counters.messages) msgs_per_s=\(Int(Double(counters.messages) / max(seconds, 0.001)))"
            + " ticks=\(counters.ticks) ticks_read=\(seen.load(ordering: .relaxed)) trades=\(trades.load(ordering: .relaxed))"
            + " symbols=\(symbols.load(ordering: .relaxed)) ring_lag=\(lag) laps=\(laps.load(ordering: .relaxed))"
            + " lost=\(lost.load(ordering: .relaxed)) seq_errors=\(holes.load(ordering: .relaxed))"
            + " ring_refusals=\(counters.ringRefusals) missed_wakeups=\(metrics.missedWakeups)"
        let extra = extraFields()
        printError(extra.isEmpty ? line : line + " " + extra)
    }
}

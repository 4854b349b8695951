import Fanout
import Market
import MoldUDP64
import System

extension FeedNodePublisher {
    /// `run` with a bandwidth budget: every packet waits for its channel's (and the total) token
    /// bucket; while a channel is behind (packets waiting for the budget, or quotes held back), its
    /// quotes are conflated per instrument (`QuoteConflation`) and it sends full packets only; the
    /// publisher sleeps until the next packet's deadline when the ring has nothing more.
    func runWithinBudget(reader: inout RingReader, stop: StopFlag) {
        let sending = BudgetedSending(self)
        var tick = Tick()
        var closed = false
        while !closed {
            var read = 0
            reading: while read < 256 {
                switch reader.poll(into: &tick) {
                case .tick:
                    read += 1
                    sending.accept(tick)
                case .lapped: continue  // a gating reader is never lapped
                case .empty: break reading
                case .closed:
                    closed = true
                    break reading
                }
            }
            // With the ring empty there is nothing to batch with: channels within budget send what
            // is pending at once (latency), as without a budget.
            let deadline = sending.pump(now: Clock.monotonic(), draining: false, ringEmpty: read < 256 && !closed)
            if pending.load(ordering: .acquiring) { serveSnapshots() }
            if closed || read == 256 { continue }
            if deadline != 0 {
                DeadlineSleeper.sleep(until: deadline)
            } else if read == 0 {
                switch reader.next(into: &tick, timeoutMilliseconds: 50) {
                case .tick: sending.accept(tick)
                case .closed: closed = true
                default: break
                }
            }
        }
        // The input ended: what is held back still goes out within the budget, then the sessions end.
        sending.drain()
        while !publisher.endSession(now: Clock.monotonic()) { sending.drain() }
        sending.drain()
        while !stop.isRaised {
            serveSnapshots()
            DeadlineSleeper.sleep(until: Clock.monotonic() + 10_000_000)
        }
    }
}

/// The publisher thread's paced sending: the quotes held back, the pacer, and the scratch flags of
/// one send. One per `runWithinBudget`.
final class BudgetedSending {
    private unowned let node: FeedNodePublisher
    private let publisher: ChannelPublisher
    private let held: QuoteConflation
    private let pacer: BudgetPacer
    private let sentFlags: UnsafeMutableBufferPointer<Bool>
    private var blocked: [Bool]
    private var now: UInt64

    init(_ node: FeedNodePublisher) {
        self.node = node
        publisher = node.publisher
        let channels = publisher.configuration.channels
        now = Clock.monotonic()
        held = QuoteConflation(channels: channels)
        pacer = BudgetPacer(budget: node.output.budget, channels: channels, payloadSize: node.payloadSize,
                            counters: node.counters.channels, now: now, onEvent: node.onBudgetEvent)
        sentFlags = .allocate(capacity: publisher.configuration.outboxCapacity)
        sentFlags.initialize(repeating: false)
        blocked = Array(repeating: false, count: channels)
    }

    deinit { sentFlags.deallocate() }

    /// Whether `channel` is behind its budget: packets wait for it, or quotes are held back.
    @inline(__always)
    private func isBehind(_ channel: Int) -> Bool { publisher.waiting[channel] > 0 || held.pendingCount[channel] > 0 }

    /// Takes one tick from the ring: a quote of a channel that is behind is held back (replacing its
    /// instrument's unsent one); anything else goes out after its instrument's held quote.
    @inline(__always)
    func accept(_ tick: Tick) {
        let channel = publisher.channel(of: tick)
        if tick.kind == .quote {
            if isBehind(channel) {
                if held.hold(tick, channel: channel) { return }
                emit(held.take(locate: tick.locate))  // the locate now names another symbol
            }
        } else if held.hasPending(locate: tick.locate) {
            emit(held.take(locate: tick.locate))
        }
        emit(tick)
    }

    /// Encodes `tick` onto its channel (and into the snapshot state), first waiting for the budget
    /// when the outbox is full: trades are never dropped, the ring waits instead.
    @inline(__always)
    private func emit(_ tick: Tick) {
        while publisher.outboxIsFull {
            now = Clock.monotonic()
            let deadline = send()
            if publisher.outboxIsFull, deadline > now { DeadlineSleeper.sleep(until: deadline) }
        }
        node.states.apply(tick)
        publisher.publish(tick, now: now)
    }

    /// Releases held quotes on channels with no packet waiting (until one packet is full, or all of
    /// them with `draining`), flushes due packets (all, with `draining`; those of channels within
    /// budget, with `ringEmpty`), sends what the budget
    /// allows and updates the metrics. Returns when the next waiting packet may leave (0: none waits).
    func pump(now: UInt64, draining: Bool, ringEmpty: Bool = false) -> UInt64 {
        self.now = now
        for channel in 0..<publisher.configuration.channels where held.pendingCount[channel] > 0 {
            while held.pendingCount[channel] > 0, draining || publisher.waiting[channel] == 0, !publisher.outboxIsFull,
                  let quote = held.takeOldest(channel: channel) {
                emit(quote)
            }
        }
        if draining {
            publisher.flushAll(now: now)
        } else if ringEmpty {
            publisher.flushAll(now: now, holding: isBehind)
            publisher.flushDue(now: now, holding: isBehind)  // heartbeats
        } else {
            publisher.flushDue(now: now, holding: isBehind)
        }
        let deadline = send()
        pacer.update(now: now, behind: isBehind, conflated: held.conflated)
        return deadline
    }

    /// Sends everything held back and pending, within the budget, sleeping until each deadline.
    func drain() {
        while true {
            let deadline = pump(now: Clock.monotonic(), draining: true)
            let idle = publisher.outboxCount == 0 && !(0..<publisher.configuration.channels).contains { held.pendingCount[$0] > 0 }
            if idle && publisher.flushAll(now: now) && publisher.outboxCount == 0 { return }
            if deadline != 0 { DeadlineSleeper.sleep(until: deadline) }
        }
    }

    /// Sends the outbox's packets that the budget allows now, in order per channel (a channel's
    /// packet that must wait holds back the channel's later ones; one that waits for the total
    /// budget holds back all). Returns when the first held-back packet may leave (0: none waits).
    private func send() -> UInt64 {
        guard publisher.outboxCount > 0 else { return 0 }
        pacer.fill(now: now) { self.publisher.waiting[$0] > 0 }
        for i in blocked.indices { blocked[i] = false }
        var deadline = UInt64.max
        var anySent = false
        var allBlocked = false
        publisher.withOutbox { list in
            for i in list.indices {
                sentFlags[i] = false
                let packet = list[i]
                if allBlocked || blocked[packet.channel] { continue }
                let wire = WireRateBucket.wireBytes(datagram: packet.bytes.count)
                let (at, limit) = pacer.readyAt(channel: packet.channel, wireBytes: wire)
                if at > now {
                    blocked[packet.channel] = true
                    allBlocked = limit == "total"
                    deadline = min(deadline, at)
                    pacer.heldBack(channel: packet.channel, limit: limit, now: now,
                                   conflatedSoFar: held.conflated[packet.channel])
                } else {
                    pacer.sent(channel: packet.channel, wireBytes: wire, delay: now &- packet.queuedAt)
                    sentFlags[i] = true
                    anySent = true
                }
            }
        }
        if anySent {
            node.transmit(selected: sentFlags)
            publisher.removeFromOutbox(sent: UnsafeBufferPointer(sentFlags))
        }
        return publisher.outboxCount > 0 ? deadline : 0
    }
}

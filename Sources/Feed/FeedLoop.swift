import Fanout
import Foundation
import ITCH
import Market
import PacketCapture
import Sockets
import System

/// The feed stage: takes the bytes of one source, hands them to an exchange adapter, and publishes
/// the ticks the adapter writes, in batches, to the ring's readers. Runs on its own thread (qc-feed)
/// until `stop` is raised, the message limit is reached or the source ends; then it publishes what is
/// pending and closes the ring so readers drain and finish.
///
/// One entry point per kind of source, each generic over the adapter (and the message source), so
/// the compiler specialises them where they are called: no dynamic dispatch per message.
public struct FeedLoop: Sendable {
    /// Messages per second for the sources it paces (messages and captures); 0 = as fast as possible.
    public var rate: Int
    /// Stop after this many messages applied (nil = until stopped or the source ends).
    public var messageLimit: Int?
    /// How a live input waits when nothing arrived (`MulticastInput.wait`). Paced sources sleep to
    /// their batches' deadlines instead, whatever it says.
    public var wait: WaitStrategy
    /// Whether anyone takes the ticks as they are published (`serve`: a stream client of its gateway):
    /// while nobody does, sources paced at `rate` send in coarser batches (`Pacer`). nil: always the
    /// fine grid.
    public var demand: StreamDemand?

    /// A loop pacing at `rate` messages per second, stopping after `messageLimit` messages, a live
    /// input waiting by `wait`.
    public init(rate: Int, messageLimit: Int? = nil, wait: WaitStrategy = .adaptive, demand: StreamDemand? = nil) {
        self.rate = rate
        self.messageLimit = messageLimit
        self.wait = wait
        self.demand = demand
    }

    /// Applies the messages of `source` (a day-file, the simulator), paced at `rate`, in batches of at
    /// most 4 096 that each stand for one exchange packet: one receive time, one publish per batch.
    @inlinable
    public func run<Source: MessageSource & ~Copyable, Adapter: ExchangeAdapter & ~Copyable>(
        messages source: inout Source, adapter: inout Adapter, writer: consuming RingWriter, ring: BroadcastRing,
        stop: StopFlag, counters: FeedCounters
    ) {
        var ticks = TickSink(writer: writer, messageLimit: messageLimit)
        var pacer = Pacer(rate: rate, demand: demand)
        counters.setHealth(.live)
        var exhausted = false
        while !stop.isRaised && !exhausted && ticks.acceptsMessages {
            let due = pacer.due(maxBatch: 4096)
            if due == 0 { pacer.sleepUntilNextBatch(); continue }
            let receiveTime = Clock.realtime()
            var k = 0
            while k < due && ticks.acceptsMessages {
                guard let message = source.next() else { exhausted = true; break }
                adapter.apply(message, receiveTime: receiveTime, into: &ticks)
                k &+= 1
            }
            pacer.consumed(k)
            ticks.publish(to: counters)
        }
        finish(&ticks, counters: counters, ring: ring, ended: true)
    }

    /// Hands the UDP datagrams of a packet capture to `adapter` on stream 0, in capture order, paced
    /// at `rate` messages per second (each stamped with the time it is handed over).
    public func run<Adapter: ExchangeAdapter & ~Copyable>(
        capture: PcapReader, adapter: inout Adapter, writer: consuming RingWriter, ring: BroadcastRing,
        stop: StopFlag, counters: FeedCounters
    ) {
        var datagrams = CapturedDatagrams(capture)
        run(datagrams: &datagrams, adapter: &adapter, writer: writer, ring: ring, stop: stop, counters: counters)
    }

    /// Hands the datagrams of `source` to `adapter` in order, each when it is due: at its own time
    /// when the source gives one (a simulated day's clock), else paced at `rate` messages per second.
    /// Stamps each with the time it is handed over; publishes the ticks (and the adapter's counters)
    /// whenever it waits, and every 256 messages while it does not.
    public func run<Source: DatagramSource & ~Copyable, Adapter: ExchangeAdapter & ~Copyable>(
        datagrams source: inout Source, adapter: inout Adapter, writer: consuming RingWriter, ring: BroadcastRing,
        stop: StopFlag, counters: FeedCounters
    ) {
        var ticks = TickSink(writer: writer, messageLimit: messageLimit)
        var pacer = Pacer(rate: rate, demand: demand)
        counters.setHealth(.live)
        var health = FeedHealth.live
        let start = Clock.monotonic()
        func wait(_ ticks: inout TickSink, _ adapter: inout Adapter) {
            ticks.publish(to: counters)
            adapter.publish(to: counters)
            if adapter.health != health {
                health = adapter.health
                counters.setHealth(health)
            }
        }
        while !stop.isRaised && ticks.acceptsMessages, let datagram = source.next() {
            if let due = datagram.due {
                while !stop.isRaised, case let now = Clock.monotonic(), now < start &+ due {
                    wait(&ticks, &adapter)
                    usleep(UInt32(min(start &+ due &- now, 10_000_000) / 1_000))
                }
            } else {
                while !stop.isRaised, pacer.due(maxBatch: 1) == 0 {
                    wait(&ticks, &adapter)
                    pacer.sleepUntilNextBatch()
                }
            }
            let before = ticks.messages
            adapter.receive(datagram.payload, stream: datagram.stream, now: Clock.monotonic(), receiveTime: Clock.realtime(),
                            into: &ticks)
            pacer.consumed(ticks.messages - before)
            if ticks.pendingMessages >= 256 { ticks.publish(to: counters) }
        }
        adapter.publish(to: counters)
        finish(&ticks, counters: counters, ring: ring, ended: true)
    }

    /// Receives `input`'s streams (an exchange's multicast lines) until stopped. One round drains every
    /// socket in `recvmmsg` batches (alternating, so one line cannot run far ahead of the other in
    /// what was read) and publishes each batch's ticks, then runs the adapter's timers, then sleeps in
    /// `epoll_wait` only when nothing arrived. Throws when a socket fails; the ring is closed then too.
    public func run<Adapter: ExchangeAdapter & ~Copyable>(
        input: MulticastInput, adapter: inout Adapter, writer: consuming RingWriter, ring: BroadcastRing,
        stop: StopFlag, counters: FeedCounters
    ) throws(SystemError) {
        var ticks = TickSink(writer: writer, messageLimit: messageLimit)
        // Held here, so reading a datagram costs no reference counting on the input's batch.
        let batch = input.batch
        var health = adapter.health
        input.wait = wait
        counters.setHealth(health)
        do throws(SystemError) {
            while !stop.isRaised && ticks.acceptsMessages {
                let received = try input.drain { stream, n in
                    let now = Clock.monotonic(), receiveTime = Clock.realtime()
                    for k in 0..<n {
                        if let datagram = batch.datagram(k) {
                            adapter.receive(datagram, stream: stream, now: now, receiveTime: receiveTime, into: &ticks)
                        } else {
                            adapter.receiveOversize(stream: stream)
                        }
                    }
                    ticks.publish(to: counters)
                    return ticks.acceptsMessages
                }
                adapter.service(now: Clock.monotonic(), into: &ticks, input: input)
                ticks.publish(to: counters)
                adapter.publish(to: counters)
                if adapter.health != health {
                    health = adapter.health
                    counters.setHealth(health)
                }
                if received == 0 { try input.idle(timeoutMilliseconds: adapter.idleWaitMilliseconds) }
            }
        } catch {
            ring.close()
            throw error
        }
        adapter.publish(to: counters)
        finish(&ticks, counters: counters, ring: ring, ended: false)
    }

    /// Publishes what is pending, marks the source finished (and `ended`, for a source that ran out
    /// rather than a live feed that was stopped), and closes the ring.
    @usableFromInline
    func finish(_ ticks: inout TickSink, counters: FeedCounters, ring: BroadcastRing, ended: Bool) {
        ticks.publish(to: counters)
        if ended { counters.setHealth(.ended) }
        counters.markFinished()
        ring.close()
    }
}

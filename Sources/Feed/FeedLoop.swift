import Fanout
import Foundation
import ITCH
import Market
import MoldUDP64
import OrderBook
import Simulator
import Synchronization
import System

/// Where the feed thread takes its ITCH messages from.
public enum FeedSource: Sendable {
    /// The built-in exchange simulator.
    case simulator(SimulatorConfiguration)
    /// A day-file or pcap on disk, applied once from start to end (pcap packets deduplicated by
    /// (session, sequence) as `book` does).
    case file(path: String)
    /// MoldUDP64 over UDP multicast, lines A and B, with gap recovery (`--feed moldudp64://...`).
    case multicast(MoldUDP64FeedConfiguration)
}

/// The feed stage: takes ITCH messages from its source, applies them to the books, and writes every
/// tick into the broadcast ring. Runs on its own thread and owns the book engine.
public struct FeedLoop: Sendable {
    /// Where messages come from.
    public var source: FeedSource
    /// Messages per second (the simulator's pace, or a file's); 0 = as fast as possible.
    public var rate: Int
    /// Stop after this many messages (nil = until stopped or the source ends).
    public var messageLimit: Int?

    /// Called on the feed thread with what the multicast receiver notices (gaps, recoveries, stale
    /// marks, sessions, silence): rare events, for the log.
    public var onEvent: (@Sendable (FeedEvent) -> Void)?

    public init(source: FeedSource, rate: Int, messageLimit: Int? = nil, onEvent: (@Sendable (FeedEvent) -> Void)? = nil) {
        self.source = source
        self.rate = rate
        self.messageLimit = messageLimit
        self.onEvent = onEvent
    }

    /// Runs until `stop` is raised or the source ends, then flushes and closes the ring so readers
    /// drain and finish. Returns the engine's final statistics.
    public func run(writer: consuming RingWriter, ring: BroadcastRing, stop: StopFlag, counters: FeedCounters,
                    engine: BookEngine = BookEngine()) throws -> BookStatistics {
        let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
        defer { out.deallocate() }
        var pacer = Pacer(rate: rate)
        var applied = 0
        var ticks = 0
        var refusals = 0
        var receiveTime = Clock.realtime()

        /// Applies one message and writes its ticks; the closure-free hot path of the feed thread.
        func apply(_ base: UnsafeRawPointer, _ length: Int) {
            let n = engine.apply(base, length: length, receiveTime: receiveTime, into: out)
            for i in 0..<n {
                if writer.write(out[i]) { ticks &+= 1 } else { refusals &+= 1 }
            }
            applied &+= 1
        }
        func publishBatch() {
            writer.flush()
            counters.add(messages: applied, ticks: ticks, refusals: refusals)
            applied = 0
            ticks = 0
            refusals = 0
        }

        var total = 0
        counters.setHealth(.live)
        switch source {
        case .multicast(let configuration):
            counters.setHealth(.starting)
            do {
                _ = try runMulticast(configuration, writer: &writer, stop: stop, counters: counters, engine: engine)
            } catch {
                ring.close()
                throw error
            }
        case .simulator(let configuration):
            var simulator = OrderFlowSimulator(configuration)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: OrderFlowSimulator.maxMessageLength, alignment: 8)
            defer { buffer.deallocate() }
            while !stop.isRaised {
                // One batch stands for one exchange packet: one receive time for all of it.
                let due = pacer.due(maxBatch: 4096)
                if due == 0 { pacer.sleepUntilNext(); continue }
                receiveTime = Clock.realtime()
                var k = 0
                while k < due {
                    if let limit = messageLimit, total >= limit { break }
                    let n = simulator.next(into: buffer)
                    apply(UnsafeRawPointer(buffer), n)
                    k += 1
                    total += 1
                }
                pacer.consumed(k)
                publishBatch()
                if let limit = messageLimit, total >= limit { break }
            }
        case .file(let path):
            let capture = try CaptureFile(path: path)
            var sequencer = PacketSequencer()
            func step() {
                if applied >= 256 { publishBatch() }
                while !stop.isRaised, pacer.due(maxBatch: 1) == 0 { publishBatch(); pacer.sleepUntilNext() }
                pacer.consumed(1)
                total += 1
            }
            struct Stop: Error {}
            do {
                switch capture.kind {
                case .dayFile:
                    _ = try capture.forEachMessage { m in
                        if stop.isRaised || (messageLimit.map { total >= $0 } ?? false) { throw Stop() }
                        step()
                        receiveTime = Clock.realtime()
                        apply(m.message.base, m.message.length)
                    }
                case .pcap:
                    _ = try capture.forEachPacket { p in
                        if stop.isRaised || (messageLimit.map { total >= $0 } ?? false) { throw Stop() }
                        receiveTime = Clock.realtime()
                        sequencer.forEachNewMessage(in: p.packet) { message in
                            step()
                            apply(message.base, message.length)
                        }
                    }
                }
            } catch is Stop {
                // Asked to stop, or the message limit reached: what was applied is published below.
            }
        }
        publishBatch()
        if case .multicast = source {} else { counters.setHealth(.ended) }
        counters.markFinished()
        ring.close()
        return engine.statistics
    }
}

/// Paces a stream at `rate` items per second against CLOCK_MONOTONIC, in batches: the feed sleeps
/// between batches instead of spinning, so an idle-rate daemon uses almost no CPU.
public struct Pacer {
    /// Items per second; 0 = unpaced.
    public let rate: Int
    let start = Clock.monotonic()
    var sent = 0

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

import Fanout
import Foundation
import ITCH
import Market
import OrderBook
import Simulator
import Synchronization

/// Where the feed thread takes its ITCH messages from.
public enum FeedSource: Sendable {
    /// The built-in exchange simulator.
    case simulator(SimulatorConfiguration)
    /// A day-file or pcap on disk, applied once from start to end (pcap packets deduplicated by
    /// (session, sequence) as `book` does).
    case file(path: String)
}

/// Counters the feed thread publishes for the status line and /metrics. Written by the feed thread
/// only, read by anyone.
public final class FeedCounters: Sendable {
    private let messageCount = Atomic<Int>(0)
    private let tickCount = Atomic<Int>(0)
    private let ringFails = Atomic<Int>(0)
    private let finishedFlag = Atomic<Bool>(false)

    public init() {}

    // Relaxed everywhere: these are statistics; nothing is inferred from their order.
    /// ITCH messages applied.
    public var messages: Int { messageCount.load(ordering: .relaxed) }
    /// Ticks written to the ring.
    public var ticks: Int { tickCount.load(ordering: .relaxed) }
    /// Ticks the ring refused (a gating reader full under the `.fail` policy, or the ring closed).
    public var ringRefusals: Int { ringFails.load(ordering: .relaxed) }
    /// Whether the source ran out (a file ended, or the simulator reached its message limit).
    public var finished: Bool { finishedFlag.load(ordering: .relaxed) }

    func add(messages: Int, ticks: Int, refusals: Int) {
        messageCount.add(messages, ordering: .relaxed)
        tickCount.add(ticks, ordering: .relaxed)
        if refusals > 0 { ringFails.add(refusals, ordering: .relaxed) }
    }

    func markFinished() { finishedFlag.store(true, ordering: .relaxed) }
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

    public init(source: FeedSource, rate: Int, messageLimit: Int? = nil) {
        self.source = source
        self.rate = rate
        self.messageLimit = messageLimit
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
        var receiveTime = realtimeNanoseconds()

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
        switch source {
        case .simulator(let configuration):
            var simulator = OrderFlowSimulator(configuration)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: OrderFlowSimulator.maxMessageLength, alignment: 8)
            defer { buffer.deallocate() }
            while !stop.isRaised {
                // One batch stands for one exchange packet: one receive time for all of it.
                let due = pacer.due(maxBatch: 4096)
                if due == 0 { pacer.sleepUntilNext(); continue }
                receiveTime = realtimeNanoseconds()
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
                        receiveTime = realtimeNanoseconds()
                        apply(m.message.base, m.message.length)
                    }
                case .pcap:
                    _ = try capture.forEachPacket { p in
                        if stop.isRaised || (messageLimit.map { total >= $0 } ?? false) { throw Stop() }
                        receiveTime = realtimeNanoseconds()
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
        counters.markFinished()
        ring.close()
        return engine.statistics
    }
}

/// Paces a stream at `rate` items per second against CLOCK_MONOTONIC, in batches: the feed sleeps
/// between batches instead of spinning, so an idle-rate daemon uses almost no CPU.
struct Pacer {
    let rate: Int
    let start = monotonicNanoseconds()
    var sent = 0

    init(rate: Int) { self.rate = rate }

    /// How many items are due now (at most `maxBatch`); always `maxBatch` when unpaced.
    func due(maxBatch: Int) -> Int {
        guard rate > 0 else { return maxBatch }
        let elapsed = monotonicNanoseconds() - start
        let target = Int(Double(elapsed) * Double(rate) / 1e9)
        return max(0, min(maxBatch, target - sent))
    }

    mutating func consumed(_ n: Int) { sent += n }

    /// Sleeps about until the next item is due (at least 200 µs, at most 10 ms).
    func sleepUntilNext() {
        guard rate > 0 else { return }
        let perItem = 1e9 / Double(rate)
        let nanos = UInt32(min(10_000_000, max(200_000, perItem)))
        usleep(nanos / 1000)
    }
}

import Fanout
import Feed
import Foundation
import ITCH
import LoadTest
import Market
import MoldUDP64
import Multicast
import OrderBook
import Simulator
import Sockets
import Synchronization
import System

/// The feed → gateway hop (issue 7): real ticks written into a feed node's ring, published by one
/// `FeedNodePublisher` thread (normalized messages, MoldUDP64, 4 channels on loopback multicast),
/// received by a gateway node's `UpstreamReceiver` (snapshot first, then sequencing) into the
/// gateway's ring, and counted by a reader of that ring.
/// - `mcast.hop.ticks`: the highest steady rate (ticks/s, tried in steps from 400 000 to 3 000 000)
///   carried for a second with every tick delivered in time and no gap (no retransmission needed).
/// - `mcast.hop.burst`: ticks per second when the writer writes as fast as the publisher takes them
///   (its ring full: the writer spins and parks, taking CPU from the hop on a small machine).
/// - `mcast.hop.publisher_per_cpu` / `.receiver_per_cpu`: in the burst runs, ticks per CPU-second of
///   the publisher thread (its `sendmmsg` includes the loopback delivery) and of the receiver thread:
///   what one thread of each carries given a core of its own.
/// - `mcast.hop.p50` / `.p99` / `.p99.9`: the hop's added latency at a steady 100 000 ticks/s, from
///   the tick entering the feed node's ring to it leaving the gateway's ring (the feed node's receive
///   time travels with the tick, as in production).
/// `mcast.hop.*` sends packets of up to 1400 bytes (the feed node's default `--payload-size`, for a
/// 1500-byte MTU); `mcast.hop.jumbo.*` the same with 8900 (a 9000-byte jumbo network, ~6× the ticks
/// per datagram and per system call). `HOP_TICKS` sets the burst runs' tick count (default 3 000 000).
let hopSuite: [Benchmark] = [
    Benchmark(name: "mcast.hop") { multicastHopBenchmark(payloadSize: MoldUDP64.defaultMaxPayloadSize, name: "mcast.hop", firstPort: 0) },
    Benchmark(name: "mcast.hop.jumbo") { multicastHopBenchmark(payloadSize: 8_900, name: "mcast.hop.jumbo", firstPort: 100) },
]

/// A day of the simulator's ticks (what the feed handler produces from its messages).
func simulatedTicks(messages: Int) -> [Tick] {
    var ticks: [Tick] = []
    ticks.reserveCapacity(messages)
    let engine = BookEngine()
    let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
    defer { out.deallocate() }
    generate(configuration: SimulatorConfiguration(seed: 3), messages: messages) { m in
        let n = engine.apply(m.baseAddress!, length: m.count, receiveTime: 0, into: out)
        for i in 0..<n { ticks.append(out[i]) }
    }
    return ticks
}

private struct HopRun {
    var ticksPerSecond: Double
    var latency: LatencyHistogram
    var complete: Bool
    var gaps: Int
    /// CPU time of the publisher and receiver threads, nanoseconds.
    var publisherCPU: UInt64
    var receiverCPU: UInt64
}

/// One run: `total` ticks, as fast as possible (`rate` nil) or paced at `rate` ticks/s.
private func hopRun(_ run: Int, ticks: [Tick], total: Int, rate: Int?, payloadSize: Int) -> HopRun {
    let channels = 4
    let group = SocketAddress(host: "239.255.93.\(1 + run % 250)", port: UInt16(41_200 + run))!
    let feedRing = try! BroadcastRing(RingConfiguration(capacity: 65_536, readers: [.gating]))
    var output = FeedNodeOutput(group: group, interface: "127.0.0.1", ttl: 1)
    output.payloadSize = payloadSize
    let publisher = try! FeedNodePublisher(channels: channels, output: output, sessionBase: "HOP\(run)")
    let service = try! FeedNodeService(binding: SocketAddress(host: "127.0.0.1", port: 0)!, publisher: publisher)
    let publisherDone = StopFlag()
    let publisherCPU = Atomic<UInt64>(0), receiverCPU = Atomic<UInt64>(0)
    let publisherThread = NamedThread(name: "bench-publish") {
        var reader = feedRing.makeReader(0)
        let before = Clock.threadCPU()
        publisher.run(reader: &reader, stop: publisherDone)
        publisherCPU.store(Clock.threadCPU() - before, ordering: .relaxed)
    }

    var upstream = UpstreamConfiguration(group: group, channels: channels, service: service.address)
    upstream.sequencing.receiveBuffer = 256 << 20
    upstream.sequencing.maxDatagram = max(2048, payloadSize)
    let configuration = upstream
    let counters = UpstreamCounters(channels: channels)
    // The gateway's ring gates on the counting reader, so nothing is lost after the hop.
    let gatewayRing = try! BroadcastRing(RingConfiguration(capacity: 1 << 18, readers: [.gating]))
    let receiverStop = StopFlag()
    let receiverThread = NamedThread(name: "bench-upstream") {
        var writer = gatewayRing.makeWriter()
        let before = Clock.threadCPU()
        try? UpstreamReceiver(configuration: configuration).run(writer: &writer, stop: receiverStop, counters: counters)
        receiverCPU.store(Clock.threadCPU() - before, ordering: .relaxed)
    }
    let received = Atomic<Int>(0)
    let histogram = Mutex(LatencyHistogram())
    let readerThread = NamedThread(name: "bench-count") {
        var reader = gatewayRing.makeReader(0)
        var tick = Tick()
        var local = LatencyHistogram()
        var n = 0
        let measure = rate != nil
        while n < total {
            guard case .tick = reader.next(into: &tick, timeoutMilliseconds: 5_000) else { break }
            if tick.flags & Tick.Flags.snapshot != 0 { continue }
            if measure { local.record(Clock.realtime() &- tick.receiveTime) }
            n += 1
            if n & 1023 == 0 { received.store(n, ordering: .relaxed) }
        }
        received.store(n, ordering: .relaxed)
        histogram.withLock { $0 = local }
    }
    defer {
        // Idempotent: the normal path has stopped the publisher and receiver already.
        receiverStop.raise()
        receiverThread.join()
        gatewayRing.close()
        readerThread.join()
        feedRing.close()
        publisherDone.raise()
        publisherThread.join()
        service.stop()
    }
    let syncDeadline = Clock.monotonic() + 10_000_000_000
    while !counters.isSynced && Clock.monotonic() < syncDeadline { usleep(1_000) }

    var writer = feedRing.makeWriter()
    let start = Clock.monotonic()
    var i = 0
    while i < total {
        // Paced: write what is due by now (each tick stamped as it is written), then sleep a little
        // rather than spin, so the writer does not take a core from the hop on a small machine.
        let due = rate.map { min(total, Int(Double(Clock.monotonic() - start) * Double($0) / 1e9) + 1) } ?? total
        if i >= due {
            usleep(20)
            continue
        }
        while i < due {
            var t = ticks[i % ticks.count]
            t.receiveTime = Clock.realtime()
            _ = writer.write(t)
            i += 1
            if i & 31 == 0 { writer.flush() }
        }
        writer.flush()
    }
    let deadline = Clock.monotonic() + 30_000_000_000
    while received.load(ordering: .relaxed) < total && Clock.monotonic() < deadline { usleep(100) }
    let elapsed = Clock.monotonic() - start
    let gaps = counters.receiver.gaps
    let complete = received.load(ordering: .relaxed) == total
    receiverStop.raise()
    receiverThread.join()
    feedRing.close()
    publisherDone.raise()
    publisherThread.join()
    return HopRun(ticksPerSecond: Double(total) / (Double(elapsed) / 1e9), latency: histogram.withLock { $0 },
                  complete: complete, gaps: gaps, publisherCPU: publisherCPU.load(ordering: .relaxed),
                  receiverCPU: receiverCPU.load(ordering: .relaxed))
}

/// Runs numbered from `firstPort` pick their group and port from it (each benchmark its own).
private func multicastHopBenchmark(payloadSize: Int, name: String, firstPort: Int) -> [BenchmarkResult] {
    let runs = isOptimizedBuild ? 5 : 1
    let ticks = simulatedTicks(messages: isOptimizedBuild ? 1_000_000 : 100_000)
    let total = isOptimizedBuild ? (ProcessInfo.processInfo.environment["HOP_TICKS"].flatMap { Int($0) } ?? 3_000_000) : 100_000
    // Steady rates tried, in ticks/s: the highest one carried for a second with every tick delivered
    // in time and no gap is the hop's sustained capacity.
    let ladder = isOptimizedBuild ? [400_000, 600_000, 800_000, 1_000_000, 1_200_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000]
                                   : [20_000]
    var burst: [Double] = [], sustained: [Double] = [], publisherPerCPU: [Double] = [], receiverPerCPU: [Double] = []
    var p50: [Double] = [], p99: [Double] = [], p999: [Double] = []
    var port = firstPort
    func nextPort() -> Int { port += 1; return port - 1 }
    for run in 0..<runs {
        let fast = hopRun(nextPort(), ticks: ticks, total: total, rate: nil, payloadSize: payloadSize)
        if fast.complete && fast.gaps == 0 {
            burst.append(fast.ticksPerSecond)
            publisherPerCPU.append(Double(total) / (Double(max(fast.publisherCPU, 1)) / 1e9))
            receiverPerCPU.append(Double(total) / (Double(max(fast.receiverCPU, 1)) / 1e9))
        } else {
            printError("\(name): run \(run) at full speed was not clean (all arrived: \(fast.complete), gaps \(fast.gaps)): not counted")
        }
        var best = 0.0
        for rate in ladder {
            let steady = hopRun(nextPort(), ticks: ticks, total: rate, rate: rate, payloadSize: payloadSize)
            guard steady.complete && steady.gaps == 0 && steady.ticksPerSecond >= 0.95 * Double(rate) else { break }
            best = Double(rate)
        }
        sustained.append(best)
        let latencyRate = ProcessInfo.processInfo.environment["HOP_RATE"].flatMap { Int($0) } ?? 100_000
        let paced = hopRun(nextPort(), ticks: ticks, total: isOptimizedBuild ? 2 * latencyRate : 20_000, rate: latencyRate, payloadSize: payloadSize)
        if paced.complete, let a = paced.latency.quantile(0.5), let b = paced.latency.quantile(0.99),
           let c = paced.latency.quantile(0.999) {
            p50.append(Double(a) / 1000)
            p99.append(Double(b) / 1000)
            p999.append(Double(c) / 1000)
        } else {
            printError("\(name): paced run \(run) did not deliver every tick: not counted")
        }
    }
    return [BenchmarkResult(name: name + ".ticks", value: median(sustained), unit: "ticks/s (steady, no gap)", runs: sustained.count),
            BenchmarkResult(name: name + ".burst", value: median(burst), unit: "ticks/s", runs: burst.count),
            BenchmarkResult(name: name + ".publisher_per_cpu", value: median(publisherPerCPU), unit: "ticks/cpu-s",
                            runs: publisherPerCPU.count),
            BenchmarkResult(name: name + ".receiver_per_cpu", value: median(receiverPerCPU), unit: "ticks/cpu-s",
                            runs: receiverPerCPU.count),
            BenchmarkResult(name: name + ".p50", value: median(p50), unit: "us", runs: p50.count),
            BenchmarkResult(name: name + ".p99", value: median(p99), unit: "us", runs: p99.count),
            BenchmarkResult(name: name + ".p99.9", value: median(p999), unit: "us", runs: p999.count)]
}

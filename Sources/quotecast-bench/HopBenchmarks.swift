import Fanout
import Feed
import Foundation
import LoadTest
import Market
import Multicast
import OrderBook
import Simulator
import Sockets
import Synchronization

/// The feed → gateway hop (issue 7): real ticks written into a feed node's ring, published by one
/// `FeedNodePublisher` thread (normalized messages, MoldUDP64, 4 channels on loopback multicast),
/// received by a gateway node's `UpstreamReceiver` (snapshot first, then sequencing) into the
/// gateway's ring, and counted by a reader of that ring.
/// - `mcast.hop.ticks`: ticks per second through the hop, writing as fast as the publisher takes
///   them; a run counts only if every tick arrived and no gap was seen (no retransmission needed).
/// - `mcast.hop.p50` / `.p99` / `.p99.9`: the hop's added latency at a steady 100 000 ticks/s, from
///   the tick entering the feed node's ring to it leaving the gateway's ring (the feed node's receive
///   time travels with the tick, as in production).
let hopSuite: [Benchmark] = [
    Benchmark(name: "mcast.hop") { multicastHopBenchmark() },
]

/// A day of the simulator's ticks (what the feed handler produces from its messages).
private func simulatedTicks(messages: Int) -> [Tick] {
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
}

/// One run: `total` ticks, as fast as possible (`rate` nil) or paced at `rate` ticks/s.
private func hopRun(_ run: Int, ticks: [Tick], total: Int, rate: Int?) -> HopRun {
    let channels = 4
    let group = SocketAddress(host: "239.255.93.\(1 + run)", port: UInt16(41_200 + run))!
    let feedRing = try! BroadcastRing(RingConfiguration(capacity: 65_536, readers: [.gating]))
    let publisher = try! FeedNodePublisher(channels: channels, output: FeedNodeOutput(group: group, interface: "127.0.0.1", ttl: 1),
                                           sessionBase: "HOP\(run)")
    let service = try! FeedNodeService(binding: SocketAddress(host: "127.0.0.1", port: 0)!, publisher: publisher)
    let publisherDone = StopFlag()
    let publisherThread = NamedThread(name: "bench-publish") {
        var reader = feedRing.makeReader(0)
        publisher.run(reader: &reader, stop: publisherDone)
    }

    var upstream = UpstreamConfiguration(group: group, channels: channels, service: service.address)
    upstream.receiveBuffer = 256 << 20
    let configuration = upstream
    let counters = UpstreamCounters(channels: channels)
    // The gateway's ring gates on the counting reader, so nothing is lost after the hop.
    let gatewayRing = try! BroadcastRing(RingConfiguration(capacity: 1 << 18, readers: [.gating]))
    let receiverStop = StopFlag()
    let receiverThread = NamedThread(name: "bench-upstream") {
        var writer = gatewayRing.makeWriter()
        try? UpstreamReceiver(configuration: configuration).run(writer: &writer, stop: receiverStop, counters: counters)
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
            if measure { local.record(realtimeNanoseconds() &- tick.receiveTime) }
            n += 1
            if n & 1023 == 0 { received.store(n, ordering: .relaxed) }
        }
        received.store(n, ordering: .relaxed)
        histogram.withLock { $0 = local }
    }
    defer {
        receiverStop.raise()
        receiverThread.join()
        gatewayRing.close()
        readerThread.join()
        feedRing.close()
        publisherDone.raise()
        publisherThread.join()
        service.stop()
    }
    let syncDeadline = monotonicNanoseconds() + 10_000_000_000
    while !counters.isSynced && monotonicNanoseconds() < syncDeadline { usleep(1_000) }

    var writer = feedRing.makeWriter()
    let start = monotonicNanoseconds()
    var i = 0
    while i < total {
        // Paced: write what is due by now (each tick stamped as it is written), then sleep a little
        // rather than spin, so the writer does not take a core from the hop on a small machine.
        let due = rate.map { min(total, Int(Double(monotonicNanoseconds() - start) * Double($0) / 1e9) + 1) } ?? total
        if i >= due {
            usleep(20)
            continue
        }
        while i < due {
            var t = ticks[i % ticks.count]
            t.receiveTime = realtimeNanoseconds()
            _ = writer.write(t)
            i += 1
            if i & 31 == 0 { writer.flush() }
        }
        writer.flush()
    }
    let deadline = monotonicNanoseconds() + 30_000_000_000
    while received.load(ordering: .relaxed) < total && monotonicNanoseconds() < deadline { usleep(100) }
    let elapsed = monotonicNanoseconds() - start
    let gaps = counters.receiver.gaps
    return HopRun(ticksPerSecond: Double(total) / (Double(elapsed) / 1e9), latency: histogram.withLock { $0 },
                  complete: received.load(ordering: .relaxed) == total, gaps: gaps)
}

private func multicastHopBenchmark() -> [BenchmarkResult] {
    let runs = isOptimizedBuild ? 5 : 1
    let ticks = simulatedTicks(messages: isOptimizedBuild ? 1_000_000 : 100_000)
    let total = isOptimizedBuild ? (ProcessInfo.processInfo.environment["HOP_TICKS"].flatMap { Int($0) } ?? 3_000_000) : 100_000
    var rates: [Double] = []
    var p50: [Double] = [], p99: [Double] = [], p999: [Double] = []
    for run in 0..<runs {
        let fast = hopRun(2 * run, ticks: ticks, total: total, rate: nil)
        if fast.complete && fast.gaps == 0 {
            rates.append(fast.ticksPerSecond)
        } else {
            printError("mcast.hop: run \(run) at full speed was not clean (all arrived: \(fast.complete), gaps \(fast.gaps)): not counted")
        }
        let paced = hopRun(2 * run + 1, ticks: ticks, total: isOptimizedBuild ? 200_000 : 20_000, rate: 100_000)
        if paced.complete, let a = paced.latency.quantile(0.5), let b = paced.latency.quantile(0.99),
           let c = paced.latency.quantile(0.999) {
            p50.append(Double(a) / 1000)
            p99.append(Double(b) / 1000)
            p999.append(Double(c) / 1000)
        } else {
            printError("mcast.hop: paced run \(run) did not deliver every tick: not counted")
        }
    }
    return [BenchmarkResult(name: "mcast.hop.ticks", value: median(rates), unit: "ticks/s", runs: rates.count),
            BenchmarkResult(name: "mcast.hop.p50", value: median(p50), unit: "us", runs: p50.count),
            BenchmarkResult(name: "mcast.hop.p99", value: median(p99), unit: "us", runs: p99.count),
            BenchmarkResult(name: "mcast.hop.p99.9", value: median(p999), unit: "us", runs: p999.count)]
}

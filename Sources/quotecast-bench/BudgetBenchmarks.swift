import Fanout
import Foundation
import LoadTest
import Market
import MoldUDP64
import Multicast
import OrderBook
import Simulator
import Sockets
import Synchronization
import System

/// The feed node's bandwidth budget (issue 24): simulated ticks written into a feed node's ring at a
/// steady rate, published by one `FeedNodePublisher` (4 channels, loopback multicast) and received
/// by a plain socket reader that decodes each message's `rt`. First without a budget, which gives
/// the wire rate W of that tick rate; then with the total budget at W / 0.5 and W / 0.9, so the
/// ticks use 50 % and 90 % of it (nothing is conflated; the pacing alone is measured).
/// - `mcast.budget.p50.off` / `.p99.off`, `.p50.at50` / `.p99.at50`, `.p50.at90` / `.p99.at90`:
///   latency from the ring write to the datagram's arrival (µs) without a budget, at 50 % and at
///   90 % of it (the runs of one triple follow each other, so their difference is what pacing adds).
/// - `mcast.budget.conflated.at90`: quotes conflated at 90 % (% of ticks): the writer's bursts (and
///   the machine's stalls) that go past the burst.
/// - `mcast.budget.cpu_per_tick` / `.cpu_per_tick.off`: the publisher thread's CPU per tick with the
///   budget at 90 % and without (ns).
/// `BUDGET_RATE` sets the tick rate (default 20 000 ticks/s), `BUDGET_SECONDS` each run's length (3).
let budgetSuite: [Benchmark] = [
    Benchmark(name: "mcast.budget") { budgetBenchmark() },
]

private struct BudgetRun {
    var p50: Double
    var p99: Double
    var wireBitsPerSecond: Double
    var cpuPerTick: Double
    var conflated: Int
}

private func budgetRun(_ run: Int, ticks: [Tick], rate: Int, seconds: Double, totalBudget: UInt64?) -> BudgetRun? {
    let channels = 4
    let port = UInt16(41_900 + run)
    let group = SocketAddress(host: "239.255.94.\(1 + run % 200)", port: port)!
    var output = FeedNodeOutput(group: group, interface: "127.0.0.1", ttl: 1)
    output.budget.totalBitsPerSecond = totalBudget
    let ring = try! BroadcastRing(RingConfiguration(capacity: 65_536, readers: [.gating]))
    let publisher = try! FeedNodePublisher(channels: channels, output: output, sessionBase: "BUD\(run)")
    let sockets = (0..<channels).map { try! UDPSocket.multicastReceiver(group: output.group(ofChannel: $0)!, interface: "127.0.0.1") }
    defer { sockets.forEach { $0.close() } }
    let done = StopFlag()
    let cpu = Atomic<UInt64>(0)
    let publisherThread = NamedThread(name: "bench-publish") {
        var reader = ring.makeReader(0)
        let before = Clock.threadCPU()
        publisher.run(reader: &reader, stop: done)
        cpu.store(Clock.threadCPU() - before, ordering: .relaxed)
    }
    let total = Int(Double(rate) * seconds)
    let histogram = Mutex(LatencyHistogram())
    let receiverStop = StopFlag()
    let receiverThread = NamedThread(name: "bench-receive") {
        let batch = DatagramBatch(capacity: 64, stride: 2048)
        var local = LatencyHistogram()
        while !receiverStop.isRaised {
            var got = false
            for socket in sockets {
                let n = (try? socket.receive(into: batch)) ?? 0
                let now = Clock.realtime()
                for i in 0..<n {
                    guard let d = batch.datagram(i), let packet = try? MoldUDP64Packet(d), case .messages = packet.kind else { continue }
                    got = true
                    _ = packet.forEachBlock { block in
                        if case .success(.tick(let t)) = NormalizedMessage.decode(block.message.base, length: block.message.length) {
                            local.record(now &- t.receiveTime)
                        }
                    }
                }
            }
            if !got { _ = UDPSocket.waitReadable(sockets, timeoutMilliseconds: 20) }
        }
        histogram.withLock { $0 = local }
    }
    var writer = ring.makeWriter()
    let start = Clock.monotonic()
    var i = 0
    while i < total {
        let due = min(total, Int(Double(Clock.monotonic() - start) * Double(rate) / 1e9) + 1)
        if i >= due {
            DeadlineSleeper.sleep(until: Clock.monotonic() + 50_000)
            continue
        }
        while i < due {
            var t = ticks[i % ticks.count]
            t.seq = UInt64(i / ticks.count + 1)  // seqs are not checked here
            t.receiveTime = Clock.realtime()
            _ = writer.write(t)
            i += 1
        }
        writer.flush()
    }
    let elapsed = Double(Clock.monotonic() - start) / 1e9
    ring.close()
    DeadlineSleeper.sleep(until: Clock.monotonic() + 300_000_000)  // the last packets arrive
    done.raise()
    publisherThread.join()
    receiverStop.raise()
    receiverThread.join()
    let wire = publisher.counters.channels.reduce(0) { $0 + $1.wireBytes.load(ordering: .relaxed) }
    let conflated = publisher.counters.channels.reduce(0) { $0 + $1.quotesConflated.load(ordering: .relaxed) }
    let h = histogram.withLock { $0 }
    guard let p50 = h.quantile(0.5), let p99 = h.quantile(0.99) else { return nil }
    return BudgetRun(p50: Double(p50) / 1000, p99: Double(p99) / 1000, wireBitsPerSecond: Double(wire * 8) / elapsed,
                     cpuPerTick: Double(cpu.load(ordering: .relaxed)) / Double(total), conflated: conflated)
}

private func budgetBenchmark() -> [BenchmarkResult] {
    let runs = isOptimizedBuild ? 3 : 1
    let env = ProcessInfo.processInfo.environment
    let rate = env["BUDGET_RATE"].flatMap { Int($0) } ?? 20_000
    let seconds = env["BUDGET_SECONDS"].flatMap { Double($0) } ?? (isOptimizedBuild ? 3 : 1)
    var ticks: [Tick] = []
    let engine = BookEngine()
    let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
    defer { out.deallocate() }
    generate(configuration: SimulatorConfiguration(seed: 3), messages: 200_000) { m in
        let n = engine.apply(m.baseAddress!, length: m.count, receiveTime: 0, into: out)
        for i in 0..<n { ticks.append(out[i]) }
    }
    var p50: [[Double]] = [[], [], []], p99: [[Double]] = [[], [], []]  // off, at 50 %, at 90 %
    var cpuOn: [Double] = [], cpuOff: [Double] = [], conflatedShare: [Double] = []
    for run in 0..<runs {
        guard let off = budgetRun(run * 3, ticks: ticks, rate: rate, seconds: seconds, totalBudget: nil) else { continue }
        let at50 = budgetRun(run * 3 + 1, ticks: ticks, rate: rate, seconds: seconds, totalBudget: UInt64(off.wireBitsPerSecond / 0.5))
        let at90 = budgetRun(run * 3 + 2, ticks: ticks, rate: rate, seconds: seconds, totalBudget: UInt64(off.wireBitsPerSecond / 0.9))
        // Only whole triples count, so the three columns come from the same moments of the machine.
        guard let at50, let at90 else { continue }
        for (i, r) in [off, at50, at90].enumerated() {
            p50[i].append(r.p50)
            p99[i].append(r.p99)
        }
        cpuOff.append(off.cpuPerTick)
        cpuOn.append(at90.cpuPerTick)
        conflatedShare.append(Double(at90.conflated) / Double(rate) / seconds * 100)
        printError("mcast.budget: run \(run): \(rate) ticks/s = \(Int(off.wireBitsPerSecond)) bit/s on the wire without a budget; "
                   + "at 90 % \(at90.conflated) quotes conflated")
    }
    var results: [BenchmarkResult] = []
    for (i, column) in ["off", "at50", "at90"].enumerated() {
        results.append(BenchmarkResult(name: "mcast.budget.p50.\(column)", value: median(p50[i]), unit: "us", runs: p50[i].count))
        results.append(BenchmarkResult(name: "mcast.budget.p99.\(column)", value: median(p99[i]), unit: "us", runs: p99[i].count))
    }
    return results + [
        BenchmarkResult(name: "mcast.budget.conflated.at90", value: median(conflatedShare), unit: "% of ticks", runs: conflatedShare.count),
        BenchmarkResult(name: "mcast.budget.cpu_per_tick", value: median(cpuOn), unit: "ns (at 90 %)", runs: cpuOn.count),
        BenchmarkResult(name: "mcast.budget.cpu_per_tick.off", value: median(cpuOff), unit: "ns (no budget)", runs: cpuOff.count)]
}

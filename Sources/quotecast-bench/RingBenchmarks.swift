// Benchmarks of the broadcast ring (issue 3): throughput 1→1, 1→2, 1→4 against the plain C ring of the
// same slot size, the cost of the seqlock (atomic-word) slot copy, and publish→reader latency.
import CRingBaseline
import CShim
import Fanout
import Glibc
import Market
import Synchronization
import System

/// The ring suite: `ring.1to1`, `ring.1to2`, `ring.1to4`, `ring.1to2.mixed`, `ring.latency`,
/// `ring.latency.parked`.
let ringSuite: [Benchmark] = [
    Benchmark(name: "ring.1to1") { ringThroughput(name: "ring.1to1", readers: 1, ticks: 10_000_000) },
    Benchmark(name: "ring.1to2") { ringThroughput(name: "ring.1to2", readers: 2, ticks: 10_000_000) },
    Benchmark(name: "ring.1to4") { ringThroughput(name: "ring.1to4", readers: 4, ticks: 4_000_000) },
    Benchmark(name: "ring.1to2.mixed") { ringMixed(ticks: 10_000_000) },
    Benchmark(name: "ring.latency") { ringLatency(name: "ring.latency", wait: .spinning, samples: 200_000, gap: 1_000) },
    Benchmark(name: "ring.latency.parked") {
        ringLatency(name: "ring.latency.parked", wait: .blocking, samples: 20_000, gap: 200_000)
    },
]

private let ringRuns = 5
private let ringCapacity = 8192
private let ringBatch = 32

/// Shrinks work in debug builds so a smoke run stays short.
private func scaled(_ count: Int) -> Int { isOptimizedBuild ? count : max(1000, count / 50) }

/// A realistic quote: ten levels a side.
private func sampleTick() -> Tick {
    var tick = Tick()
    tick.symbol = Symbol("AAPL") ?? .none
    tick.locate = 13
    tick.bidCount = 10
    tick.askCount = 10
    for level in 0..<Tick.depth {
        tick.bids[level] = PriceLevel(price: UInt32(1_900_000 - level * 100), size: UInt32(100 * (level + 1)))
        tick.asks[level] = PriceLevel(price: UInt32(1_900_100 + level * 100), size: UInt32(100 * (level + 1)))
    }
    return tick
}

/// One Swift run: the writer on this thread, `kinds.count` reader threads reading until close.
/// Returns ticks per second and each reader's seq checksum (gating readers must see Σ 0..<ticks).
private func swiftRingRun(kinds: [RingReaderKind], ticks: Int, wait: WaitStrategy = .adaptive) -> (rate: Double, sums: [UInt64]) {
    let ring = try! BroadcastRing(RingConfiguration(capacity: ringCapacity, readers: kinds,
                                                    publishBatch: ringBatch, wait: wait))
    let start = Clock.monotonic()
    let threads = kinds.indices.map { index in
        JoinableThread(name: "bench-reader-\(index)") { () -> UInt64 in
            var reader = ring.makeReader(index)
            var tick = Tick()
            var sum: UInt64 = 0
            while true {
                switch reader.next(into: &tick) {
                case .tick: sum &+= tick.seq
                case .lapped, .empty: continue
                case .closed: return sum
                }
            }
        }
    }
    var writer = ring.makeWriter()
    // The tick lives in memory, as a feed handler's does (and as the C run's does): a local `var` gets
    // scalarized and rebuilt byte by byte every iteration, which stalls store forwarding and measures the
    // compiler's handling of a 228-byte local rather than the ring.
    let tick = UnsafeMutablePointer<Tick>.allocate(capacity: 1)
    tick.initialize(to: sampleTick())
    defer { tick.deallocate() }
    for i in 0..<ticks {
        tick.pointee.seq = UInt64(i)
        _ = writer.write(tick.pointee)
    }
    writer.flush()
    ring.close()
    let sums = threads.map { $0.join() }
    let elapsed = Double(Clock.monotonic() - start) / 1e9
    return (Double(ticks) / elapsed, sums)
}

/// One C run with the same workload.
private func cRingRun(readers: Int, ticks: Int) -> (rate: Double, sums: [UInt64]) {
    var tick = sampleTick()
    var sums = [UInt64](repeating: 0, count: readers)
    let seqOffset = MemoryLayout<Tick>.offset(of: \Tick.seq)!
    let nanos = withUnsafeBytes(of: &tick) { bytes in
        sums.withUnsafeMutableBufferPointer { out in
            qc_ring_baseline_run(Int32(readers), UInt64(ticks), UInt32(ringCapacity), UInt32(ringBatch),
                                 bytes.baseAddress, UInt32(MemoryLayout<Tick>.size), UInt32(seqOffset),
                                 out.baseAddress)
        }
    }
    return (Double(ticks) / (Double(nanos) / 1e9), sums)
}

private func checkSums(_ sums: [UInt64], ticks: Int, label: String) {
    let expected = UInt64(ticks) * UInt64(ticks - 1) / 2
    for (i, sum) in sums.enumerated() where sum != expected {
        printError("quotecast-bench: \(label) reader \(i) checksum \(sum) != \(expected)")
    }
}

/// Swift and C runs interleaved (so drift hits both), medians, and their ratio.
private func ringThroughput(name: String, readers: Int, ticks rawTicks: Int) -> [BenchmarkResult] {
    let ticks = scaled(rawTicks)
    var swiftRates: [Double] = []
    var cRates: [Double] = []
    for _ in 0..<ringRuns {
        let s = swiftRingRun(kinds: Array(repeating: .gating, count: readers), ticks: ticks)
        checkSums(s.sums, ticks: ticks, label: name)
        swiftRates.append(s.rate)
        let c = cRingRun(readers: readers, ticks: ticks)
        checkSums(c.sums, ticks: ticks, label: name + ".c")
        cRates.append(c.rate)
    }
    let swiftMedian = median(swiftRates)
    let cMedian = median(cRates)
    return [
        BenchmarkResult(name: name, value: swiftMedian, unit: "ticks/s", runs: ringRuns),
        BenchmarkResult(name: name + ".c", value: cMedian, unit: "ticks/s", runs: ringRuns),
        BenchmarkResult(name: name + ".ratio", value: swiftMedian / cMedian, unit: "x", runs: ringRuns),
    ]
}

/// A gating publisher plus a non-gating gateway: the writer then stores slots as atomic words with
/// seqlock stamps. Compare with `ring.1to2` (plain copies) for the price of being TSan-clean.
private func ringMixed(ticks rawTicks: Int) -> [BenchmarkResult] {
    let ticks = scaled(rawTicks)
    let rates = (0..<ringRuns).map { _ -> Double in
        let run = swiftRingRun(kinds: [.gating, .nonGating], ticks: ticks)
        checkSums([run.sums[0]], ticks: ticks, label: "ring.1to2.mixed")
        return run.rate
    }
    return [BenchmarkResult(name: "ring.1to2.mixed", value: median(rates), unit: "ticks/s", runs: ringRuns)]
}

/// Publish → reader latency: the writer stamps `timestamp` with CLOCK_MONOTONIC, writes and flushes
/// one tick, and waits for the reader's acknowledgement (so no backlog inflates later samples) plus
/// `gap` ns; the reader subtracts on arrival. `ring.latency`: a spinning reader (never parks), 1 µs
/// apart: the handover itself. `ring.latency.parked`: a blocking reader, 200 µs apart, so every tick
/// finds it parked: the price of a wakeup (the writer's signal, the scheduler, the reader's return),
/// which is what the adaptive strategy's spin budget is weighed against (`IdleBackoff`).
private func ringLatency(name: String, wait: WaitStrategy, samples rawSamples: Int, gap: UInt64) -> [BenchmarkResult] {
    let samples = scaled(rawSamples)
    let runs = 3
    var p50s: [Double] = []
    var p99s: [Double] = []
    for _ in 0..<runs {
        let ring = try! BroadcastRing(RingConfiguration(capacity: 1024, readers: [.gating], wait: wait))
        let acknowledged = Acknowledgement()
        let reader = JoinableThread(name: "bench-latency") { () -> [Double] in
            var handle = ring.makeReader(0)
            var tick = Tick()
            var latencies: [Double] = []
            latencies.reserveCapacity(samples)
            while case .tick = handle.next(into: &tick) {
                latencies.append(Double(Clock.monotonic() &- tick.timestamp))
                // Release: the writer's acquire load then knows this sample is done (no data rides on it).
                acknowledged.count.store(latencies.count, ordering: .releasing)
            }
            return latencies
        }
        var writer = ring.makeWriter()
        var tick = sampleTick()
        for i in 0..<samples {
            // Acquire: pairs with the reader's release store above.
            while acknowledged.count.load(ordering: .acquiring) < i { qc_cpu_relax() }
            let pause = Clock.monotonic()
            while Clock.monotonic() &- pause < gap { qc_cpu_relax() }
            tick.seq = UInt64(i)
            tick.timestamp = Clock.monotonic()
            _ = writer.write(tick)
            writer.flush()
        }
        ring.close()
        let sorted = reader.join().sorted()
        p50s.append(quantile(sorted, 0.50))
        p99s.append(quantile(sorted, 0.99))
    }
    return [
        BenchmarkResult(name: "\(name).p50", value: median(p50s), unit: "ns", runs: runs),
        BenchmarkResult(name: "\(name).p99", value: median(p99s), unit: "ns", runs: runs),
    ]
}

/// How many latency samples the reader has taken.
private final class Acknowledgement: Sendable {
    let count = Atomic<Int>(0)
}

/// A pthread that runs `body` and hands its result to `join()`.
private final class JoinableThread<Result>: @unchecked Sendable {
    // @unchecked: `result` is written by the thread before it exits and read only after `pthread_join`,
    // which orders the two.
    private var thread = pthread_t()

    init(name: String, _ body: @escaping @Sendable () -> Result) {
        let box = ResultBox<Result>()
        thread = startThread(name: name) { box.value = body() }
        self.box = box
    }

    private let box: ResultBox<Result>

    func join() -> Result {
        pthread_join(thread, nil)
        return box.value!
    }
}

/// Where a thread leaves its result.
private final class ResultBox<Value>: @unchecked Sendable {
    // @unchecked: written once by the thread, read after `pthread_join` (see `JoinableThread`).
    var value: Value?
}

/// The closure a pthread runs, passed through `pthread_create`'s context pointer.
private final class ThreadStart {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}

/// Starts a named pthread running `body`.
private func startThread(name: String, _ body: @escaping @Sendable () -> Void) -> pthread_t {
    let context = Unmanaged.passRetained(ThreadStart(name: name, body: body)).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, { context in
        let start = Unmanaged<ThreadStart>.fromOpaque(context!).takeRetainedValue()
        _ = qc_set_thread_name(start.name)
        start.body()
        return nil
    }, context)
    precondition(created == 0, "pthread_create failed: \(created)")
    return thread
}

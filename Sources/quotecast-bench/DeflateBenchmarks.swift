// Benchmarks of permessage-deflate's compression (issue 22, phase 1): what one compression of a
// quote costs and saves, shared (no context: the fixed-Huffman encoder, and zlib at levels 1 and 6) and per connection
// (context kept, the default window and memory level), and what timing each compression with the
// thread CPU clock costs (the server reads it twice per compression). Synthetic quotes of 100 symbols with prices and sizes moving at random; the
// simulator's flow through the gateway is phase 2's benchmark.
import CShim
import Glibc
import Market
import WebSocket

/// The deflate suite: `ws.deflate` (every figure below).
let deflateSuite: [Benchmark] = [
    Benchmark(name: "ws.deflate") { deflateFigures(messages: isOptimizedBuild ? 20_000 : 2_000) },
]

private let deflateRuns = 5

/// `count` encoded quotes cut to `depth` levels, as their JSON bytes.
private func sampleQuotes(_ count: Int, depth: Int) -> [[UInt8]] {
    var rng = SplitMix64(seed: 22)
    let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: TickJSON.maxLength)
    defer { scratch.deallocate() }
    var out: [[UInt8]] = []
    out.reserveCapacity(count)
    for n in 0..<count {
        var t = Tick()
        let i = Int.random(in: 0..<100, using: &rng)
        t.symbol = Symbol("S\(i)")!
        t.locate = UInt16(i + 1)
        t.seq = UInt64(n)
        t.timestamp = 34_200_000_000_000 + UInt64(n) * 37_000
        t.receiveTime = 1_765_000_000_000_000_000 + UInt64(n) * 41_000
        t.kind = .quote
        t.status = .trading
        t.bidCount = 10
        t.askCount = 10
        let base = UInt32(1_000_000 + i * 10_000 + Int.random(in: 0..<64, using: &rng) * 100)
        for l in 0..<10 {
            t.bids[l] = PriceLevel(price: base - UInt32(l) * 100, size: UInt32.random(in: 1...50, using: &rng) * 100)
            t.asks[l] = PriceLevel(price: base + 100 + UInt32(l) * 100, size: UInt32.random(in: 1...50, using: &rng) * 100)
        }
        let n = TickJSON.encode(t, depth: depth, into: scratch)
        out.append(Array(UnsafeBufferPointer(start: scratch, count: n)))
    }
    return out
}

private func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Compresses every message with `deflater`: thread CPU nanoseconds per message (what the server's
/// counter measures; unlike wall time, not inflated when the shared machine runs other work) and
/// compressed/plain bytes.
private func compressAll(_ messages: [[UInt8]], _ compress: (UnsafeRawBufferPointer, inout [UInt8]) -> Int?) -> (ns: Double, ratio: Double) {
    var scratch: [UInt8] = []
    var plain = 0
    var compressed = 0
    let started = qc_thread_cpu_ns()
    for m in messages {
        plain += m.count
        compressed += m.withUnsafeBytes { compress($0, &scratch) } ?? m.count
    }
    let elapsed = Double(qc_thread_cpu_ns() - started)
    return (elapsed / Double(messages.count), Double(compressed) / Double(plain))
}

private func deflateFigures(messages: Int) -> [BenchmarkResult] {
    var results: [BenchmarkResult] = []
    for depth in [10, 1] {
        let quotes = sampleQuotes(messages, depth: depth)
        let plainBytes = Double(quotes.reduce(0) { $0 + $1.count }) / Double(quotes.count)
        results.append(BenchmarkResult(name: "ws.deflate.quote\(depth).plain_bytes", value: plainBytes, unit: "bytes", runs: 1))
        // As the server makes them: the shared fixed-Huffman encoder (messages up to 1 KiB); zlib
        // without context at levels 1 and 6 and memory level 4 (what the shared frames were built with
        // before the encoder); and a per-connection one with the default window and memory level.
        let defaults = DeflateConfiguration()
        typealias Compress = (UnsafeRawBufferPointer, inout [UInt8]) -> Int?
        func zlib(_ deflater: MessageDeflater?) -> Compress? {
            guard let deflater else { return nil }
            return { deflater.compress($0, into: &$1) }
        }
        let settings: [(String, () -> Compress?)] = [
            ("shared.fixed", {
                let fixed = FixedHuffmanDeflater(maximumMessageBytes: defaults.sharedLargeMessageBytes)
                return { fixed.compress($0, into: &$1) }
            }),
            ("shared.zlib.l1", { zlib(MessageDeflater(contextTakeover: false, memoryLevel: 4, level: 1)) }),
            ("shared.zlib.l6", { zlib(MessageDeflater(contextTakeover: false, memoryLevel: 4, level: 6)) }),
            ("context.l6", { zlib(MessageDeflater(maxWindowBits: defaults.connectionWindowBits, contextTakeover: true,
                                                  memoryLevel: defaults.connectionMemoryLevel, level: 6)) }),
        ]
        for (label, make) in settings {
            var ratios: [Double] = []
            let ns = medianOf(runs: deflateRuns) {
                guard let compress = make() else { return .nan }
                let (ns, ratio) = compressAll(quotes, compress)
                ratios.append(ratio)
                return ns
            }
            results.append(BenchmarkResult(name: "ws.deflate.quote\(depth).\(label).ns", value: ns, unit: "cpu-ns/msg", runs: deflateRuns))
            results.append(BenchmarkResult(name: "ws.deflate.quote\(depth).\(label).ratio", value: median(ratios),
                                           unit: "compressed/plain", runs: deflateRuns))
        }
    }
    // What a CLOCK_THREAD_CPUTIME_ID read costs (two per timed compression).
    let clock = medianOf(runs: deflateRuns) {
        var ts = timespec()
        var sink = 0
        let started = monotonicNanoseconds()
        for _ in 0..<100_000 {
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            sink &+= ts.tv_nsec
        }
        let elapsed = Double(monotonicNanoseconds() - started)
        return sink == -1 ? .nan : elapsed / 100_000
    }
    results.append(BenchmarkResult(name: "ws.deflate.thread_cpu_clock.ns", value: clock, unit: "ns/call", runs: deflateRuns))
    return results
}

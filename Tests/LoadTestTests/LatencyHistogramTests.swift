import Foundation
import LoadTest
import Market
import Testing

/// Property tests: for many random samples of very different shapes, every quantile the histogram
/// reports is within 1 % of the exact (nearest-rank) quantile of the sorted sample.
@Suite struct LatencyHistogramTests {
    static func exact(_ sorted: [UInt64], _ q: Double) -> UInt64 {
        let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
        return sorted[min(rank, sorted.count) - 1]
    }

    @Test(arguments: ["uniform-small", "uniform-wide", "lognormal", "bimodal", "pareto", "constant"])
    func quantilesAreWithinOnePercent(shape: String) {
        var random = SplitMix64(seed: UInt64(shape.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) }))
        func unit() -> Double { Double(random.next() >> 11) * 0x1p-53 }
        for trial in 0..<20 {
            let n = 1 + Int(random.next() % 20_000)
            var values: [UInt64] = []
            values.reserveCapacity(n)
            for _ in 0..<n {
                let v: Double
                switch shape {
                case "uniform-small": v = unit() * 300
                case "uniform-wide": v = unit() * 1e12
                case "lognormal":
                    let g = sqrt(-2 * log(max(unit(), 1e-300))) * cos(2 * .pi * unit())
                    v = exp(13 + 1.5 * g)                       // median ~0.4 ms, long tail
                case "bimodal": v = unit() < 0.9 ? 50_000 + unit() * 10_000 : 20_000_000 + unit() * 5e6
                case "pareto": v = 1000 / pow(max(unit(), 1e-12), 1.2)
                default: v = 123_456_789
                }
                values.append(UInt64(min(v, 1e15)))
            }
            var h = LatencyHistogram()
            for v in values { h.record(v) }
            let sorted = values.sorted()
            #expect(h.count == UInt64(n) && h.min == sorted.first && h.max == sorted.last)
            for q in [0.0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0] {
                let truth = Double(Self.exact(sorted, q))
                let got = Double(h.quantile(q) ?? 0)
                let error = truth == 0 ? got : abs(got - truth) / truth
                #expect(error <= 0.01, "\(shape) trial \(trial) q=\(q): \(got) vs exact \(truth)")
            }
        }
    }

    @Test func bucketsTileTheRangeWithBoundedWidth() {
        var previousEnd: UInt64 = 0
        for i in 0..<LatencyHistogram.bucketCount {
            let low = LatencyHistogram.lowerBound(of: i)
            #expect(low == previousEnd, "bucket \(i) starts at \(low), previous ended at \(previousEnd)")
            let width = LatencyHistogram.width(of: i)
            #expect(low < 128 || Double(width) / Double(low) <= 1.0 / 128)
            #expect(LatencyHistogram.index(of: low) == i && LatencyHistogram.index(of: low + width - 1) == i)
            previousEnd = low + width
        }
        #expect(LatencyHistogram.index(of: .max) == LatencyHistogram.bucketCount - 1)
    }

    @Test func mergeEqualsRecordingEverything() {
        var a = LatencyHistogram(), b = LatencyHistogram(), all = LatencyHistogram()
        var random = SplitMix64(seed: 3)
        for k in 0..<10_000 {
            let v = random.next() % 50_000_000
            if k % 3 == 0 { a.record(v) } else { b.record(v) }
            all.record(v)
        }
        a.merge(b)
        #expect(a == all)
        a.reset()
        #expect(a.count == 0 && a.quantile(0.5) == nil && a.mean == nil)
    }
}

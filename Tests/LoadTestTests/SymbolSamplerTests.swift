import Foundation
import LoadTest
import Market
import Testing

/// Watchlists: Zipf draws follow 1/k^s, uniform draws are flat, picks are distinct and reproducible.
@Suite struct SymbolSamplerTests {
    @Test(arguments: [0.8, 1.0, 1.3])
    func zipfFrequenciesFollowThePowerLaw(s: Double) {
        let n = 100
        let sampler = SymbolSampler(count: n, distribution: .zipf(exponent: s))
        let norm = (1...n).reduce(0.0) { $0 + 1 / pow(Double($1), s) }
        #expect(abs(sampler.probability(0) - 1 / norm) < 1e-12)
        var random = SplitMix64(seed: 11)
        var hits = [Int](repeating: 0, count: n)
        let draws = 400_000
        for _ in 0..<draws { hits[sampler.next(&random)] += 1 }
        for k in [0, 1, 4, 9, 49, 99] {
            let expected = Double(draws) / pow(Double(k + 1), s) / norm
            let sigma = sqrt(expected)
            #expect(abs(Double(hits[k]) - expected) < 5 * sigma + 1, "rank \(k + 1): \(hits[k]) vs \(expected)")
        }
        #expect(hits[0] > hits[1] && hits[1] > hits[9] && hits[9] > hits[99])
    }

    @Test func uniformIsFlat() {
        let sampler = SymbolSampler(count: 10, distribution: .uniform)
        var random = SplitMix64(seed: 5)
        var hits = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 { hits[sampler.next(&random)] += 1 }
        #expect(hits.allSatisfy { abs($0 - 10_000) < 500 }, "\(hits)")
    }

    @Test func watchlistsAreDistinctBoundedAndReproducible() {
        let sampler = SymbolSampler(count: 100, distribution: .zipf(exponent: 1.2))
        var a = SplitMix64(seed: 1), b = SplitMix64(seed: 1)
        for _ in 0..<200 {
            let list = sampler.distinct(10, &a)
            #expect(list.count == 10 && Set(list).count == 10 && list.allSatisfy { (0..<100).contains($0) })
            #expect(list == sampler.distinct(10, &b))
        }
        #expect(sampler.distinct(150, &a) == Array(0..<100))
        // A steep tail still completes.
        let steep = SymbolSampler(count: 50, distribution: .zipf(exponent: 4))
        #expect(Set(steep.distinct(40, &a)).count == 40)
    }
}

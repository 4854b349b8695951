import Foundation
import Market

/// How clients pick their symbols from the gateway's list.
public enum SymbolDistribution: Sendable, Equatable {
    /// Every symbol equally likely.
    case uniform
    /// The symbol of rank k (1 = first in the list) has weight 1/k^s: a few very popular names and a
    /// long tail, like real watchlists.
    case zipf(exponent: Double)
}

/// Draws symbol indices 0..<count from a distribution: a cumulative table and a binary search, so a
/// draw costs O(log count) and the same seed gives the same watchlists on every machine.
public struct SymbolSampler: Sendable {
    /// How many symbols there are.
    public let count: Int
    /// cumulative[k] = P(index <= k); the last entry is 1.
    private let cumulative: [Double]

    /// A sampler over `count` (> 0) symbols.
    public init(count: Int, distribution: SymbolDistribution) {
        precondition(count > 0)
        self.count = count
        var weights: [Double]
        switch distribution {
        case .uniform: weights = Array(repeating: 1, count: count)
        case .zipf(let s): weights = (1...count).map { 1 / pow(Double($0), s) }
        }
        let total = weights.reduce(0, +)
        var running = 0.0
        cumulative = weights.map { running += $0; return running / total }
    }

    /// The probability of index `k`.
    public func probability(_ k: Int) -> Double { k == 0 ? cumulative[0] : cumulative[k] - cumulative[k - 1] }

    /// One index.
    public func next(_ random: inout SplitMix64) -> Int {
        let u = Double(random.next() >> 11) * 0x1p-53                 // uniform in [0, 1)
        var low = 0, high = count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] > u { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// `k` distinct indices (all of them when `k >= count`), drawn without replacement: repeated
    /// draws are rejected; if the tail is too thin to finish in a bounded number of draws, the most
    /// likely indices not yet taken complete the list.
    public func distinct(_ k: Int, _ random: inout SplitMix64) -> [Int] {
        if k >= count { return Array(0..<count) }
        var taken = Set<Int>()
        var picked: [Int] = []
        var attempts = 0
        while picked.count < k && attempts < 64 * k {
            let i = next(&random)
            if taken.insert(i).inserted { picked.append(i) }
            attempts += 1
        }
        var fill = 0
        while picked.count < k {
            if taken.insert(fill).inserted { picked.append(fill) }
            fill += 1
        }
        return picked
    }
}





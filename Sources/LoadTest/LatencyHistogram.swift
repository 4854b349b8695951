/// A log-linear histogram of nanosecond values with at most 1 % error on any quantile, in fixed
/// memory: recording is an index computation and an increment, no allocation, no comparison chain.
///
/// Layout: values below 128 have a bucket each (exact). Above, every power-of-two range
/// [2^e, 2^(e+1)) is cut into 128 equal buckets, so a bucket is at most 1/128 of the values in it
/// wide; a quantile is reported as its bucket's midpoint, at most 1/256 (0.39 %) from any value in the
/// bucket, and clamped to the exact minimum and maximum. Values from 2^41 ns (~37 min) up share
/// the last range (they are counted in `clamped`; `max` stays exact).
public struct LatencyHistogram: Sendable, Equatable {
    /// Sub-bucket bits: 2^7 = 128 buckets per power of two.
    static let subBits = 7
    static let sub = 1 << subBits
    /// The largest exponent with buckets of its own: [2^40, 2^41) ns, up to ~37 min.
    static let topExponent = 40
    /// How many buckets there are.
    public static let bucketCount = sub + (topExponent - subBits + 1) * sub

    /// Counts per bucket.
    public private(set) var counts: [UInt64]
    /// How many values were recorded.
    public private(set) var count: UInt64 = 0
    /// The smallest value recorded (`UInt64.max` when empty).
    public private(set) var min: UInt64 = .max
    /// The largest value recorded (0 when empty).
    public private(set) var max: UInt64 = 0
    /// The sum of every value recorded (for the mean), wrapping never in practice (2^64 ns = 584 years).
    public private(set) var sum: UInt64 = 0
    /// Values at or above 2^41 ns that were put in the last bucket.
    public private(set) var clamped: UInt64 = 0

    /// An empty histogram.
    public init() { counts = Array(repeating: 0, count: LatencyHistogram.bucketCount) }

    /// The bucket of `value`.
    @inline(__always)
    public static func index(of value: UInt64) -> Int {
        if value < UInt64(sub) { return Int(value) }
        let e = 63 - value.leadingZeroBitCount                  // floor(log2 value), >= subBits
        if e > topExponent { return bucketCount - 1 }
        let shift = e - subBits
        return sub + shift * sub + Int(value >> UInt64(shift)) - sub
    }

    /// The smallest value that falls into bucket `index`.
    public static func lowerBound(of index: Int) -> UInt64 {
        if index < sub { return UInt64(index) }
        let shift = (index - sub) / sub
        let mantissa = UInt64((index - sub) % sub + sub)
        return mantissa << UInt64(shift)
    }

    /// The width of bucket `index` (1 for the exact ones).
    public static func width(of index: Int) -> UInt64 {
        index < sub ? 1 : 1 << UInt64((index - sub) / sub)
    }

    /// Records one value.
    @inline(__always)
    public mutating func record(_ value: UInt64) {
        let i = LatencyHistogram.index(of: value)
        if value >> UInt64(LatencyHistogram.topExponent + 1) != 0 { clamped &+= 1 }
        counts.withUnsafeMutableBufferPointer { $0[i] &+= 1 }
        count &+= 1
        sum &+= value
        if value < min { min = value }
        if value > max { max = value }
    }

    /// Adds every value of `other` (histograms of several threads or windows).
    public mutating func merge(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        for i in 0..<counts.count where other.counts[i] != 0 { counts[i] &+= other.counts[i] }
        count &+= other.count
        sum &+= other.sum
        clamped &+= other.clamped
        if other.min < min { min = other.min }
        if other.max > max { max = other.max }
    }

    /// Forgets every value (keeps the memory).
    public mutating func reset() {
        guard count > 0 else { return }
        counts.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        count = 0
        sum = 0
        clamped = 0
        min = .max
        max = 0
    }

    /// The `q`-quantile (0...1, nearest rank) within 1 %; nil when empty.
    public func quantile(_ q: Double) -> UInt64? {
        guard count > 0 else { return nil }
        if q <= 0 { return min }
        if q >= 1 { return max }
        var rank = UInt64((q * Double(count)).rounded(.up))
        if rank < 1 { rank = 1 }
        var seen: UInt64 = 0
        for i in 0..<counts.count {
            seen &+= counts[i]
            if seen >= rank {
                let low = LatencyHistogram.lowerBound(of: i)
                let mid = low + (LatencyHistogram.width(of: i) - 1) / 2
                return Swift.min(Swift.max(mid, min), max)
            }
        }
        return max
    }

    /// The mean value; nil when empty.
    public var mean: Double? { count == 0 ? nil : Double(sum) / Double(count) }
}

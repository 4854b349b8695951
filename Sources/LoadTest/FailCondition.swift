import Foundation

/// One `--fail-if` bound the run must keep, like `p99<10ms` or `msgs_per_s>=100k`: the run fails
/// (exit status 3) when the report's figure does not satisfy it. The name says what must hold.
public struct FailCondition: Sendable, Equatable, CustomStringConvertible {
    /// A comparison.
    public enum Comparison: String, Sendable, CaseIterable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "=="

        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .less: a < b
            case .lessOrEqual: a <= b
            case .greater: a > b
            case .greaterOrEqual: a >= b
            case .equal: a == b
            }
        }
    }

    /// The figures a bound may name, and whether each is a duration (needs a time unit).
    public static let metrics: [(name: String, isTime: Bool, meaning: String)] = [
        ("p50", true, "tick latency median"), ("p90", true, "tick latency 90th percentile"),
        ("p99", true, "tick latency 99th percentile"), ("p99.9", true, "tick latency 99.9th percentile"),
        ("max", true, "largest tick latency"), ("mean", true, "mean tick latency"),
        ("handshake_p99", true, "connect + WebSocket handshake, 99th percentile"),
        ("msgs_per_s", false, "messages delivered per second (all clients)"),
        ("bytes_per_s", false, "payload bytes delivered per second"),
        ("connect_failed", false, "connections or handshakes that failed"),
        ("disconnects", false, "connections the server closed or dropped"),
        ("conflations", false, "messages marked conflated"),
        ("gaps", false, "gap notices"),
        ("unexplained_gaps", false, "seq jumps nothing explained"),
        ("prev_breaks", false, "updates whose prev is not the last seq received"),
        ("errors", false, "protocol and sequence errors"),
        ("fairness_cv", false, "coefficient of variation of per-client message counts (fast clients)"),
        ("cpu_percent", false, "the harness's own CPU use, % of one core"),
    ]

    /// The figure's name (one of `metrics`).
    public let metric: String
    /// How the figure must compare to `bound`.
    public let comparison: Comparison
    /// The bound, in nanoseconds for durations.
    public let bound: Double
    /// The text as given.
    public let text: String

    /// Parses one bound; the error says what is wrong.
    public init(parsing text: String) throws(LoadConfigurationError) {
        let trimmed = text.filter { $0 != " " }
        var found: (Comparison, Range<String.Index>)?
        for op in [Comparison.lessOrEqual, .greaterOrEqual, .equal, .less, .greater] {
            if let r = trimmed.range(of: op.rawValue) { found = (op, r); break }
        }
        guard let (op, range) = found else {
            throw LoadConfigurationError("--fail-if", "expected METRIC<VALUE (or <=, >, >=, ==), got '\(text)'")
        }
        let name = String(trimmed[..<range.lowerBound])
        let valueText = String(trimmed[range.upperBound...])
        guard let metric = FailCondition.metrics.first(where: { $0.name == name || ($0.name == "p99.9" && name == "p999") }) else {
            throw LoadConfigurationError("--fail-if", "unknown figure '\(name)' (known: \(FailCondition.metrics.map(\.name).joined(separator: ", ")))")
        }
        guard let value = FailCondition.parseValue(valueText, isTime: metric.isTime) else {
            let expected = metric.isTime ? "a duration like 10ms, 500us, 2s" : "a number like 100, 2.5k, 1M, 80%"
            throw LoadConfigurationError("--fail-if", "\(metric.name): expected \(expected), got '\(valueText)'")
        }
        self.metric = metric.name
        comparison = op
        bound = value
        self.text = text
    }

    /// Parses `10ms` (→ ns) or `2.5k`.
    static func parseValue(_ text: String, isTime: Bool) -> Double? {
        let units: [(String, Double)] = isTime
            ? [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)]
            : [("k", 1e3), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("%", 1), ("", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = String(text.dropLast(suffix.count))
            if let v = Double(number), v.isFinite, v >= 0, !number.isEmpty { return v * scale }
        }
        return nil
    }

    /// Whether `value` (ns for durations) keeps the bound. A figure that could not be measured (nil,
    /// say p99 of a run that got no updates) breaks every bound.
    public func holds(_ value: Double?) -> Bool {
        guard let value else { return false }
        return comparison.holds(value, bound)
    }

    /// The text as given.
    public var description: String { text }
}

/// A bad load configuration: the flag it concerns and what is wrong (printed as a usage error).
public struct LoadConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The flag, with its dashes.
    public let flag: String
    /// What is wrong.
    public let message: String

    /// An error about `flag`.
    public init(_ flag: String, _ message: String) {
        self.flag = flag
        self.message = message
    }

    /// `--flag: message`.
    public var description: String { "\(flag): \(message)" }
}

/// One Prometheus sample that a stage exposes for `/metrics`: the stages (feed receiver, ring,
/// gateway) each return a list of these, and the HTTP endpoint renders them in the text format
/// without knowing any stage's fields.
public struct MetricSample: Sendable, Equatable {
    /// Prometheus metric type.
    public enum Kind: String, Sendable {
        case counter
        case gauge
        /// One series of a histogram: samples named `FAMILY_bucket` (with an `le` label, cumulative),
        /// `FAMILY_sum` and `FAMILY_count`; `# HELP` and `# TYPE` are written once, for `FAMILY`.
        case histogram
    }

    /// Metric name, `quotecast_` prefixed, snake case (`quotecast_feed_gaps_total`).
    public let name: String
    /// The name `# HELP` and `# TYPE` use: the name, or for a histogram's sample the name without
    /// its `_bucket`, `_sum` or `_count`.
    public var family: String {
        guard kind == .histogram else { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }
    /// One-line help text (the `# HELP` line).
    public let help: String
    public let kind: Kind
    /// Label pairs in output order (`[("reason", "slow")]`); values are escaped by the renderer.
    public let labels: [(String, String)]
    public let value: Double

    public init(_ name: String, _ kind: Kind, help: String, labels: [(String, String)] = [], value: Double) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labels = labels
        self.value = value
    }

    public static func == (a: MetricSample, b: MetricSample) -> Bool {
        a.name == b.name && a.help == b.help && a.kind == b.kind && a.value == b.value
            && a.labels.map(\.0) == b.labels.map(\.0) && a.labels.map(\.1) == b.labels.map(\.1)
    }
}

import KRX
import KRXBook

/// What the KRX adapter counted, copied to `FeedCounters` once per receive round for `/healthz` and
/// the `quotecast_feed_*` metrics (docs/krx.md, "Receiving the feed"). Fixed-size apart from the
/// stream names, which are set once and never change (so the copy allocates nothing).
public struct KRXReceiverTally: Sendable {
    /// The streams' names (`GROUP:PORT`), in stream order; empty for a capture or the simulator.
    public let streams: [String]
    /// Datagrams received, per stream (the first `KRXFeedConfiguration.maxStreams`).
    public var datagrams = InlineArray<16, Int>(repeating: 0)
    /// Their bytes, per stream.
    public var bytes = InlineArray<16, Int>(repeating: 0)
    /// Datagrams longer than the receiver keeps, skipped.
    public var oversize = 0
    /// Records accepted per kind and refused per reason by the decoder.
    public var decode = KRXDecodeStatistics()
    /// Holes in an instrument's sequence on the regular board.
    public var gaps = 0
    /// The records missing in them.
    public var missingRecords: Int64 = 0
    /// Records dropped as already applied or older than what was (duplicates, late reordered ones).
    public var duplicateRecords = 0
    /// Records the sequence tracker had no room for (applied unsequenced).
    public var untrackedRecords = 0
    /// Instruments marked stale now (records lost, no quote since).
    public var staleInstruments = 0
    /// Stale marks cleared by the instrument's next quote.
    public var heals = 0
    /// What the market state counted: records of other boards, ISINs refused, instruments past capacity.
    public var state = KRXStateStatistics()

    /// A tally for `streams`, everything at zero.
    public init(streams: [String]) { self.streams = streams }
}

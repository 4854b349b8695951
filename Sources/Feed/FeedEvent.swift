import MoldUDP64

/// Something the exchange input noticed, reported to the owner (which logs it) on the feed thread;
/// rare by nature, never per message.
public enum FeedEvent: Sendable, Equatable {
    /// A line socket joined its group; `receiveBuffer` is what the kernel granted (as getsockopt
    /// reports it: twice the usable size), `requested` what was asked for.
    case joined(line: String, group: String, receiveBuffer: Int, requested: Int)
    /// What the sequencing of the exchange's MoldUDP64 session noticed: gaps, recoveries, sessions,
    /// silence.
    case session(SessionEvent)
    /// The gap starting at `from` was not filled within the recovery timeout: `instruments` marked stale.
    case stale(from: UInt64, instruments: Int)
    /// The gap was filled after all: `instruments` are no longer stale.
    case unstale(instruments: Int)
    /// Records `from`…`to` of one instrument never arrived (a feed whose instruments are sequenced
    /// each on its own, the Korea Exchange's): `symbol` is stale until its next quote.
    case instrumentGap(symbol: String, from: Int64, to: Int64)
}

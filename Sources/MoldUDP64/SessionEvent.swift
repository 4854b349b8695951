/// Something the sequencing of a MoldUDP64 session noticed, reported to its owner (which logs it);
/// rare by nature, never per message. Plain values, so handing one over costs no reference counting.
public enum SessionEvent: Sendable, Equatable {
    /// The first packet of a session; `late` when it did not start at sequence 1.
    case sessionStarted(session: MoldUDP64Session, sequence: UInt64, late: Bool)
    /// Packets of another session arrived: sequencing starts over for it.
    case sessionChanged(from: MoldUDP64Session, to: MoldUDP64Session, sequence: UInt64)
    /// Messages `from..<to` are missing on every line.
    case gap(from: UInt64, to: UInt64)
    /// The gap that began at `from` was filled, up to `to`, after `requests` retransmission requests.
    case recovered(from: UInt64, to: UInt64, requests: Int)
    /// The session ended with `nextSequence` (one past its last message).
    case endOfSession(session: MoldUDP64Session, nextSequence: UInt64)
    /// A line (`line` given) or the whole session (`line` nil) has been silent for `seconds`.
    case silent(line: SessionLine?, seconds: Double)
    /// Packets arrive again on a line (or, `line` nil, in the session) that was silent.
    case resumed(line: SessionLine?)
}

import Market

/// Decides which MoldUDP64 packets (and which of their messages) to apply, per session: the first
/// copy of each sequence number wins, later copies are dropped and counted, and a jump forward is a
/// gap, counted and carried on from. Sequence number 0 marks an unsequenced packet, applied as is.
/// Used by `book` over captures (which may hold both lines); the live receiver builds on the same
/// rule.
public struct PacketSequencer {
    /// Next expected sequence number per session (MoldUDP64 numbers messages from 1).
    private var expected: [MoldUDP64Session: UInt64] = [:]
    /// Packets dropped whole because every message in them was already applied.
    public private(set) var duplicatePackets = 0
    /// Messages skipped because they were already applied (whole or partly repeated packets).
    public private(set) var duplicateMessages = 0
    /// Forward jumps in a session's sequence (messages never seen).
    public private(set) var gaps = 0
    /// Messages missing in those gaps.
    public private(set) var gapMessages: UInt64 = 0
    /// Packets with sequence number 0, applied without sequencing.
    public private(set) var unsequencedPackets = 0
    /// Sessions seen.
    public var sessions: Int { expected.count }

    public init() {}

    /// Admits a packet of `count` messages starting at `sequence` in `session`: returns how many of
    /// its leading messages to skip (already applied), or nil to drop the whole packet. Heartbeats and
    /// ends of session (which carry the next sequence number and no messages) update gap accounting.
    public mutating func admit(session: MoldUDP64Session, sequence: UInt64, count: Int) -> Int? {
        if sequence == 0 {
            unsequencedPackets += 1
            return 0
        }
        guard let next = expected[session] else {
            // First packet of a session: whatever came before it was before we joined.
            expected[session] = sequence &+ UInt64(count)
            return 0
        }
        if sequence > next {
            gaps += 1
            gapMessages &+= sequence - next
        }
        let end = sequence &+ UInt64(count)
        if end <= next {
            if count > 0 {
                duplicatePackets += 1
                duplicateMessages += count
            }
            return count > 0 ? nil : 0
        }
        let skip = sequence < next ? Int(next - sequence) : 0
        duplicateMessages += skip
        expected[session] = end
        return skip
    }
}

extension PacketSequencer {
    /// Admits `packet` and calls `body` with each of its messages that was not applied before, in
    /// order: the one loop every reader of MoldUDP64 captures needs (heartbeats and ends of session
    /// carry no messages but still count for gap accounting).
    public mutating func forEachNewMessage(in packet: MoldUDP64Packet,
                                           _ body: (FramedMessage) throws -> Void) rethrows {
        let count: Int
        if case .messages(let c) = packet.kind { count = c } else { count = 0 }
        guard let skip = admit(session: packet.session, sequence: packet.sequenceNumber, count: count) else { return }
        var index = 0
        for block in packet {
            if index >= skip { try body(block.message) }
            index += 1
        }
    }
}


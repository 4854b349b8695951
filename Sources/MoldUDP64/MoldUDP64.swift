// MoldUDP64 (Nasdaq MoldUDP64 Protocol Specification 1.00): the framing ITCH travels in over UDP.
//
// Downstream packet:  session (10 alpha) · sequence number (8) · message count (2) · blocks
// Message block:      message length (2) · message (length bytes)
// Request packet:     session (10 alpha) · sequence number (8) · requested message count (2)
// Every integer is big-endian. Count 0 is a heartbeat, 0xFFFF the end of the session; both carry
// the sequence number of the next message the session will send.

/// Byte layout of MoldUDP64 packets and the protocol's constants, named once.
public enum MoldUDP64 {
    /// Offset of the 10-byte session.
    public static let sessionOffset = 0
    /// Offset of the 8-byte sequence number (of the first message in the packet, or the next one).
    public static let sequenceNumberOffset = 10
    /// Offset of the 2-byte message count.
    public static let messageCountOffset = 18
    /// Length of the downstream packet header; message blocks start here.
    public static let headerLength = 20
    /// Width of each message block's length prefix.
    public static let blockLengthWidth = 2
    /// Length of a retransmission request packet (the whole packet is its header).
    public static let requestLength = 20
    /// The message count of a heartbeat.
    public static let heartbeatCount: UInt16 = 0
    /// The message count that announces the end of the session.
    public static let endOfSessionCount: UInt16 = 0xFFFF
    /// The default largest UDP payload the packet builder fills (fits a 1500-byte Ethernet MTU).
    public static let defaultMaxPayloadSize = 1400
}

extension MoldUDP64 {
    /// Writes a 20-byte packet header at `out`.
    @inlinable
    public static func writeHeader(session: MoldUDP64Session, sequenceNumber: UInt64, count: UInt16,
                                   to out: UnsafeMutableRawPointer) {
        session.write(to: out + sessionOffset)
        out.storeBytes(of: sequenceNumber.bigEndian, toByteOffset: sequenceNumberOffset, as: UInt64.self)
        out.storeBytes(of: count.bigEndian, toByteOffset: messageCountOffset, as: UInt16.self)
    }

    /// Writes a heartbeat (count 0) announcing `nextSequenceNumber` at `out` (20 bytes); returns 20.
    @discardableResult @inlinable
    public static func encodeHeartbeat(session: MoldUDP64Session, nextSequenceNumber: UInt64,
                                       into out: UnsafeMutableRawPointer) -> Int {
        writeHeader(session: session, sequenceNumber: nextSequenceNumber, count: heartbeatCount, to: out)
        return headerLength
    }

    /// Writes an end-of-session packet (count 0xFFFF) at `out` (20 bytes); returns 20.
    @discardableResult @inlinable
    public static func encodeEndOfSession(session: MoldUDP64Session, nextSequenceNumber: UInt64,
                                          into out: UnsafeMutableRawPointer) -> Int {
        writeHeader(session: session, sequenceNumber: nextSequenceNumber, count: endOfSessionCount, to: out)
        return headerLength
    }
}

/// Why a datagram is not a MoldUDP64 packet at all.
public enum MoldUDP64Error: Error, Equatable, Sendable {
    /// Fewer bytes than the 20-byte header.
    case shortHeader(length: Int)
    /// A retransmission request must be exactly 20 bytes.
    case badRequestLength(length: Int)
}

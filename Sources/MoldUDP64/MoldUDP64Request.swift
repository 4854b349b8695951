/// A MoldUDP64 retransmission request: "send me `count` messages of `session` from `sequenceNumber`".
public struct MoldUDP64Request: Equatable, Hashable, Sendable {
    /// The session whose messages are requested.
    public var session: MoldUDP64Session
    /// The first requested sequence number.
    public var sequenceNumber: UInt64
    /// How many messages are requested.
    public var count: UInt16

    /// A request for `count` messages from `sequenceNumber`.
    @inlinable public init(session: MoldUDP64Session, sequenceNumber: UInt64, count: UInt16) {
        self.session = session
        self.sequenceNumber = sequenceNumber
        self.count = count
    }

    /// Parses a request datagram, which must be exactly 20 bytes.
    @inlinable
    public init(_ datagram: UnsafeRawBufferPointer) throws(MoldUDP64Error) {
        guard let base = datagram.baseAddress, datagram.count == MoldUDP64.requestLength else {
            throw .badRequestLength(length: datagram.count)
        }
        session = MoldUDP64Session(wireAt: base + MoldUDP64.sessionOffset)
        sequenceNumber = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: MoldUDP64.sequenceNumberOffset,
                                                              as: UInt64.self))
        count = UInt16(bigEndian: base.loadUnaligned(fromByteOffset: MoldUDP64.messageCountOffset, as: UInt16.self))
    }

    /// Writes the 20-byte request at `out`; returns 20.
    @discardableResult @inlinable
    public func encode(into out: UnsafeMutableRawPointer) -> Int {
        MoldUDP64.writeHeader(session: session, sequenceNumber: sequenceNumber, count: count, to: out)
        return MoldUDP64.requestLength
    }
}

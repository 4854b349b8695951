/// Packs messages into a MoldUDP64 downstream packet in a caller's buffer.
///
/// Invariant: the first `byteCount` bytes of the buffer are always a complete, valid packet (the
/// header's count is updated by every append), and `byteCount <= capacity`, where capacity is the
/// smaller of the buffer size and the maximum payload size.
public struct MoldUDP64PacketBuilder {
    /// The caller's buffer; the builder writes only into it.
    public let buffer: UnsafeMutableRawBufferPointer
    /// Largest packet this builder makes: `min(buffer.count, maxPayloadSize)`.
    public let capacity: Int
    /// Session written into every packet.
    public let session: MoldUDP64Session
    /// Sequence number of the packet's first message.
    public private(set) var sequenceNumber: UInt64
    /// Messages in the packet so far.
    public private(set) var messageCount: Int
    /// Bytes of the packet so far (header included).
    public private(set) var byteCount: Int

    /// What happened to a message offered to the builder.
    public enum AppendResult: Equatable, Sendable {
        /// The message is in the packet.
        case appended
        /// The message does not fit in what is left: send the packet, `reset`, and append again.
        case full
        /// The message cannot fit even into an empty packet of this capacity.
        case tooLarge
    }

    /// A builder writing into `buffer` (at least 20 bytes) packets of at most `maxPayloadSize` bytes,
    /// starting with message `firstSequenceNumber` (MoldUDP64 numbers messages from 1).
    public init(buffer: UnsafeMutableRawBufferPointer, session: MoldUDP64Session, firstSequenceNumber: UInt64 = 1,
                maxPayloadSize: Int = MoldUDP64.defaultMaxPayloadSize) {
        precondition(buffer.baseAddress != nil && min(buffer.count, maxPayloadSize) >= MoldUDP64.headerLength,
                     "a MoldUDP64 packet needs at least 20 bytes")
        self.buffer = buffer
        self.capacity = min(buffer.count, maxPayloadSize)
        self.session = session
        self.sequenceNumber = firstSequenceNumber
        self.messageCount = 0
        self.byteCount = MoldUDP64.headerLength
        writeHeader()
    }

    /// Whether no message has been appended since the last reset.
    @inlinable public var isEmpty: Bool { messageCount == 0 }
    /// Bytes still free for blocks (each block costs its length plus 2).
    @inlinable public var remainingCapacity: Int { capacity - byteCount }
    /// Sequence number the next packet starts with, once this one is sent.
    @inlinable public var nextSequenceNumber: UInt64 { sequenceNumber &+ UInt64(messageCount) }
    /// The packet built so far (header and whole blocks).
    public var packet: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<byteCount]) }

    /// Whether a message of `length` bytes fits in what is left.
    @inlinable public func canFit(length: Int) -> Bool {
        length <= remainingCapacity - MoldUDP64.blockLengthWidth
    }

    /// Appends a copy of `message`.
    @discardableResult
    public mutating func append(_ message: UnsafeRawBufferPointer) -> AppendResult {
        append(length: message.count) { out in
            if let source = message.baseAddress { out.copyMemory(from: source, byteCount: message.count) }
            return message.count
        }
    }

    /// Appends a message of `length` bytes that `encode` writes in place (for example one of the
    /// message views' `encode` functions); `encode` returns the bytes it wrote, which must equal `length`.
    @discardableResult
    public mutating func append(length: Int, _ encode: (UnsafeMutableRawPointer) -> Int) -> AppendResult {
        precondition(length >= 0 && length <= Int(UInt16.max), "a MoldUDP64 block holds at most 65535 bytes")
        guard messageCount < Int(MoldUDP64.endOfSessionCount) - 1 else { return .full }
        guard canFit(length: length) else {
            return length > capacity - MoldUDP64.headerLength - MoldUDP64.blockLengthWidth ? .tooLarge : .full
        }
        let block = buffer.baseAddress! + byteCount
        block.storeBytes(of: UInt16(length).bigEndian, as: UInt16.self)
        let written = encode(block + MoldUDP64.blockLengthWidth)
        precondition(written == length, "encoder wrote \(written) bytes, announced \(length)")
        byteCount += MoldUDP64.blockLengthWidth + length
        messageCount += 1
        buffer.baseAddress!.storeBytes(of: UInt16(messageCount).bigEndian, toByteOffset: MoldUDP64.messageCountOffset,
                                       as: UInt16.self)
        return .appended
    }

    /// Starts a new, empty packet whose first message is `nextSequenceNumber` (the default continues
    /// after this packet's messages).
    public mutating func reset(firstSequenceNumber: UInt64? = nil) {
        sequenceNumber = firstSequenceNumber ?? nextSequenceNumber
        messageCount = 0
        byteCount = MoldUDP64.headerLength
        writeHeader()
    }

    private func writeHeader() {
        MoldUDP64.writeHeader(session: session, sequenceNumber: sequenceNumber, count: UInt16(messageCount),
                              to: buffer.baseAddress!)
    }
}

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

// MARK: - Session

/// A MoldUDP64 session: 10 alphanumeric bytes, space-padded, naming one day's stream of a feed.
///
/// Invariant: the stored integers hold the 10 wire bytes in wire order (byte 0 in the lowest byte of
/// `head`), so two sessions are equal exactly when their wire bytes are, and loading or storing one is
/// two unaligned moves.
@frozen
public struct MoldUDP64Session: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// Wire bytes 0–7, byte 0 in the lowest byte.
    public var head: UInt64
    /// Wire bytes 8–9, byte 8 in the lowest byte.
    public var tail: UInt16

    /// The session with these wire bytes.
    @inlinable public init(head: UInt64, tail: UInt16) {
        self.head = head
        self.tail = tail
    }

    /// The session whose 10 wire bytes start at `base` (the caller guarantees 10 readable bytes).
    @inlinable @inline(__always)
    public init(wireAt base: UnsafeRawPointer) {
        head = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        tail = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
    }

    /// The session named `text`, space-padded to 10 bytes; `nil` when it is longer than 10 bytes or
    /// holds anything but printable ASCII.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count <= 10, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        var wire = [UInt8](repeating: 0x20, count: 10)
        wire.replaceSubrange(0..<bytes.count, with: bytes)
        self = wire.withUnsafeBytes { MoldUDP64Session(wireAt: $0.baseAddress!) }
    }

    /// The all-spaces session.
    public static let blank = MoldUDP64Session(head: 0x2020_2020_2020_2020, tail: 0x2020)

    /// Writes the 10 wire bytes at `out`.
    @inlinable @inline(__always)
    public func write(to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: head.littleEndian, as: UInt64.self)
        out.storeBytes(of: tail.littleEndian, toByteOffset: 8, as: UInt16.self)
    }

    /// The session text with trailing spaces removed (non-printable bytes shown as `?`).
    public var description: String {
        var bytes = withUnsafeBytes(of: head.littleEndian, Array.init) + withUnsafeBytes(of: tail.littleEndian, Array.init)
        while bytes.last == 0x20 { bytes.removeLast() }
        return String(decoding: bytes.map { $0 >= 0x20 && $0 < 0x7F ? $0 : 0x3F }, as: UTF8.self)
    }
}

// MARK: - Decoding

/// Why a datagram is not a MoldUDP64 packet at all.
public enum MoldUDP64Error: Error, Equatable, Sendable {
    /// Fewer bytes than the 20-byte header.
    case shortHeader(length: Int)
    /// A retransmission request must be exactly 20 bytes.
    case badRequestLength(length: Int)
}

/// What a downstream packet announces by its message count.
public enum MoldUDP64PacketKind: Equatable, Sendable {
    /// Count 1...0xFFFE: that many message blocks follow.
    case messages(count: Int)
    /// Count 0: no messages; the sequence number is the next one the session will send.
    case heartbeat
    /// Count 0xFFFF: the session is over; the sequence number is one past its last message.
    case endOfSession
}

/// How a walk over a packet's message blocks ended.
public enum MoldUDP64BlockEnd: Equatable, Sendable {
    /// Exactly the announced number of blocks, and they filled the packet.
    case complete
    /// A block's length prefix, or its message, runs past the end of the packet; `blocks` whole
    /// blocks came before it and were delivered.
    case truncated(blocks: Int)
    /// The packet ended cleanly after `found` blocks, fewer than the `declared` count.
    case countMismatch(declared: Int, found: Int)
    /// All announced blocks were read and `count` bytes remain after them (ignored).
    case trailingBytes(count: Int)

    /// Whether the packet was well formed.
    @inlinable public var isComplete: Bool { self == .complete }
}

/// One message block of a downstream packet: the message and its sequence number.
@frozen
public struct MoldUDP64Block: BitwiseCopyable {
    /// The message bytes (after the block's length prefix).
    public let message: FramedMessage
    /// The message's sequence number: the packet's plus the block's index.
    public let sequenceNumber: UInt64

    /// A block holding `message` with `sequenceNumber`.
    @inlinable @inline(__always)
    public init(message: FramedMessage, sequenceNumber: UInt64) {
        self.message = message
        self.sequenceNumber = sequenceNumber
    }
}

/// A MoldUDP64 downstream packet read in place from a datagram.
///
/// Invariant: `length >= MoldUDP64.headerLength` bytes are readable at `base` while the datagram
/// buffer lives. Iterating the blocks never reads past `base + length`: a block that would is
/// reported as truncation and iteration stops.
@frozen
public struct MoldUDP64Packet: Sequence {
    /// First byte of the datagram.
    public let base: UnsafeRawPointer
    /// Datagram length in bytes.
    public let length: Int

    /// Parses the header of `datagram`; fails only when it is shorter than the 20-byte header.
    @inlinable
    public init(_ datagram: UnsafeRawBufferPointer) throws(MoldUDP64Error) {
        guard let base = datagram.baseAddress, datagram.count >= MoldUDP64.headerLength else {
            throw .shortHeader(length: datagram.count)
        }
        self.base = base
        self.length = datagram.count
    }

    /// The packet's session.
    @inlinable public var session: MoldUDP64Session {
        MoldUDP64Session(wireAt: base + MoldUDP64.sessionOffset)
    }
    /// Sequence number of the first message (or, for heartbeats and end of session, the next one).
    @inlinable public var sequenceNumber: UInt64 {
        UInt64(bigEndian: base.loadUnaligned(fromByteOffset: MoldUDP64.sequenceNumberOffset, as: UInt64.self))
    }
    /// The message count field as sent.
    @inlinable public var messageCount: UInt16 {
        UInt16(bigEndian: base.loadUnaligned(fromByteOffset: MoldUDP64.messageCountOffset, as: UInt16.self))
    }
    /// Data, heartbeat or end of session, by the message count.
    @inlinable public var kind: MoldUDP64PacketKind {
        switch messageCount {
        case MoldUDP64.heartbeatCount: .heartbeat
        case MoldUDP64.endOfSessionCount: .endOfSession
        case let n: .messages(count: Int(n))
        }
    }
    /// Number of message blocks the header announces (0 for heartbeats and end of session).
    @inlinable public var announcedBlocks: Int {
        let n = messageCount
        return n == MoldUDP64.endOfSessionCount ? 0 : Int(n)
    }
    /// The bytes after the header.
    @inlinable public var blockBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + MoldUDP64.headerLength, count: length - MoldUDP64.headerLength)
    }

    /// Walks the message blocks in place. After `next()` returns `nil`, `end` says why.
    @frozen
    public struct Iterator: IteratorProtocol {
        @usableFromInline var cursor: UnsafeRawPointer
        @usableFromInline let limit: UnsafeRawPointer
        @usableFromInline var sequence: UInt64
        @usableFromInline var remaining: Int
        @usableFromInline let declared: Int
        @usableFromInline var stop: MoldUDP64BlockEnd?
        /// How the walk ended; `nil` while blocks remain.
        @inlinable public var end: MoldUDP64BlockEnd? { stop }

        @inlinable
        init(_ packet: MoldUDP64Packet) {
            cursor = packet.base + MoldUDP64.headerLength
            limit = packet.base + packet.length
            sequence = packet.sequenceNumber
            declared = packet.announcedBlocks
            remaining = declared
            stop = nil
        }

        /// The next block, or `nil` at the end (announced count reached, or the packet ran out).
        @inlinable @inline(__always)
        public mutating func next() -> MoldUDP64Block? {
            let available = limit - cursor
            if remaining == 0 {
                if stop == nil { stop = available == 0 ? .complete : .trailingBytes(count: available) }
                return nil
            }
            guard available >= MoldUDP64.blockLengthWidth else {
                return finish(available == 0 ? .countMismatch(declared: declared, found: declared - remaining)
                                             : .truncated(blocks: declared - remaining))
            }
            let length = Int(UInt16(bigEndian: cursor.loadUnaligned(as: UInt16.self)))
            guard length <= available - MoldUDP64.blockLengthWidth else {
                return finish(.truncated(blocks: declared - remaining))
            }
            let block = MoldUDP64Block(message: FramedMessage(base: cursor + MoldUDP64.blockLengthWidth, length: length),
                                       sequenceNumber: sequence)
            cursor += MoldUDP64.blockLengthWidth + length
            sequence &+= 1
            remaining -= 1
            return block
        }

        @inlinable
        mutating func finish(_ reason: MoldUDP64BlockEnd) -> MoldUDP64Block? {
            stop = reason
            remaining = 0
            cursor = limit
            return nil
        }
    }

    /// An iterator over the message blocks.
    @inlinable public func makeIterator() -> Iterator { Iterator(self) }

    /// Calls `body` with every whole message block in order and returns how the walk ended.
    @inlinable @discardableResult
    public func forEachBlock(_ body: (MoldUDP64Block) throws -> Void) rethrows -> MoldUDP64BlockEnd {
        var iterator = makeIterator()
        while let block = iterator.next() { try body(block) }
        return iterator.end!
    }

    /// Walks the blocks without delivering them, to check the packet's framing.
    @inlinable public func validate() -> MoldUDP64BlockEnd { forEachBlock { _ in } }
}

// MARK: - Encoding

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

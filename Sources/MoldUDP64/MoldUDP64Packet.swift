import Market

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

extension MoldUDP64Packet {
    /// A packet's messages in order, without their sequence numbers: what a book pipeline consumes.
    @frozen
    public struct Messages: IteratorProtocol {
        @usableFromInline var blocks: Iterator

        @inlinable init(_ blocks: Iterator) { self.blocks = blocks }

        /// The next message, or nil after the last block.
        @inlinable @inline(__always)
        public mutating func next() -> FramedMessage? { blocks.next()?.message }
    }

    /// The messages of this packet from its `skip`th on (the first `skip` were applied before).
    @inlinable
    public func messages(droppingFirst skip: Int = 0) -> Messages {
        var blocks = makeIterator()
        for _ in 0..<skip where blocks.next() == nil { break }
        return Messages(blocks)
    }
}

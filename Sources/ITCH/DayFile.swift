// The ITCH "day-file" (Nasdaq's published TotalView-ITCH files): messages back to back, each
// preceded by its length as a 2-byte big-endian integer. No header, no trailer.
//
// The length prefix is a day-file's only framing: nothing in the bytes says where a message starts
// but the end of the one before. So every frame must be an ITCH 5.0 message of a known type at
// exactly its specified length; the first that is not (`DayFileGarbage`) means the reader and the
// writer no longer agree on where messages start, and nothing after it can be trusted. The walk
// stops there (`DayFileEnd.garbage`), keeping what came before.

import Market
import PacketCapture

/// How a walk over a day-file ended.
public enum DayFileEnd: Equatable, Sendable {
    /// The last message ended exactly at the end of the file.
    case complete
    /// The final message is cut: at `offset` a length prefix announced `declaredLength` bytes (or
    /// the prefix itself is cut, `declaredLength == nil`) but only `available` bytes follow. The
    /// announced length is that of the message's type (when its type byte is there to read).
    case truncated(offset: Int, declaredLength: Int?, available: Int)
    /// The frame whose length prefix is at byte `offset`, the `index`-th of the file (counting from
    /// 1), is no ITCH 5.0 message: the walk stopped before it, after `index - 1` messages.
    case garbage(offset: Int, index: Int, reason: DayFileGarbage)
}

/// Why a frame of a day-file is not an ITCH 5.0 message (see the top of this file for why any of
/// these ends the walk).
public enum DayFileGarbage: Equatable, Sendable, CustomStringConvertible {
    /// A length prefix of 0: no ITCH message is empty.
    case zeroLength
    /// A type byte ITCH 5.0 does not define.
    case unknownType(UInt8)
    /// A known type whose prefix announces another length than the specification's.
    case lengthMismatch(type: UInt8, length: Int, expected: Int)

    /// What was found, in words: `message type 0x7A ('z') is not an ITCH 5.0 type`.
    public var description: String {
        switch self {
        case .zeroLength:
            return "a length prefix of 0"
        case .unknownType(let type):
            return "message type \(DayFileGarbage.typeText(type)) is not an ITCH 5.0 type"
        case let .lengthMismatch(type, length, expected):
            return "a length prefix of \(length) for type \(DayFileGarbage.typeText(type)), which is \(expected) bytes long"
        }
    }

    /// `0x41 ('A')`, or `0x07` for a byte that does not print.
    static func typeText(_ type: UInt8) -> String {
        let hex = "0x" + String(type, radix: 16, uppercase: true).leftPadded(to: 2)
        return (0x21...0x7E).contains(type) ? "\(hex) ('\(Character(UnicodeScalar(type)))')" : hex
    }
}

extension String {
    /// The string with zeros in front up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Reads a day-file in place, yielding every message as a `FramedMessage` pointing into the file.
///
/// Zero copies, no allocation per message: the bytes come from a `MappedFile` (mapped with `mmap`)
/// or from any buffer the caller keeps alive. Every message yielded is of a known ITCH 5.0 type at
/// exactly its length; the first frame that is not ends the walk (`.garbage`), and a truncated final
/// message is reported, never read.
/// Use it as `for message in reader { ... }`, or `forEach`/an explicit iterator to learn how the
/// file ended (`DayFileEnd`) and how far the walk got (for progress lines).
@frozen
public struct DayFileReader: Sequence {
    /// The file's bytes.
    public let bytes: UnsafeRawBufferPointer
    /// Keeps `bytes` alive (the mapped file), or `nil` when the caller owns them.
    @usableFromInline let owner: AnyObject?

    /// A reader over the whole of `file`.
    public init(_ file: MappedFile) {
        bytes = file.bytes
        owner = file
    }

    /// Maps `path` (or reads it, for a pipe; `"-"` is standard input) and reads it.
    public init(path: String) throws(FileIOError) {
        self.init(try MappedFile(path: path))
    }

    /// A reader over `bytes`, which the caller keeps alive and unchanged while reading.
    public init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        owner = nil
    }

    /// Walks the messages. After `next()` returns `nil`, `end` says how the file ended.
    @frozen
    public struct Iterator: IteratorProtocol {
        @usableFromInline var cursor: UnsafeRawPointer?
        @usableFromInline let start: UnsafeRawPointer?
        @usableFromInline let limit: UnsafeRawPointer?
        @usableFromInline var stop: DayFileEnd?
        @usableFromInline let owner: AnyObject?
        /// Messages yielded so far.
        @usableFromInline var yielded: Int

        @inlinable
        init(_ reader: DayFileReader) {
            start = reader.bytes.baseAddress
            cursor = start
            limit = reader.bytes.baseAddress.map { $0 + reader.bytes.count }
            stop = nil
            owner = reader.owner
            yielded = 0
        }

        /// How the walk ended; `nil` until `next()` has returned `nil`.
        @inlinable public var end: DayFileEnd? { stop }

        /// Bytes consumed so far (offset of the next length prefix).
        @inlinable public var offset: Int {
            guard let cursor, let start else { return 0 }
            return cursor - start
        }

        /// Messages yielded so far (after the walk: how many whole, valid messages the file holds
        /// before its end, its truncated final message or its garbage).
        @inlinable public var messageCount: Int { yielded }

        /// The next message, or `nil` at the end of the file, at a truncated final message or at
        /// a frame that is no ITCH 5.0 message.
        @inlinable @inline(__always)
        public mutating func next() -> FramedMessage? {
            guard let p = cursor, let limit else {
                if stop == nil { stop = .complete }
                return nil
            }
            let available = limit - p
            guard available >= 2 else {
                if stop == nil {
                    stop = available == 0 ? .complete : .truncated(offset: offset, declaredLength: nil, available: available)
                }
                cursor = limit
                return nil
            }
            let length = Int(UInt16(bigEndian: p.loadUnaligned(as: UInt16.self)))
            if length == 0 { return refuse(.zeroLength) }
            if available > 2 {
                // The type byte is there: it must be known, and the prefix must give its length.
                let type = p.load(fromByteOffset: 2, as: UInt8.self)
                let expected = ITCHDecoder.expectedLength(of: type)
                if expected == 0 { return refuse(.unknownType(type)) }
                if expected != length { return refuse(.lengthMismatch(type: type, length: length, expected: expected)) }
            }
            guard length <= available - 2 else {
                stop = .truncated(offset: offset, declaredLength: length, available: available - 2)
                cursor = limit
                return nil
            }
            cursor = p + 2 + length
            yielded &+= 1
            return FramedMessage(base: p + 2, length: length)
        }

        /// Ends the walk at the frame under the cursor, which is garbage.
        @inlinable
        mutating func refuse(_ reason: DayFileGarbage) -> FramedMessage? {
            stop = .garbage(offset: offset, index: yielded + 1, reason: reason)
            cursor = limit
            return nil
        }
    }

    /// An iterator from the start of the file.
    @inlinable public func makeIterator() -> Iterator { Iterator(self) }

    /// Calls `body` with every whole message in order; returns how the file ended.
    @inlinable @discardableResult
    public func forEach(_ body: (FramedMessage) throws -> Void) rethrows -> DayFileEnd {
        var iterator = makeIterator()
        while let message = iterator.next() { try body(message) }
        return iterator.end!
    }

    /// Whether `bytes` look like a day-file rather than a capture: the first length prefix frames a
    /// message whose type byte is a known ITCH type of exactly that length (the message itself may
    /// be cut short: a file holding less than its first message is a truncated day-file).
    public static func looksLikeDayFile(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 3 else { return false }
        let length = Int(bytes[0]) << 8 | Int(bytes[1])
        return length > 0 && ITCHDecoder.expectedLength(of: bytes[2]) == length
    }
}

/// Writes a day-file: each message preceded by its 2-byte big-endian length, through a large buffer.
///
/// Invariant: every record written is complete (prefix + message), so a file closed cleanly is a
/// valid day-file. Call `close()` to flush and see write errors.
public final class DayFileWriter {
    /// The buffered output underneath.
    public let output: BufferedFileOutput
    /// Messages written so far.
    public private(set) var messageCount = 0

    /// Creates (or truncates) `path`; `"-"` writes to standard output.
    public convenience init(path: String) throws(FileIOError) {
        self.init(output: try BufferedFileOutput(path: path))
    }

    /// Writes through `output`.
    public init(output: BufferedFileOutput) {
        self.output = output
    }

    /// Appends a message of `length` bytes that `encode` writes in place (a message view's `encode`);
    /// `encode` must write exactly `length` bytes.
    public func append(length: Int, _ encode: (UnsafeMutableRawPointer) -> Int) throws {
        precondition(length >= 0 && length <= Int(UInt16.max), "a day-file message holds at most 65535 bytes")
        try output.withReserved(2 + length) { out in
            out.storeBytes(of: UInt16(length).bigEndian, as: UInt16.self)
            let written = encode(out + 2)
            precondition(written == length, "encoder wrote \(written) bytes, announced \(length)")
        }
        messageCount += 1
    }

    /// Appends a copy of `message`.
    public func append(_ message: UnsafeRawBufferPointer) throws {
        try append(length: message.count) { out in
            if let source = message.baseAddress { out.copyMemory(from: source, byteCount: message.count) }
            return message.count
        }
    }

    /// Writes out what is buffered.
    public func flush() throws(FileIOError) { try output.flush() }

    /// Flushes and closes the file.
    public func close() throws(FileIOError) { try output.close() }
}

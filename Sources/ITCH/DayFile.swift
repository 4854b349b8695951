// The ITCH "day-file" (Nasdaq's published TotalView-ITCH files): messages back to back, each
// preceded by its length as a 2-byte big-endian integer. No header, no trailer.

import Market
import PacketCapture

/// How a walk over a day-file ended.
public enum DayFileEnd: Equatable, Sendable {
    /// The last message ended exactly at the end of the file.
    case complete
    /// The final message is cut: at `offset` a length prefix announced `declaredLength` bytes (or
    /// the prefix itself is cut, `declaredLength == nil`) but only `available` bytes follow.
    case truncated(offset: Int, declaredLength: Int?, available: Int)
}

/// Reads a day-file in place, yielding every message as a `FramedMessage` pointing into the file.
///
/// Zero copies, no allocation per message: the bytes come from a `MappedFile` (mapped with `mmap`)
/// or from any buffer the caller keeps alive. A truncated final message is reported, never read.
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

        @inlinable
        init(_ reader: DayFileReader) {
            start = reader.bytes.baseAddress
            cursor = start
            limit = reader.bytes.baseAddress.map { $0 + reader.bytes.count }
            stop = nil
            owner = reader.owner
        }

        /// How the walk ended; `nil` until `next()` has returned `nil`.
        @inlinable public var end: DayFileEnd? { stop }

        /// Bytes consumed so far (offset of the next length prefix).
        @inlinable public var offset: Int {
            guard let cursor, let start else { return 0 }
            return cursor - start
        }

        /// The next message, or `nil` at the end of the file or at a truncated final message.
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
            guard length <= available - 2 else {
                stop = .truncated(offset: offset, declaredLength: length, available: available - 2)
                cursor = limit
                return nil
            }
            cursor = p + 2 + length
            return FramedMessage(base: p + 2, length: length)
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
    /// message whose type byte is a known ITCH type of exactly that length.
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

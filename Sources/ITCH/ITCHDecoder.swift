import Market

/// The outcome of decoding one framed ITCH message.
public enum ITCHDecodeResult {
    /// A message of a known type with exactly its specified length.
    case message(ITCHMessage)
    /// A type byte the specification does not define; skipped by its framing length.
    case unknownType(UInt8)
    /// A known type whose framed length disagrees with the specification.
    case badLength(type: UInt8, length: Int, expected: Int)
    /// A zero-length frame.
    case empty
}

/// Decodes ITCH 5.0 messages in place, checking each length against the specification.
public enum ITCHDecoder {
    /// `lengthTable[type]` is the specified length of that message type, 0 for unknown types.
    public static let lengthTable: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for (type, length) in itchMessageLengths { table[Int(type)] = length }
        return table
    }()

    /// The specified length of message `type`, or 0 when the type is unknown.
    @inlinable public static func expectedLength(of type: UInt8) -> Int {
        lengthTable.withUnsafeBufferPointer { $0[Int(type)] }
    }

    /// Decodes the message framed at `base` with `length` bytes (its length prefix or block length).
    @inlinable
    public static func decode(_ base: UnsafeRawPointer, length: Int) -> ITCHDecodeResult {
        guard length > 0 else { return .empty }
        let type = base.load(as: UInt8.self)
        let expected = expectedLength(of: type)
        guard expected != 0 else { return .unknownType(type) }
        guard expected == length else { return .badLength(type: type, length: length, expected: expected) }
        // Known type with the exact length: `view` cannot fail.
        return .message(ITCHMessage.view(type: type, bytes: WireBytes(base))!)
    }

    /// Decodes a message held in a buffer (whole buffer is the message).
    @inlinable
    public static func decode(_ buffer: UnsafeRawBufferPointer) -> ITCHDecodeResult {
        guard let base = buffer.baseAddress else { return .empty }
        return decode(base, length: buffer.count)
    }
}

extension FramedMessage {
    /// Decodes the frame in place as an ITCH 5.0 message, checking its length against the specification.
    @inlinable @inline(__always)
    public func decode() -> ITCHDecodeResult { ITCHDecoder.decode(base, length: length) }
}

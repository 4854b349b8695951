/// One message as its framing delimited it (a day-file length prefix, a MoldUDP64 block, a
/// fixed-length record): a pointer into the input and the framed length, nothing copied.
///
/// Invariant: `length` bytes are readable at `base` for as long as the input that produced the frame
/// (a mapped file, a packet buffer) is alive. The length is the framing's, not yet checked against
/// the message type: the exchange's decoder does that (for ITCH, `decode()`).
@frozen
public struct FramedMessage: BitwiseCopyable {
    /// First byte of the message.
    public let base: UnsafeRawPointer
    /// Number of bytes the framing gave this message.
    public let length: Int

    /// A frame of `length` bytes at `base`.
    @inlinable @inline(__always)
    public init(base: UnsafeRawPointer, length: Int) {
        self.base = base
        self.length = length
    }

    /// The message bytes as a buffer.
    @inlinable public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: length) }

    /// The first byte (an ITCH message's type), or `nil` for an empty frame.
    @inlinable public var type: UInt8? { length > 0 ? base.load(as: UInt8.self) : nil }
}

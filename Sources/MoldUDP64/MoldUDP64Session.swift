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

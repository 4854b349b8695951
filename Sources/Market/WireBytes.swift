/// A read-only window on message bytes with big-endian field loads at fixed offsets.
///
/// Invariant: whoever makes a `WireBytes` has checked that `base` points at no fewer bytes than the
/// largest offset + width it will read (the decoder checks each message's length against the spec
/// before handing out a view). Loads are unaligned-safe.
public struct WireBytes: BitwiseCopyable {
    /// First byte of the message (its type byte for ITCH).
    public let base: UnsafeRawPointer

    @inlinable public init(_ base: UnsafeRawPointer) { self.base = base }

    @inlinable public func u8(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }
    @inlinable public func u16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inlinable public func u32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    /// A 6-byte big-endian integer (ITCH timestamps).
    @inlinable public func u48(_ offset: Int) -> UInt64 {
        UInt64(u16(offset)) << 32 | UInt64(u32(offset + 2))
    }
    @inlinable public func u64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    /// An 8-byte space-padded alpha field as a `Symbol` (kept in wire byte order).
    @inlinable public func symbol(_ offset: Int) -> Symbol {
        Symbol(raw: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
    }
    /// A 4-byte alpha field (MPID, reason) as its raw big-endian integer; see `alphaText`.
    @inlinable public func alpha4(_ offset: Int) -> UInt32 { u32(offset) }
}

/// A writable window used by the encoder. Invariant: `base` has room for the message being written.
public struct MutableWireBytes {
    /// First byte of the message being written.
    public let base: UnsafeMutableRawPointer

    @inlinable public init(_ base: UnsafeMutableRawPointer) { self.base = base }

    @inlinable public func u8(_ offset: Int, _ v: UInt8) { base.storeBytes(of: v, toByteOffset: offset, as: UInt8.self) }
    @inlinable public func u16(_ offset: Int, _ v: UInt16) {
        base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self)
    }
    @inlinable public func u32(_ offset: Int, _ v: UInt32) {
        base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
    }
    @inlinable public func u48(_ offset: Int, _ v: UInt64) {
        u16(offset, UInt16(truncatingIfNeeded: v >> 32))
        u32(offset + 2, UInt32(truncatingIfNeeded: v))
    }
    @inlinable public func u64(_ offset: Int, _ v: UInt64) {
        base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt64.self)
    }
    @inlinable public func symbol(_ offset: Int, _ s: Symbol) {
        base.storeBytes(of: s.raw.littleEndian, toByteOffset: offset, as: UInt64.self)
    }
}

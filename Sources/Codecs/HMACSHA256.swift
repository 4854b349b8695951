/// HMAC-SHA-256 (RFC 2104 with SHA-256, as RFC 4231 tests it): `H(K ^ opad || H(K ^ ipad || m))`.
///
/// The key is absorbed once, at `init`: the value keeps the two SHA-256 states primed with the
/// padded key's block (inner and outer), so each message costs the compressions of the message
/// plus two, instead of four more.
public struct HMACSHA256: Sendable {
    private let inner: SHA256
    private let outer: SHA256

    /// A MAC for `key` (any length; a key longer than the 64-byte block is hashed first, RFC 2104 §2).
    public init<Key: Collection>(key: Key) where Key.Element == UInt8 {
        var k = Array(key)
        if k.count > 64 { k = SHA256.digest(k).bytes }
        k += [UInt8](repeating: 0, count: 64 - k.count)
        var inner = SHA256()
        inner.update(k.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(k.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    /// The 32-byte tag of `message`.
    public func authenticationCode(for message: UnsafeRawBufferPointer) -> SHA256Digest {
        var hash = inner
        hash.update(message)
        let innerDigest = hash.finalize()
        var outerHash = outer
        withUnsafeBytes(of: innerDigest.words.0.bigEndian) { outerHash.update($0) }
        withUnsafeBytes(of: innerDigest.words.1.bigEndian) { outerHash.update($0) }
        withUnsafeBytes(of: innerDigest.words.2.bigEndian) { outerHash.update($0) }
        withUnsafeBytes(of: innerDigest.words.3.bigEndian) { outerHash.update($0) }
        return outerHash.finalize()
    }

    /// The 32-byte tag of `message`.
    public func authenticationCode<Bytes: Collection>(for message: Bytes) -> SHA256Digest where Bytes.Element == UInt8 {
        if let tag = message.withContiguousStorageIfAvailable({ authenticationCode(for: UnsafeRawBufferPointer($0)) }) {
            return tag
        }
        return Array(message).withUnsafeBytes { authenticationCode(for: $0) }
    }
}

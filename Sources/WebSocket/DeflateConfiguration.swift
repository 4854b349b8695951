/// What the server offers of permessage-deflate (RFC 7692): the `--deflate` flag.
public enum DeflateMode: String, CaseIterable, Sendable {
    /// Declined: every client gets plain frames.
    case off
    /// Accepted with no context takeover either way (the server adds `server_no_context_takeover`
    /// and `client_no_context_takeover` to its answer, RFC 7692 §7.1.1): a message is compressed
    /// once and the same compressed frame goes to every such client; no zlib state per connection.
    case shared
    /// As `shared` for clients that offer no context takeover; a client that wants the server's
    /// context taken over gets a deflater of its own, and one that bounds its window
    /// (`client_max_window_bits`) keeps its own context with an inflater of its own.
    case full
}

/// The server's permessage-deflate settings (`WebSocketServerConfiguration.deflate`; defaults in
/// docs/websocket.md).
public struct DeflateConfiguration: Sendable, Equatable {
    /// What is negotiated.
    public var mode = DeflateMode.shared
    /// Messages with fewer payload bytes go uncompressed to every client (a short JSON object
    /// gains nothing from DEFLATE and costs a compression).
    public var minimumMessageBytes = 64
    /// zlib's compression level (1 fastest ... 9 smallest) for every deflater.
    public var level = 6
    /// zlib's memory level of the shared deflater (1...9): its hash table is cleared before every
    /// message, and short messages gain nothing from a larger one (4: a 4 KiB table, 8: 64 KiB).
    public var sharedMemoryLevel = 4
    /// Messages longer than this many bytes go through a second shared deflater with memory level
    /// `sharedLargeMemoryLevel`: with 4 KiB of hash table, the hash chains of a long binary message
    /// grow so long that zlib compressed 128 KiB of an image 3-4 times slower than with 64 KiB.
    public var sharedLargeMessageBytes = 1024
    /// zlib's memory level (1...9) of the shared deflater for messages over `sharedLargeMessageBytes`.
    public var sharedLargeMemoryLevel = 8
    /// `full`: the LZ77 window of a per-connection deflater, bits (9...15).
    public var connectionWindowBits = 12
    /// `full`: zlib's memory level of a per-connection deflater (1...9).
    public var connectionMemoryLevel = 5
    /// `full`: the window asked of a client that keeps its context (`client_max_window_bits`), bits (9...15).
    public var clientWindowBits = 12

    /// The defaults.
    public init() {}

    /// Why these settings cannot be used (a value out of zlib's range), or nil when they can.
    public var problem: String? {
        if !(0...9).contains(level) { return "deflate level \(level) is not 0...9" }
        if !(1...9).contains(sharedMemoryLevel) { return "shared deflate memory level \(sharedMemoryLevel) is not 1...9" }
        if !(1...9).contains(sharedLargeMemoryLevel) { return "large-message shared deflate memory level \(sharedLargeMemoryLevel) is not 1...9" }
        if !(1...9).contains(connectionMemoryLevel) { return "connection deflate memory level \(connectionMemoryLevel) is not 1...9" }
        if !(9...15).contains(connectionWindowBits) { return "connection deflate window \(connectionWindowBits) bits is not 9...15" }
        if !(9...15).contains(clientWindowBits) { return "client deflate window \(clientWindowBits) bits is not 9...15" }
        if minimumMessageBytes < 0 { return "minimum compressed message size \(minimumMessageBytes) is negative" }
        return nil
    }
}

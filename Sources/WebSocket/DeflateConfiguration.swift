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
    /// zlib's compression level (1 fastest ... 9 smallest) for every zlib deflater.
    public var level = 6
    /// Shared frames of messages up to this many bytes (0...32 768) are built by quotecast's own
    /// fixed-Huffman encoder (`FixedHuffmanDeflater`): zlib spends 15-25 µs on a 400-byte quote,
    /// nearly all of it per message (Huffman trees), the encoder about a tenth of that. Longer
    /// messages, where zlib's trees pay off, go through a zlib deflater of memory level
    /// `sharedLargeMemoryLevel`. 0: zlib for every message.
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
        if !(0...(1 << 15)).contains(sharedLargeMessageBytes) {
            return "fixed-Huffman message limit \(sharedLargeMessageBytes) bytes is not 0...32768"
        }
        if !(1...9).contains(sharedLargeMemoryLevel) { return "large-message shared deflate memory level \(sharedLargeMemoryLevel) is not 1...9" }
        if !(1...9).contains(connectionMemoryLevel) { return "connection deflate memory level \(connectionMemoryLevel) is not 1...9" }
        if !(9...15).contains(connectionWindowBits) { return "connection deflate window \(connectionWindowBits) bits is not 9...15" }
        if !(9...15).contains(clientWindowBits) { return "client deflate window \(clientWindowBits) bits is not 9...15" }
        if minimumMessageBytes < 0 { return "minimum compressed message size \(minimumMessageBytes) is negative" }
        return nil
    }
}

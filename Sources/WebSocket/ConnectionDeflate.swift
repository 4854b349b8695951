/// One connection's permessage-deflate: what was agreed, and the zlib streams the connection owns.
/// It owns them only for context takeover in `full` mode; otherwise the server's shared streams
/// serve it (the shared deflater builds each message's compressed frame once for every client, the
/// shared inflater is reset before each message), and the connection holds no zlib memory at all.
/// Loop-thread only.
struct ConnectionDeflate {
    /// The negotiated parameters.
    let agreement: DeflateAgreement
    /// Compresses this connection's messages with its own context; nil: the shared compressed frames.
    let deflater: MessageDeflater?
    /// Inflates this connection's messages with its own context; nil: the server's shared inflater.
    let inflater: MessageInflater?

    /// The streams `agreement` needs (counted in `memory`), or nil when zlib cannot allocate them.
    init?(_ agreement: DeflateAgreement, configuration: DeflateConfiguration, memory: CompressionMemory) {
        self.agreement = agreement
        if agreement.serverNoContextTakeover {
            deflater = nil
        } else {
            guard let own = MessageDeflater(maxWindowBits: min(agreement.serverWindowBits, configuration.connectionWindowBits),
                                            contextTakeover: true, memoryLevel: configuration.connectionMemoryLevel,
                                            level: configuration.level, memory: memory) else { return nil }
            deflater = own
        }
        if agreement.clientNoContextTakeover {
            inflater = nil
        } else {
            // zlib's own deflater turns an 8-bit window into 9; a 9-bit inflater reads either.
            guard let own = MessageInflater(windowBits: max(9, agreement.clientWindowBits), contextTakeover: true,
                                            memory: memory) else { return nil }
            inflater = own
        }
    }

    /// How this client's outgoing messages are compressed, for the per-mode client gauges.
    var mode: DeflateClientMode { deflater == nil ? .shared : .ownContext }

    /// What the server does with each message it queues for this client.
    var outgoing: OutgoingCompression {
        deflater == nil ? .shared(windowBits: agreement.serverWindowBits) : .ownContext
    }
}

/// How a connection's outgoing messages are compressed: read for every message queued to it, so a
/// plain value (reading the `ConnectionDeflate?` copied its two references each time, ~3 % of the
/// loop's time in the 1 000-client fan-out profile).
enum OutgoingCompression: Equatable {
    /// Plain frames.
    case none
    /// The shared compressed frames, for messages of at most 2^windowBits bytes when the window
    /// promised is smaller than the shared frames' (15).
    case shared(windowBits: Int)
    /// The connection's own deflater (`ConnectionDeflate.deflater`).
    case ownContext
}

/// How a client's outgoing messages are compressed.
public enum DeflateClientMode: Sendable {
    /// permessage-deflate not negotiated: plain frames.
    case uncompressed
    /// No server context takeover: the shared compressed frames.
    case shared
    /// Server context takeover: a deflater of its own.
    case ownContext
}

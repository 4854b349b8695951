/// A permessage-deflate offer's parameters (RFC 7692 §7.1), validated.
public struct DeflateOffer: Equatable, Sendable {
    /// How the offer speaks of `client_max_window_bits`.
    public enum ClientWindow: Equatable, Sendable {
        /// Not mentioned: the server must not answer it, and the client may use 15 bits.
        case absent
        /// Present without a value: the server may choose a value.
        case anyValue
        /// Present with a value: the client will use at most this window.
        case atMost(Int)
    }

    /// `server_no_context_takeover`.
    public var serverNoContextTakeover = false
    /// `client_no_context_takeover`.
    public var clientNoContextTakeover = false
    /// `server_max_window_bits` (8...15), nil when absent.
    public var serverMaxWindowBits: Int?
    /// `client_max_window_bits`.
    public var clientMaxWindowBits = ClientWindow.absent

    /// An offer.
    public init(serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
                serverMaxWindowBits: Int? = nil, clientMaxWindowBits: ClientWindow = .absent) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }
}

/// A negotiated permessage-deflate: the parameters of the answer, which both ends follow.
public struct DeflateAgreement: Equatable, Sendable {
    /// `server_no_context_takeover`: the server compresses every message on its own.
    public var serverNoContextTakeover: Bool
    /// `client_no_context_takeover`: the client compresses every message on its own.
    public var clientNoContextTakeover: Bool
    /// `server_max_window_bits` as answered (nil: not stated; the server's window is then at most 15 bits).
    public var serverMaxWindowBits: Int?
    /// `client_max_window_bits` as answered (nil: not stated; the client's window is at most 15 bits,
    /// or what its offer said).
    public var clientMaxWindowBits: Int?

    /// An agreement.
    public init(serverNoContextTakeover: Bool, clientNoContextTakeover: Bool, serverMaxWindowBits: Int? = nil,
                clientMaxWindowBits: Int? = nil) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// The most the server's back references may reach, bits.
    public var serverWindowBits: Int { serverMaxWindowBits ?? 15 }
    /// The most the client's back references may reach, bits.
    public var clientWindowBits: Int { clientMaxWindowBits ?? 15 }

    /// The `Sec-WebSocket-Extensions` value that states it.
    public var headerValue: String {
        var text = DeflateNegotiation.extensionName
        if serverNoContextTakeover { text += "; server_no_context_takeover" }
        if clientNoContextTakeover { text += "; client_no_context_takeover" }
        if let bits = serverMaxWindowBits { text += "; server_max_window_bits=\(bits)" }
        if let bits = clientMaxWindowBits { text += "; client_max_window_bits=\(bits)" }
        return text
    }
}

/// RFC 7692 §5–7 negotiation, as pure functions: the server picks the first acceptable
/// permessage-deflate offer of the request and answers it; a client checks the server's answer.
public enum DeflateNegotiation {
    /// The extension's token.
    public static let extensionName = "permessage-deflate"

    /// The server's answer to `request`'s `Sec-WebSocket-Extensions` (every such header, in order),
    /// or nil when nothing is agreed (mode `off`, no offer, or no valid one).
    public static func negotiate(_ request: HTTPRequest, configuration: DeflateConfiguration) -> DeflateAgreement? {
        guard configuration.mode != .off else { return nil }
        let values = request.headers.filter { $0.name == "sec-websocket-extensions" }.map(\.value)
        return negotiate(offers: values, configuration: configuration)
    }

    /// The answer to the first valid permessage-deflate offer among `values` (header values in
    /// order); other extensions and invalid offers are passed over.
    public static func negotiate(offers values: [String], configuration: DeflateConfiguration) -> DeflateAgreement? {
        guard configuration.mode != .off else { return nil }
        for case let element? in ExtensionHeader.parse(values) where element.name == extensionName {
            if let offer = offer(element) { return answer(offer, configuration: configuration) }
        }
        return nil
    }

    /// The offer `element` makes, or nil when it is invalid: an unknown or repeated parameter, a value
    /// where none is allowed (or none where one is needed), a window outside 8...15 (RFC 7692 §7.1).
    public static func offer(_ element: ExtensionElement) -> DeflateOffer? {
        var offer = DeflateOffer()
        var seen: Set<String> = []
        for parameter in element.parameters {
            guard seen.insert(parameter.name).inserted else { return nil }
            switch parameter.name {
            case "server_no_context_takeover":
                guard parameter.value == nil else { return nil }
                offer.serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard parameter.value == nil else { return nil }
                offer.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = parameter.value.flatMap(windowBits) else { return nil }
                offer.serverMaxWindowBits = bits
            case "client_max_window_bits":
                if let value = parameter.value {
                    guard let bits = windowBits(value) else { return nil }
                    offer.clientMaxWindowBits = .atMost(bits)
                } else {
                    offer.clientMaxWindowBits = .anyValue
                }
            default:
                return nil
            }
        }
        return offer
    }

    /// The server's answer to a valid `offer` (every valid offer can be answered):
    /// - its own side: without context takeover in `shared`, when the client asks for it, or when the
    ///   client asks for an 8-bit window (zlib cannot keep a context in 256 bytes); else, in `full`, a
    ///   per-connection window of `connectionWindowBits`, stated when the client asked for a limit.
    ///   An asked-for `server_max_window_bits` is echoed (lower when the per-connection window is).
    /// - the client's side: without context takeover in `shared`, when the client asks for it, or when
    ///   it did not offer `client_max_window_bits` (its window could not be bounded); else, in `full`,
    ///   `client_max_window_bits` of at most `clientWindowBits`.
    public static func answer(_ offer: DeflateOffer, configuration: DeflateConfiguration) -> DeflateAgreement {
        let full = configuration.mode == .full
        var agreement = DeflateAgreement(serverNoContextTakeover: true, clientNoContextTakeover: true,
                                         serverMaxWindowBits: offer.serverMaxWindowBits)
        if full && !offer.serverNoContextTakeover && offer.serverMaxWindowBits != 8 {
            agreement.serverNoContextTakeover = false
            agreement.serverMaxWindowBits = offer.serverMaxWindowBits.map { min($0, configuration.connectionWindowBits) }
        }
        if full && !offer.clientNoContextTakeover {
            switch offer.clientMaxWindowBits {
            case .absent:
                break
            case .anyValue:
                agreement.clientNoContextTakeover = false
                agreement.clientMaxWindowBits = configuration.clientWindowBits
            case .atMost(let bits):
                agreement.clientNoContextTakeover = false
                agreement.clientMaxWindowBits = min(bits, configuration.clientWindowBits)
            }
        }
        return agreement
    }

    /// The agreement a server's answer (`Sec-WebSocket-Extensions` values of the 101 response) states,
    /// for a client that offered permessage-deflate with `client_max_window_bits` when
    /// `offeredClientWindow`. nil with no answer; throws when the answer is not one a client may accept.
    public static func agreement(answer values: [String], offeredClientWindow: Bool) throws(DeflateAnswerError) -> DeflateAgreement? {
        let elements = ExtensionHeader.parse(values)
        guard !elements.isEmpty else { return nil }
        guard elements.count == 1, let element = elements[0] else { throw .malformed(values.joined(separator: ", ")) }
        guard element.name == extensionName else { throw .notOffered(element.name) }
        guard let offer = offer(element) else { throw .invalidParameters(values.joined(separator: ", ")) }
        let clientBits: Int?
        switch offer.clientMaxWindowBits {
        case .absent: clientBits = nil
        case .anyValue: throw .invalidParameters("client_max_window_bits without a value")
        case .atMost(let bits):
            guard offeredClientWindow else { throw .invalidParameters("client_max_window_bits was not offered") }
            clientBits = bits
        }
        return DeflateAgreement(serverNoContextTakeover: offer.serverNoContextTakeover,
                                clientNoContextTakeover: offer.clientNoContextTakeover,
                                serverMaxWindowBits: offer.serverMaxWindowBits, clientMaxWindowBits: clientBits)
    }

    /// A window size value: "8" ... "15", no sign, no leading zero (RFC 7692 §7.1.2).
    static func windowBits(_ text: String) -> Int? {
        guard let first = text.utf8.first, first != UInt8(ascii: "0"), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let bits = Int(text), (8...15).contains(bits) else { return nil }
        return bits
    }
}

/// Why a client refuses a server's `Sec-WebSocket-Extensions` answer.
public enum DeflateAnswerError: Error, Equatable, Sendable {
    /// Not the extension list grammar, or more than one extension.
    case malformed(String)
    /// An extension the client did not offer.
    case notOffered(String)
    /// permessage-deflate with parameters a client cannot accept.
    case invalidParameters(String)
}

/// A network input written as a URL, the form the `--feed` flags take:
/// `scheme://HOST:PORT[,HOST:PORT…][?key=value&…]`. Split once; the endpoints and each value are
/// checked by whoever knows what they mean, with errors (`EndpointURLError`) that name the part at
/// fault. Used by every feed URL (`moldudp64://`, `krx://`), so they read alike.
public struct EndpointURL: Sendable {
    /// The scheme, without `://`.
    public let scheme: String
    /// The comma-separated addresses before `?`, as written (at least one, none empty).
    public let endpoints: [String]
    /// The `key=value` pairs after `?`, in order; no key twice, no value empty.
    public let parameters: [(key: String, value: String)]

    /// Splits `text`, which must start with `scheme://`; `example` is how the address part is written,
    /// for the message when it is missing (`GROUP:PORT`).
    public init(_ text: String, scheme: String, example: String) throws(EndpointURLError) {
        let prefix = scheme + "://"
        guard text.hasPrefix(prefix) else { throw EndpointURLError("expected \(prefix)\(example), got '\(text)'") }
        self.scheme = scheme
        let parts = text.dropFirst(prefix.count).split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let endpoints = parts[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !endpoints.contains(where: \.isEmpty) else {
            throw EndpointURLError("expected \(prefix)\(example), got '\(text)' (an empty address)")
        }
        self.endpoints = endpoints
        var parameters: [(key: String, value: String)] = []
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard kv.count == 2, !kv[1].isEmpty else { throw EndpointURLError("'\(pair)' is not key=value") }
                let key = String(kv[0])
                guard !parameters.contains(where: { $0.key == key }) else { throw EndpointURLError("'\(key)' given twice") }
                parameters.append((key, String(kv[1])))
            }
        }
        self.parameters = parameters
    }

    /// `text` as a multicast `GROUP:PORT` (port 1–65535); `what` names it in the error.
    public static func multicastGroup(_ text: String, what: String) throws(EndpointURLError) -> SocketAddress {
        guard let a = SocketAddress(parsing: text), a.isMulticast, a.port != 0 else {
            throw EndpointURLError("\(what) '\(text)' is not a multicast GROUP:PORT (224.0.0.0-239.255.255.255, port 1-65535)")
        }
        return a
    }

    /// `text` as a unicast `HOST:PORT` (port 1–65535).
    public static func unicastEndpoint(_ text: String, what: String) throws(EndpointURLError) -> SocketAddress {
        guard let r = SocketAddress(parsing: text), r.port != 0, !r.isMulticast else {
            throw EndpointURLError("\(what): '\(text)' is not a unicast HOST:PORT")
        }
        return r
    }

    /// `value` of `key` as an IPv4 interface address.
    public static func interfaceAddress(_ value: String, key: String) throws(EndpointURLError) -> String {
        guard SocketAddress(host: value, port: 0) != nil else { throw EndpointURLError("\(key): '\(value)' is not an IPv4 address") }
        return value
    }

    /// `value` of `key` as an integer in `range`.
    public static func integer(_ value: String, key: String, in range: ClosedRange<Int>) throws(EndpointURLError) -> Int {
        guard let n = Int(value), range.contains(n) else {
            throw EndpointURLError("\(key): expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(value)'")
        }
        return n
    }

    /// `value` of `key` as milliseconds in `range`, returned in nanoseconds.
    public static func milliseconds(_ value: String, key: String, in range: ClosedRange<Int>) throws(EndpointURLError) -> UInt64 {
        UInt64(try integer(value, key: key, in: range)) * 1_000_000
    }

    /// The error for a key the scheme does not have, listing the keys it has.
    public static func unknownKey(_ key: String, known: [String]) -> EndpointURLError {
        EndpointURLError("unknown key '\(key)' (\(known.joined(separator: ", ")))")
    }
}

/// A feed URL that cannot be used, saying which part and why.
public struct EndpointURLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One line naming the part at fault.
    public let message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

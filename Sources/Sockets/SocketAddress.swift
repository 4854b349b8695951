import Glibc

/// An IPv4 host and port, parsed from the `HOST:PORT` form of the command line flags.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The dotted-quad host (`"127.0.0.1"`, `"0.0.0.0"`).
    public let host: String
    /// The TCP/UDP port; 0 asks the kernel for a free one when binding.
    public let port: UInt16

    /// An address from its parts; nil if `host` is not a dotted-quad IPv4 address.
    public init?(host: String, port: UInt16) {
        var probe = in_addr()
        guard inet_pton(AF_INET, host, &probe) == 1 else { return nil }
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` (`localhost` is taken as 127.0.0.1); nil when malformed.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        if host.isEmpty || host == "*" { host = "0.0.0.0" }
        self.init(host: host, port: port)
    }

    /// `HOST:PORT`.
    public var description: String { "\(host):\(port)" }

    /// The host as a 32-bit number in host byte order (127.0.0.1 is 0x7F00_0001).
    public var ipv4: UInt32 {
        var a = in_addr()
        _ = inet_pton(AF_INET, host, &a)
        return UInt32(bigEndian: a.s_addr)
    }

    /// The kernel's form of the address.
    var sockaddr: sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        _ = inet_pton(AF_INET, host, &a.sin_addr)
        return a
    }

    /// The address a kernel `sockaddr_in` holds.
    init(_ a: sockaddr_in) {
        var copy = a.sin_addr
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        _ = inet_ntop(AF_INET, &copy, &text, socklen_t(INET_ADDRSTRLEN))
        self.host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.port = UInt16(bigEndian: a.sin_port)
    }
}

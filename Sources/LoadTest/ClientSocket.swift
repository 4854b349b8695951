import Glibc

/// The few raw socket calls the load driver needs beyond the Sockets module: a non-blocking
/// `connect` (the Sockets module only has a blocking one), its completion status, a small receive
/// buffer for slow clients, and plain non-blocking read/write returning `-errno`.
/// Invariant: every descriptor returned here is non-blocking and close-on-exec, and is closed
/// exactly once by its owner (`ClientSlot`), through `close(_:)`.
enum ClientSocket {
    /// Starts connecting to `host:port` (IPv4 or IPv6 literal). Returns the descriptor (the
    /// connection completes later: wait for writability, then read `pendingError`), or `-errno`.
    static func startConnect(host: String, port: UInt16, receiveBuffer: Int?) -> Int32 {
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        let isV6 = inet_pton(AF_INET6, host, &v6.sin6_addr) == 1
        if !isV6 {
            guard inet_pton(AF_INET, host, &v4.sin_addr) == 1 else { return -EINVAL }
        }
        let family = isV6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { return -errno }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if let receiveBuffer {
            // Before connect, so the window the server sees is small from the first segment.
            var size = Int32(receiveBuffer)
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let rc: Int32
        if isV6 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            rc = withUnsafePointer(to: &v6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            rc = withUnsafePointer(to: &v4) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        if rc == 0 || errno == EINPROGRESS { return fd }
        let code = errno
        Glibc.close(fd)
        return -code
    }

    /// The outcome of a non-blocking connect once the socket is writable: 0, or the errno.
    static func pendingError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { return errno }
        return code
    }

    /// One `read`: bytes read (> 0), 0 at end of stream, or `-errno` (`-EAGAIN` when empty).
    @inline(__always)
    static func read(_ fd: Int32, _ into: UnsafeMutableRawPointer, _ count: Int) -> Int {
        while true {
            let n = Glibc.read(fd, into, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            return -Int(errno)
        }
    }

    /// One `write`: bytes written, or `-errno`.
    static func write(_ fd: Int32, _ from: UnsafeRawPointer, _ count: Int) -> Int {
        while true {
            let n = send(fd, from, count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            return -Int(errno)
        }
    }

    /// Closes the descriptor; `reset` drops the connection at once (SO_LINGER 0: an RST, as when a
    /// phone loses its network), otherwise the usual FIN.
    static func close(_ fd: Int32, reset: Bool = false) {
        if reset {
            var l = linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        }
        Glibc.close(fd)
    }

}

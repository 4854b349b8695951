import Glibc

/// One non-blocking TCP connection: typed `read`, `writev` and the closing calls.
/// Owned by one thread (the event loop's); `close()` once when done.
public struct TCPConnection: Sendable {
    /// The connected descriptor.
    public let descriptor: Descriptor
    /// The remote address, as accepted.
    public let peer: SocketAddress

    /// Wraps an already connected, non-blocking descriptor.
    public init(descriptor: Descriptor, peer: SocketAddress) {
        self.descriptor = descriptor
        self.peer = peer
    }

    /// Connects to `address`, giving up after `timeoutMilliseconds` (a silent host would otherwise
    /// hold a blocking connect for the kernel's SYN retries, about two minutes); the connection is
    /// left non-blocking unless `blocking`. For tests and clients.
    public static func connect(to address: SocketAddress, blocking: Bool = false,
                               timeoutMilliseconds: Int32 = 10_000) throws(SystemError) -> TCPConnection {
        let fd = try retryingInterrupts("socket") {
            socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        }
        let d = Descriptor(rawValue: fd)
        var a = address.sockaddr
        let rc = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            var code = errno
            if code == EINPROGRESS {
                // Wait for the handshake to finish (or fail), then read its outcome.
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                var ready: Int32
                repeat { ready = poll(&p, 1, timeoutMilliseconds) } while ready < 0 && errno == EINTR
                if ready == 0 {
                    code = ETIMEDOUT
                } else {
                    var failure: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
                    code = failure
                }
            }
            if code != 0 {
                d.close()
                throw SystemError("connect", errno: code)
            }
        }
        if blocking {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        }
        try? d.setOption(level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
        return TCPConnection(descriptor: d, peer: address)
    }

    /// Reads what is available into `buffer`.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        let n = retryingInterruptsOrErrno { Glibc.read(descriptor.rawValue, buffer.baseAddress, buffer.count) }
        if n > 0 { return .bytes(n) }
        if n == 0 { return buffer.isEmpty ? .bytes(0) : .endOfStream }
        let code = Int32(-n)
        if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
        return .failed(SystemError("read", errno: code))
    }

    /// Writes the `count` buffers at `vectors` in one `writev` (gathered; partial writes are normal).
    /// SIGPIPE is not raised: the process ignores it (see `ignoreBrokenPipes`).
    @inline(__always)
    public func write(vectors: UnsafePointer<iovec>, count: Int) -> IOResult {
        let n = retryingInterruptsOrErrno { writev(descriptor.rawValue, vectors, Int32(count)) }
        if n > 0 { return .bytes(n) }
        if n == 0 { return .wouldBlock }
        let code = Int32(-n)
        if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
        return .failed(SystemError("writev", errno: code))
    }

    /// Writes all of `bytes`, waiting for the socket when it is full: for tests and blocking clients.
    public func writeAll(_ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                retryingInterruptsOrErrno { Glibc.write(descriptor.rawValue, raw.baseAddress! + offset, raw.count - offset) }
            }
            if n > 0 { offset += n; continue }
            let code = Int32(-n)
            if code == EAGAIN || code == EWOULDBLOCK {
                var p = pollfd(fd: descriptor.rawValue, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, 100)
                continue
            }
            throw SystemError("write", errno: code)
        }
    }

    /// Stops sending (a FIN to the peer) while still reading: the polite end of a lingering close.
    public func shutdownWrite() { _ = Glibc.shutdown(descriptor.rawValue, Int32(SHUT_WR)) }

    /// Closes the connection.
    public func close() { descriptor.close() }
}

/// Makes writes to a closed socket return EPIPE instead of killing the process with SIGPIPE.
/// Call once at start-up, before any connection is written.
public func ignoreBrokenPipes() {
    signal(SIGPIPE, SIG_IGN)
}

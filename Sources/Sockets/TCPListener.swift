import CShim
import Glibc

/// A non-blocking listening TCP socket (IPv4, SO_REUSEADDR, close-on-exec).
/// Owned by one thread (the event loop's); `close()` once when done.
public struct TCPListener: Sendable {
    /// The listening descriptor, to register with an `EventLoop` for readability.
    public let descriptor: Descriptor
    /// The address actually bound (with the kernel's port when port 0 was asked for).
    public let localAddress: SocketAddress

    /// Binds and listens on `address` with a `backlog` of pending connections.
    public init(binding address: SocketAddress, backlog: Int32 = 1024) throws(SystemError) {
        let fd = try retryingInterrupts("socket") {
            socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let d = Descriptor(rawValue: fd)
        do {
            try d.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            var a = address.sockaddr
            _ = try retryingInterrupts("bind") {
                withUnsafePointer(to: &a) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            _ = try retryingInterrupts("listen") { listen(fd, backlog) }
            var bound = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = try retryingInterrupts("getsockname") {
                withUnsafeMutablePointer(to: &bound) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
                }
            }
            descriptor = d
            localAddress = SocketAddress(bound)
        } catch {
            d.close()
            throw error
        }
    }

    /// Accepts one pending connection (non-blocking, close-on-exec, TCP_NODELAY), or nil when none is
    /// pending. Errors that only concern the one connection (ECONNABORTED, EPROTO…) also give nil;
    /// EMFILE/ENFILE/ENOBUFS/ENOMEM are thrown so the caller can count and back off.
    public func accept() throws(SystemError) -> TCPConnection? {
        while true {
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = withUnsafeMutablePointer(to: &peer) { qc_accept_nonblocking(descriptor.rawValue, $0, &length) }
            if fd >= 0 {
                let connection = TCPConnection(descriptor: Descriptor(rawValue: fd), peer: SocketAddress(peer))
                try? connection.descriptor.setOption(level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
                return connection
            }
            switch errno {
            case EINTR, ECONNABORTED, EPROTO, EPERM: continue
            case EAGAIN, EWOULDBLOCK: return nil
            default: throw SystemError("accept4", errno: errno)
            }
        }
    }

    /// Closes the listening socket.
    public func close() { descriptor.close() }
}

import CShim
import Glibc

/// A UDP socket (IPv4, close-on-exec): a multicast receiver joined to one group on one interface, a
/// multicast sender bound to an interface, or a plain unicast endpoint (the MoldUDP64 retransmission
/// request server and its clients). Owned by one thread; `close()` once when done.
public struct UDPSocket: Sendable {
    /// The socket's descriptor (register it with an `EventLoop` or `poll` for readability).
    public let descriptor: Descriptor
    /// The address bound (with the kernel's port when port 0 was asked for).
    public let localAddress: SocketAddress
    /// The receive buffer the kernel granted, in bytes (as `getsockopt(SO_RCVBUF)` reports it), or 0
    /// when none was asked for.
    public let receiveBufferBytes: Int

    private init(descriptor: Descriptor, localAddress: SocketAddress, receiveBufferBytes: Int) {
        self.descriptor = descriptor
        self.localAddress = localAddress
        self.receiveBufferBytes = receiveBufferBytes
    }

    /// The shell command that gives the loopback interface a multicast route, for error messages and
    /// docs: quotecast itself never needs it (it joins and sends by interface index), but tools that
    /// send to a group without choosing an interface do.
    public static let loopbackRouteHint = "ip route add 224.0.0.0/4 dev lo"

    /// A socket bound to `group`'s port (and address, so other groups on the same port are not
    /// delivered) that joined `group` on the interface holding `interface`; SO_REUSEADDR and
    /// SO_REUSEPORT let several receivers on the host share the group. Asks for a `receiveBuffer`
    /// of that many bytes (SO_RCVBUFFORCE as root, else SO_RCVBUF up to `net.core.rmem_max`) and
    /// reports what was granted in `receiveBufferBytes`. Non-blocking.
    public static func multicastReceiver(group: SocketAddress, interface: String,
                                         receiveBuffer: Int = 8 << 20) throws(SystemError) -> UDPSocket {
        guard group.isMulticast else { throw SystemError("IP_ADD_MEMBERSHIP \(group.host) is not a multicast group", errno: EINVAL) }
        let (ifindex, interfaceAddress) = try interfaceIndex(interface)
        let d = try openSocket()
        do throws(SystemError) {
            try d.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            try d.setOption(level: SOL_SOCKET, name: SO_REUSEPORT, value: 1)
            try bind(d, group)
            let joined = qc_join_group(d.rawValue, group.sockaddr.sin_addr.s_addr, interfaceAddress, ifindex)
            if joined < 0 {
                throw SystemError("IP_ADD_MEMBERSHIP \(group.host) on \(interface) (if it says no such device: \(loopbackRouteHint))",
                                  errno: -joined)
            }
            let granted = qc_set_receive_buffer(d.rawValue, Int32(clamping: receiveBuffer))
            if granted < 0 { throw SystemError("setsockopt(SO_RCVBUF)", errno: -granted) }
            return UDPSocket(descriptor: d, localAddress: try boundAddress(d), receiveBufferBytes: Int(granted))
        } catch {
            d.close()
            throw error
        }
    }

    /// A socket that sends multicast out of the interface holding `interface` (IP_MULTICAST_IF by
    /// interface index, so no multicast route is needed, not even on `lo`), with `ttl` hops and the
    /// host's own receivers served (`IP_MULTICAST_LOOP`) when `loop`. Bound to `interface`:`port`
    /// (0 = any free port). Blocking: a send waits for room in the send buffer.
    public static func multicastSender(interface: String, port: UInt16 = 0, ttl: Int = 1, loop: Bool = true,
                                       sendBuffer: Int = 4 << 20) throws(SystemError) -> UDPSocket {
        let (ifindex, interfaceAddress) = try interfaceIndex(interface)
        let d = try openSocket(nonBlocking: false)
        do throws(SystemError) {
            let set = qc_set_multicast_interface(d.rawValue, interfaceAddress, ifindex)
            if set < 0 { throw SystemError("IP_MULTICAST_IF \(interface)", errno: -set) }
            try d.setOption(level: Int32(IPPROTO_IP), name: IP_MULTICAST_TTL, value: Int32(clamping: ttl))
            try d.setOption(level: Int32(IPPROTO_IP), name: IP_MULTICAST_LOOP, value: loop ? 1 : 0)
            _ = qc_set_send_buffer(d.rawValue, Int32(clamping: sendBuffer))
            try bind(d, SocketAddress(host: interface, port: port)!)
            return UDPSocket(descriptor: d, localAddress: try boundAddress(d), receiveBufferBytes: 0)
        } catch {
            d.close()
            throw error
        }
    }

    /// A unicast socket bound to `address` (port 0 = any free port), non-blocking: the retransmission
    /// request server binds its `HOST:PORT`, a receiver binds `interface:0` to ask it.
    public static func unicast(binding address: SocketAddress, receiveBuffer: Int = 4 << 20) throws(SystemError) -> UDPSocket {
        let d = try openSocket()
        do throws(SystemError) {
            let granted = qc_set_receive_buffer(d.rawValue, Int32(clamping: receiveBuffer))
            try bind(d, address)
            return UDPSocket(descriptor: d, localAddress: try boundAddress(d), receiveBufferBytes: max(0, Int(granted)))
        } catch {
            d.close()
            throw error
        }
    }

    /// Receives what is waiting (up to `batch.capacity` datagrams) without blocking; returns how many
    /// arrived (0 when none). Errors other than "nothing waiting" are thrown.
    @inline(__always)
    public func receive(into batch: DatagramBatch) throws(SystemError) -> Int {
        let n = qc_recv_batch(descriptor.rawValue, batch.storage, UInt32(batch.stride), batch.lengths, batch.sources,
                              Int32(batch.capacity))
        if n >= 0 {
            batch.count = Int(n)
            return Int(n)
        }
        batch.count = 0
        if n == -EAGAIN || n == -EWOULDBLOCK { return 0 }
        // A refused earlier send (ICMP port unreachable) is reported once on the next call: not fatal.
        if n == -ECONNREFUSED { return 0 }
        throw SystemError("recvmmsg", errno: -n)
    }

    /// Sends `count` datagrams (`lengths[i]` bytes at `pointers[i]`) to `destination` in as few
    /// `sendmmsg` calls as the socket allows; returns how many went (fewer only when a non-blocking
    /// socket filled up).
    @inline(__always)
    public func send(_ pointers: UnsafePointer<UnsafeRawPointer?>, lengths: UnsafePointer<UInt32>, count: Int,
                     to destination: SocketAddress) throws(SystemError) -> Int {
        var address = destination.sockaddr
        let n = qc_send_batch(descriptor.rawValue, pointers, lengths, Int32(count), &address)
        if n >= 0 { return Int(n) }
        if n == -EAGAIN || n == -EWOULDBLOCK || n == -ECONNREFUSED { return 0 }
        throw SystemError("sendmmsg", errno: -n)
    }

    /// Sends one datagram to `destination`; returns whether it went (false: the socket was full or an
    /// ICMP error from an earlier send was reported).
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress) throws(SystemError) -> Bool {
        var address = destination.sockaddr
        let n = retryingInterruptsOrErrno {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor.rawValue, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if n >= 0 { return true }
        let code = Int32(-n)
        if code == EAGAIN || code == EWOULDBLOCK || code == ECONNREFUSED { return false }
        throw SystemError("sendto", errno: code)
    }

    /// Waits up to `timeoutMilliseconds` for any of `sockets` to become readable (`poll`); returns
    /// whether one did. An interrupted wait returns false.
    public static func waitReadable(_ sockets: [UDPSocket], timeoutMilliseconds: Int32) -> Bool {
        var fds = sockets.map { pollfd(fd: $0.descriptor.rawValue, events: Int16(POLLIN), revents: 0) }
        return poll(&fds, nfds_t(fds.count), timeoutMilliseconds) > 0
    }

    /// Drains `sockets` fairly: round after round, one `recvmmsg` batch from each socket that has
    /// datagrams, calling `body(socketIndex, count)` with `batch` holding them, until a round finds
    /// nothing, `rounds` rounds have run, or `body` returns false. Alternating keeps one socket (a
    /// line, a channel) from running far ahead of the others. Returns the datagrams received.
    public static func drain(_ sockets: [UDPSocket], into batch: DatagramBatch, rounds: Int = 32,
                             _ body: (Int, Int) -> Bool) throws(SystemError) -> Int {
        var received = 0
        for _ in 0..<rounds {
            var any = false
            for (i, socket) in sockets.enumerated() {
                let n = try socket.receive(into: batch)
                if n == 0 { continue }
                any = true
                received += n
                if !body(i, n) { return received }
            }
            if !any { break }
        }
        return received
    }

    /// Closes the socket (leaving any group it joined).
    public func close() { descriptor.close() }

    // MARK: - Helpers

    private static func openSocket(nonBlocking: Bool = true) throws(SystemError) -> Descriptor {
        var type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        let fd = try retryingInterrupts("socket") { socket(AF_INET, type, 0) }
        return Descriptor(rawValue: fd)
    }

    private static func bind(_ d: Descriptor, _ address: SocketAddress) throws(SystemError) {
        var a = address.sockaddr
        _ = try retryingInterrupts("bind \(address)") {
            withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(d.rawValue, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    private static func boundAddress(_ d: Descriptor) throws(SystemError) -> SocketAddress {
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = try retryingInterrupts("getsockname") {
            withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(d.rawValue, $0, &length) }
            }
        }
        return SocketAddress(bound)
    }

    /// The index and network-order address of the interface holding `address`.
    private static func interfaceIndex(_ address: String) throws(SystemError) -> (Int32, UInt32) {
        guard let parsed = SocketAddress(host: address, port: 0) else {
            throw SystemError("interface \(address) is not an IPv4 address", errno: EINVAL)
        }
        let be = parsed.sockaddr.sin_addr.s_addr
        let index = qc_interface_index(be)
        guard index > 0 else { throw SystemError("no interface has the address \(address)", errno: ENODEV) }
        return (index, be)
    }
}

extension SocketAddress {
    /// Whether the host is an IPv4 multicast group (224.0.0.0/4).
    public var isMulticast: Bool {
        let first = UInt32(bigEndian: sockaddr.sin_addr.s_addr) >> 24
        return (224...239).contains(first)
    }

}

/// Preallocated room for a batch of received datagrams: `capacity` slots of `stride` bytes, their
/// lengths and their senders. One owner (the receiving thread); reused for every receive.
///
/// Invariant: `storage` holds `capacity * stride` bytes, `lengths` and `sources` `capacity` entries,
/// all allocated in `init` and freed in `deinit`; after a receive, the first `count` slots are valid.
public final class DatagramBatch {
    /// Datagrams per receive.
    public let capacity: Int
    /// Largest datagram kept whole; longer ones are reported with length -1.
    public let stride: Int
    let storage: UnsafeMutableRawPointer
    let lengths: UnsafeMutablePointer<Int32>
    let sources: UnsafeMutablePointer<sockaddr_in>
    /// Datagrams the last receive delivered.
    public internal(set) var count = 0

    /// Room for `capacity` (at most 1024) datagrams of up to `stride` bytes each.
    public init(capacity: Int = 64, stride: Int = 2048) {
        self.capacity = min(max(capacity, 1), 1024)
        self.stride = stride
        storage = .allocate(byteCount: self.capacity * stride, alignment: 64)
        lengths = .allocate(capacity: self.capacity)
        sources = .allocate(capacity: self.capacity)
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
        sources.deallocate()
    }

    /// Datagram `i` (< `count`): its bytes, or nil when it was longer than `stride` and was cut.
    @inline(__always)
    public func datagram(_ i: Int) -> UnsafeRawBufferPointer? {
        let n = Int(lengths[i])
        if n < 0 { return nil }
        return UnsafeRawBufferPointer(start: storage + i * stride, count: n)
    }

    /// The sender of datagram `i` (< `count`).
    public func source(_ i: Int) -> SocketAddress { SocketAddress(sources[i]) }
}

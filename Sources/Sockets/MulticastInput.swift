import Glibc
import System

/// The receiving side of a feed that comes over UDP multicast, whatever its framing: one socket per
/// group joined (an exchange's lines A and B, its product groups' ports, a feed node's channels), and
/// optionally one unicast socket that sends requests and receives their answers (a retransmission
/// server's), all drained in `recvmmsg` batches and waited on in one `epoll` set, so the thread
/// sleeps only when nothing arrived on any of them.
///
/// Streams are numbered in the order of `groups`, then the unicast socket (`unicastStream`): the
/// number is what `drain` reports with each batch. One owner thread. A round that received nothing
/// waits with `idle(timeoutMilliseconds:)`, by the input's `wait` strategy.
///
/// Invariant: `sockets` holds the open sockets, groups first; `loop` watches each of them with its
/// index as the token; `batch` holds the last batch received.
public final class MulticastInput {
    /// The groups joined, in stream order.
    public let groups: [SocketAddress]
    /// The stream number of the unicast socket, if there is one (`groups.count`).
    public let unicastStream: Int?
    /// The buffer every receive fills: after `drain` reports `(stream, n)`, datagrams `0..<n`.
    public let batch: DatagramBatch
    private let sockets: [UDPSocket]
    private let loop: EventLoop
    private var backoff = IdleBackoff(.adaptive)

    /// How `idle` waits: spin (each step another round of receives), yield, then sleep in `epoll_wait`
    /// (`IdleBackoff`). Default `.adaptive`.
    public var wait: WaitStrategy {
        get { backoff.strategy }
        set { backoff = IdleBackoff(newValue) }
    }

    /// Joins each of `groups` on the interface holding `interface`, asking for `receiveBuffer` bytes
    /// per socket; with `unicast`, also binds a unicast socket on that interface (any free port).
    /// Receives batches of `batchCapacity` datagrams of up to `maxDatagram` bytes (longer ones are
    /// reported cut). Closes what it opened when any step fails.
    public init(groups: [SocketAddress], interface: String, receiveBuffer: Int, unicast: Bool, maxDatagram: Int,
                batchCapacity: Int = 256) throws(SystemError) {
        var sockets: [UDPSocket] = []
        do throws(SystemError) {
            for group in groups {
                sockets.append(try UDPSocket.multicastReceiver(group: group, interface: interface, receiveBuffer: receiveBuffer))
            }
            if unicast {
                guard let local = SocketAddress(host: interface, port: 0) else {
                    throw SystemError("bind \(interface): not an IPv4 address", errno: EINVAL)
                }
                sockets.append(try UDPSocket.unicast(binding: local, receiveBuffer: receiveBuffer))
            }
            let loop = try EventLoop(batch: 16)
            for (i, socket) in sockets.enumerated() { try loop.add(socket.descriptor, events: .readable, token: UInt64(i)) }
            self.loop = loop
        } catch {
            sockets.forEach { $0.close() }
            throw error
        }
        self.groups = groups
        self.sockets = sockets
        unicastStream = unicast ? groups.count : nil
        batch = DatagramBatch(capacity: batchCapacity, stride: maxDatagram)
    }

    /// The receive buffer the kernel granted stream `stream`'s socket (as getsockopt reports it:
    /// twice the usable size).
    public func receiveBufferBytes(of stream: Int) -> Int { sockets[stream].receiveBufferBytes }

    /// Receives what is waiting, in rounds over every socket (so one stream cannot run far ahead of
    /// the others in what was read), at most `rounds` of them: calls `body(stream, n)` after each
    /// batch of `n` datagrams (read them from `batch` before returning); `body` returns false to stop.
    /// Returns how many datagrams arrived.
    public func drain(rounds: Int = 32, _ body: (Int, Int) -> Bool) throws(SystemError) -> Int {
        let received = try UDPSocket.drain(sockets, into: batch, rounds: rounds, body)
        if received > 0 { backoff.worked() }
        return received
    }

    /// Sends `bytes` to `destination` from the unicast socket; false when there is none or the
    /// socket did not take it (a request is retried by its owner's timer).
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress) -> Bool {
        guard let unicastStream else { return false }
        return (try? sockets[unicastStream].send(bytes, to: destination)) ?? false
    }

    /// Sleeps until a datagram arrives on any stream or `timeoutMilliseconds` pass.
    public func wait(timeoutMilliseconds: Int32) throws(SystemError) {
        _ = try loop.wait(timeoutMilliseconds: timeoutMilliseconds) { _, _ in }
    }

    /// Waits after a round of `drain` that received nothing, by `wait`: either one spinning step (the
    /// caller then runs its round again at once) or a sleep until a datagram arrives or
    /// `timeoutMilliseconds` pass.
    public func idle(timeoutMilliseconds: Int32) throws(SystemError) {
        if backoff.idle() { return }
        try wait(timeoutMilliseconds: timeoutMilliseconds)
        backoff.parked()
    }

    /// Closes every socket (leaving the groups).
    public func close() { sockets.forEach { $0.close() } }
}

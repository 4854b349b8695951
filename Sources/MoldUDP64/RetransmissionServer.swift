import Market
import Sockets
import Synchronization
import System

/// A MoldUDP64 retransmission request server: answers each 20-byte request (session, first sequence
/// number, count) from the `RetransmissionWindow` of that session with new packets sent back to the
/// requester's address. The exchange simulator has one session; a feed node one per channel. Runs on its own thread until `stop()`; requests that are malformed, for
/// another session or for messages no longer held are counted and not answered.
public final class RetransmissionServer: Sendable {
    /// The address requests are sent to.
    public let address: SocketAddress
    private let socket: UDPSocket
    private let windows: [RetransmissionWindow]
    private let payloadSize: Int
    /// Largest count honoured per request (larger ones are answered up to it).
    public let maxCount: Int
    private let requestCount = Atomic<Int>(0)
    private let badCount = Atomic<Int>(0)
    private let answeredMessages = Atomic<Int>(0)
    private let unanswered = Atomic<Int>(0)
    private let thread = StoppableThread()

    /// Binds `address` (port 0 picks a free one, see `address`) and starts answering on a thread
    /// named `qc-retransmit`.
    public convenience init(binding address: SocketAddress, window: RetransmissionWindow,
                            payloadSize: Int = MoldUDP64.defaultMaxPayloadSize, maxCount: Int = 10_000) throws(SystemError) {
        try self.init(binding: address, windows: [window], payloadSize: payloadSize, maxCount: maxCount)
    }

    /// Binds `address` and answers requests for any of `windows`' sessions (one window per session).
    public init(binding address: SocketAddress, windows: [RetransmissionWindow],
                payloadSize: Int = MoldUDP64.defaultMaxPayloadSize, maxCount: Int = 10_000) throws(SystemError) {
        socket = try UDPSocket.unicast(binding: address)
        self.address = socket.localAddress
        self.windows = windows
        self.payloadSize = payloadSize
        self.maxCount = maxCount
        thread.start(name: "qc-retransmit") { [self] in serve() }
    }

    /// Requests received, malformed requests, messages sent in answers, requests left unanswered.
    public var statistics: (requests: Int, malformed: Int, messages: Int, unanswered: Int) {
        (requestCount.load(ordering: .relaxed), badCount.load(ordering: .relaxed),
         answeredMessages.load(ordering: .relaxed), unanswered.load(ordering: .relaxed))
    }

    /// Stops answering, joins the thread and closes the socket.
    public func stop() {
        if thread.stop() { socket.close() }
    }

    private func serve() {
        let batch = DatagramBatch(capacity: 32, stride: 64)
        while !thread.isStopping {
            let n: Int
            do { n = try socket.receive(into: batch) } catch { break }
            if n == 0 {
                _ = UDPSocket.waitReadable([socket], timeoutMilliseconds: 50)
                continue
            }
            for i in 0..<n {
                requestCount.add(1, ordering: .relaxed)
                guard let datagram = batch.datagram(i), let request = try? MoldUDP64Request(datagram) else {
                    badCount.add(1, ordering: .relaxed)
                    continue
                }
                let requester = batch.source(i)
                var honoured = request
                honoured.count = UInt16(min(Int(request.count), maxCount))
                let window = windows.count == 1 ? windows[0] : windows.first { $0.session == request.session }
                let copied = window?.answer(honoured, payloadSize: payloadSize) { packet in
                    _ = try? socket.send(packet, to: requester)
                } ?? 0
                if copied == 0 { unanswered.add(1, ordering: .relaxed) }
                answeredMessages.add(copied, ordering: .relaxed)
            }
        }
    }
}

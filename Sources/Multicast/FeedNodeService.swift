import Glibc
import Market
import MoldUDP64
import Sockets
import Synchronization
import System

/// A feed node's service for gateways on one address: snapshots over TCP (`SnapshotProtocol`, taken
/// by the publisher thread) and MoldUDP64 retransmission requests over UDP on the same port number
/// (answered from each channel's window). Connections are served one at a time on the `qc-service`
/// thread, each bounded in time (a request must arrive within 2 s; the answer is written within 10 s).
public final class FeedNodeService: Sendable {
    /// The bound address (TCP and UDP).
    public let address: SocketAddress
    private let listener: TCPListener
    private let retransmission: RetransmissionServer
    private let publisher: FeedNodePublisher
    private let refused = Atomic<Int>(0)
    private let thread = StoppableThread()

    /// Binds `address` (port 0 picks one, the same for TCP and UDP) and starts serving.
    public init(binding address: SocketAddress, publisher: FeedNodePublisher) throws(SystemError) {
        // With port 0 the kernel picks a free TCP port, which a UDP socket may already hold: pick
        // again (a few times) rather than fail.
        var attempt = 0
        while true {
            let listener = try TCPListener(binding: address, backlog: 64)
            do {
                retransmission = try RetransmissionServer(binding: listener.localAddress, windows: publisher.windows,
                                                              payloadSize: publisher.payloadSize)
                self.listener = listener
                break
            } catch {
                listener.close()
                attempt += 1
                guard address.port == 0, error.errno == EADDRINUSE, attempt < 20 else { throw error }
            }
        }
        self.address = listener.localAddress
        self.publisher = publisher
        thread.start(name: "qc-service") { [self] in serve() }
    }

    /// Snapshot requests refused (malformed, unknown channel, too slow).
    public var refusedRequests: Int { refused.load(ordering: .relaxed) }

    /// Retransmission requests: received, answered (at least one message resent), refused as
    /// malformed, refused as out of the window (messages no longer or not yet held, or an unknown
    /// session), and messages resent. `answered` is derived (received − malformed − out of window),
    /// so a request being answered at that instant counts as answered.
    public var retransmissions: (requests: Int, answered: Int, malformed: Int, outOfWindow: Int, messages: Int) {
        let s = retransmission.statistics
        return (s.requests, max(0, s.requests - s.malformed - s.unanswered), s.malformed, s.unanswered, s.messages)
    }

    /// Samples for `/metrics`: `quotecast_service_*` (snapshot refusals, retransmission requests).
    public func samples() -> [MetricSample] {
        let r = retransmissions
        let refusedHelp = "Retransmission requests not answered, by reason"
        return [
            MetricSample("quotecast_service_snapshot_refused_total", .counter,
                         help: "Snapshot requests refused (malformed, unknown channel, too slow)", value: Double(refusedRequests)),
            MetricSample("quotecast_service_retransmit_requests_total", .counter, help: "Retransmission requests received",
                         value: Double(r.requests)),
            MetricSample("quotecast_service_retransmit_answered_total", .counter, help: "Retransmission requests answered",
                         value: Double(r.answered)),
            MetricSample("quotecast_service_retransmit_refused_total", .counter, help: refusedHelp,
                         labels: [("reason", "out_of_window")], value: Double(r.outOfWindow)),
            MetricSample("quotecast_service_retransmit_refused_total", .counter, help: refusedHelp,
                         labels: [("reason", "malformed")], value: Double(r.malformed)),
            MetricSample("quotecast_service_retransmitted_messages_total", .counter, help: "Messages resent in answers",
                         value: Double(r.messages)),
        ]
    }

    /// Stops both services and joins their threads; later calls do nothing.
    public func stop() {
        guard thread.stop() else { return }
        retransmission.stop()
        listener.close()
    }

    private func serve() {
        while !thread.isStopping {
            var p = pollfd(fd: listener.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) > 0 else { continue }
            guard let connection = try? listener.accept() else { usleep(10_000); continue }
            answer(connection)
            connection.close()
        }
    }

    private func answer(_ connection: TCPConnection) {
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        let deadline = Clock.monotonic() + 2_000_000_000
        var channels: [Int]?
        while channels == nil {
            guard Clock.monotonic() < deadline, request.count <= 261 else { refused.add(1, ordering: .relaxed); return }
            var p = pollfd(fd: connection.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) >= 0 else { return }
            switch chunk.withUnsafeMutableBytes({ connection.read(into: $0) }) {
            case .bytes(let n): request += chunk[0..<n]
            case .wouldBlock: continue
            case .endOfStream, .failed: refused.add(1, ordering: .relaxed); return
            }
            do {
                channels = try SnapshotProtocol.parseRequest(request, channelCount: publisher.publisher.configuration.channels)
            } catch {
                refused.add(1, ordering: .relaxed)
                return
            }
        }
        guard let channels, let bytes = publisher.snapshot(channels: channels) else { refused.add(1, ordering: .relaxed); return }
        try? connection.writeAll(bytes)
        connection.shutdownWrite()
    }
}

import CShim
import Codecs
import Glibc
import RateLimit
import Sockets
import Synchronization
import System

/// An HTTP/1.1 + WebSocket server on one epoll loop thread: accepts, parses requests within
/// limits, performs opening handshakes, parses client frames, answers pings and close frames,
/// pings idle clients, and writes queued shared frames with `writev` (EPOLLOUT only while output
/// is pending). Messages go to a `WebSocketServerDelegate`.
///
/// Threading: create it anywhere, call `run()` on the one thread that owns it; `stop()` may be
/// called from any thread. `send`/`close` are for the loop thread (that is, from delegate calls).
public final class WebSocketServer: @unchecked Sendable {
    // @unchecked: all mutable state is touched only by the thread inside `run()`; `stop()` only
    // sets an atomic and wakes the loop.

    /// The configuration it was started with.
    public let configuration: WebSocketServerConfiguration
    /// The address the listener is bound to (with the real port when port 0 was asked for).
    public let localAddress: SocketAddress
    /// Counters (read them from any thread).
    public let statistics = WebSocketServerStatistics()

    private let delegate: WebSocketServerDelegate
    private let listener: TCPListener
    private let loop: EventLoop
    private let stopRequested = Atomic<Bool>(false)
    private var connections: [ServerConnection?] = []
    private var freeSlots: [Int] = []
    private var generation: UInt64 = 0
    private var openCount = 0
    private let readBuffer: UnsafeMutableRawBufferPointer
    private let vectors: UnsafeMutablePointer<iovec>
    /// Frames per `writev`: the system's IOV_MAX (1 024 on Linux), so one loop turn's frames for a
    /// client go out in one call.
    private static let vectorCount = max(16, min(1024, sysconf(Int32(_SC_IOV_MAX))))
    private static let listenerToken: UInt64 = .max - 1
    private var acceptPausedUntil: UInt64 = 0
    private var listening = true
    private var hook: WebSocketServerLoopHook?
    /// New connections per source address (nil: no limit).
    private var newConnectionLimiter: AddressRateLimiter?
    private static let hookToken: UInt64 = .max - 2
    /// Connections with frames queued by `queue(_:to:)` and not yet flushed this loop turn.
    private var flushList: [ServerConnection] = []
    /// Builds the shared compressed form of messages (no context takeover; made on first use): up to
    /// `sharedLargeMessageBytes` with fixed Huffman codes, longer ones with zlib.
    private var sharedShortDeflater: FixedHuffmanDeflater?
    private var sharedLargeDeflater: MessageDeflater?
    /// Compressions run, for sampling their CPU time (`timedCompression`).
    private var compressionsRun = 0
    /// Inflates the messages of every client without context takeover (reset before each; made on first use).
    private var sharedInflater: MessageInflater?
    /// The loop's compression output buffer (compressed payloads are copied from it into frames).
    private var deflateScratch: [UInt8] = []
    /// The loop's inflated message, handed to the delegate (at most `maxMessageBytes` + 16 KiB).
    private var inflated: [UInt8] = []
    /// The window of the shared deflater, bits.
    private static let sharedWindowBits = 15
    private let log: @Sendable (WebSocketServerLogLevel, String) -> Void

    /// Binds the listener (so a bad address fails here, before any thread starts).
    /// `log` receives one `event=… key=value` line per notable event (rejected requests, protocol
    /// errors, accept failures), with its severity; it is called on the loop thread.
    public init(configuration: WebSocketServerConfiguration, delegate: WebSocketServerDelegate,
                log: @escaping @Sendable (WebSocketServerLogLevel, String) -> Void = { _, _ in }) throws(SystemError) {
        // zlib's parameters come from code, not from users (`--deflate` only picks the mode).
        if let problem = configuration.deflate.problem { preconditionFailure("WebSocketServerConfiguration.deflate: \(problem)") }
        self.configuration = configuration
        self.delegate = delegate
        self.log = log
        listener = try TCPListener(binding: configuration.listen)
        localAddress = listener.localAddress
        do {
            loop = try EventLoop()
            try loop.add(listener.descriptor, events: .readable, token: WebSocketServer.listenerToken)
        } catch {
            listener.close()
            throw error
        }
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        vectors = .allocate(capacity: WebSocketServer.vectorCount)
        newConnectionLimiter = configuration.newConnectionLimit.map { AddressRateLimiter($0) }
        ignoreBrokenPipes()
    }

    deinit {
        readBuffer.deallocate()
        vectors.deallocate()
    }

    /// Asks `run()` to close every client with 1001 and return (any thread).
    public func stop() {
        // Relaxed: the eventfd write/read pair that follows orders it for the loop thread.
        stopRequested.store(true, ordering: .relaxed)
        loop.wake()
    }

    /// Attaches work that runs on the loop thread once per loop turn (before the loop sleeps), and an
    /// optional descriptor (an eventfd) whose readability wakes the loop for it. Call before `run()`.
    public func attach(_ hook: WebSocketServerLoopHook, wakeDescriptor: Int32?) throws(SystemError) {
        self.hook = hook
        if let fd = wakeDescriptor {
            try loop.add(Descriptor(rawValue: fd), events: .readable, token: WebSocketServer.hookToken)
        }
    }

    /// Runs the loop until `stop()`; then sends close 1001 to every WebSocket client, waits up to
    /// `shutdownTimeout` for them to finish closing, drops what is left and closes the listener.
    ///
    /// One turn: the loop hook's work (the gateway reads its ring and queues frames), one write per
    /// client with output (`flushQueued`), then the sockets' events. When the hook had nothing to do,
    /// the loop waits by `configuration.wait` (`IdleBackoff`): a spinning step looks at the sockets
    /// without sleeping (`epoll_wait` with a zero timeout) and at the hook again; a park arms the hook's
    /// wakeup descriptor (`serverWillPark`) and sleeps in `epoll_wait`.
    public func run() {
        var lastSweep = qc_monotonic_ns()
        var stopDeadline: UInt64 = 0
        var backoff = IdleBackoff(hook == nil ? .blocking : configuration.wait)
        while true {
            var timeout: Int32 = 250
            var parked = false
            var catchUpFirst = false
            if let hook {
                let turn = hook.serverWillWait(self)
                flushQueued()
                if turn.didWork { backoff.worked() }
                if turn.sleepMilliseconds <= 0 {
                    timeout = 0
                } else if !turn.latencySensitive {
                    // Nobody waits on the hook's work: no spinning, sleep a round, catch up before sockets.
                    parked = hook.serverWillPark(self)
                    timeout = parked ? min(250, turn.sleepMilliseconds) : 0
                    catchUpFirst = parked
                } else if backoff.idle() {
                    timeout = 0
                } else if hook.serverWillPark(self) {
                    parked = true
                    timeout = min(250, turn.sleepMilliseconds)
                } else {
                    timeout = 0
                }
            } else {
                flushQueued()
            }
            do {
                try loop.wait(timeoutMilliseconds: timeout) { token, events in
                    if token == EventLoop.wakeToken || token == WebSocketServer.hookToken { return }
                    if catchUpFirst {
                        catchUpFirst = false
                        hook?.serverWillServeSockets(self)
                    }
                    if token == WebSocketServer.listenerToken { acceptAll(); return }
                    handle(token: token, events: events)
                }
            } catch {
                log(.error, "event=server_loop_error error=\"\(error)\"")
                break
            }
            if parked {
                hook?.serverDidWake(self)
                backoff.parked()
            }
            let now = qc_monotonic_ns()
            if stopRequested.load(ordering: .relaxed) && stopDeadline == 0 {
                stopDeadline = now + nanoseconds(configuration.shutdownTimeout)
                beginShutdown(now: now)
            }
            if stopDeadline != 0 && (openCount == 0 || now >= stopDeadline) { break }
            if now - lastSweep >= 250_000_000 {
                lastSweep = now
                sweep(now: now)
            }
        }
        for case let c? in connections { drop(c, code: .abnormal) }
        if listening { listener.close() }
    }

    // MARK: sending

    /// Queues `frame` for `client` and writes what the socket takes now. Returns false when the
    /// client is no longer open (closing or gone). Over `maxPendingBytes` the client is closed 1008.
    @discardableResult
    public func send(_ frame: WebSocketFrame, to client: WebSocketClient) -> Bool {
        guard let c = connection(client.id), c.phase == .open else { return false }
        enqueue(outgoing(frame, for: c), on: c)
        if c.outbound.pendingBytes > configuration.maxPendingBytes {
            statistics.slowClientCloses.increment()
            startClose(c, code: .policyViolation, reason: "client too slow: output queue over its limit", discardingQueuedOutput: true)
            return false
        }
        return true
    }

    /// Queues `frame` for `client` without writing it yet: the loop writes every connection queued
    /// this way once per turn, so many frames go out in one `writev`. Returns the client's output
    /// state after queueing, or nil when it is no longer open. The caller enforces its own limits
    /// (`maxPendingBytes` still closes the client with 1008 as a last resort).
    @inline(__always)
    public func queue(_ frame: WebSocketFrame, to client: WebSocketClient) -> OutputState? {
        guard let c = connection(client.id), c.phase == .open else { return nil }
        c.outbound.append(outgoing(frame, for: c))
        statistics.framesOut.increment()
        if !c.flushScheduled {
            c.flushScheduled = true
            flushList.append(c)
        }
        if c.outbound.pendingBytes > configuration.maxPendingBytes {
            statistics.slowClientCloses.increment()
            startClose(c, code: .policyViolation, reason: "client too slow: output queue over its limit", discardingQueuedOutput: true)
            return nil
        }
        return OutputState(pendingBytes: c.outbound.pendingBytes, backlogBytes: c.backlogBytes)
    }

    /// The output state of `client` (nil when it is not open).
    public func outputState(of client: WebSocketClient) -> OutputState? {
        guard let c = connection(client.id), c.phase == .open else { return nil }
        return OutputState(pendingBytes: c.outbound.pendingBytes, backlogBytes: c.backlogBytes)
    }

    /// Writes what is queued for `client` now, instead of at the end of the loop turn (when a client's
    /// queue grew large within one turn). Returns its output state after the write.
    @discardableResult
    public func flushNow(_ client: WebSocketClient) -> OutputState? {
        guard let c = connection(client.id), c.phase == .open else { return nil }
        flush(c)
        guard isLive(c), c.phase == .open else { return nil }
        return OutputState(pendingBytes: c.outbound.pendingBytes, backlogBytes: c.backlogBytes)
    }

    /// Writes every connection that `queue(_:to:)` queued output for (the loop does this each turn),
    /// except those whose socket was full at their last write: the loop watches those for EPOLLOUT
    /// and writes them when the kernel says there is room, instead of offering them their backlog
    /// again every turn to be refused (EAGAIN).
    public func flushQueued() {
        guard !flushList.isEmpty else { return }
        for c in flushList {
            c.flushScheduled = false
            if isLive(c) && !c.watchingWrites { flush(c) }
        }
        flushList.removeAll(keepingCapacity: true)
    }

    /// The frame to queue for `c`: `frame` itself, or its permessage-deflate form when `c` negotiated
    /// it and the message is worth compressing (for a client without context takeover, the shared
    /// form: built once, by the first such client that needs it).
    @inline(__always)
    private func outgoing(_ frame: WebSocketFrame, for c: ServerConnection) -> WebSocketFrame {
        if c.outgoingCompression == .none { return frame }
        return compressed(frame, for: c) ?? frame
    }

    private func compressed(_ frame: WebSocketFrame, for c: ServerConnection) -> WebSocketFrame? {
        let n = frame.payloadCount
        guard n >= configuration.deflate.minimumMessageBytes, frame.isCompressible else { return nil }
        var result: WebSocketFrame?
        switch c.outgoingCompression {
        case .none:
            return nil
        case .ownContext:
            guard let own = c.deflate?.deflater else { return nil }
            result = timedCompression(n) { WebSocketFrame.deflating(frame, with: own, scratch: &$0) }
        case .shared(let window):
            // Each shared message is compressed on its own, so its back references stay inside it: a
            // client promised a smaller window can take it when the message is no longer than that.
            guard window >= WebSocketServer.sharedWindowBits || n <= 1 << window else { return nil }
            if let built = frame.cachedDeflated {
                result = built
            } else if n <= configuration.deflate.sharedLargeMessageBytes {
                let short = sharedShortDeflaterOnDemand()
                result = timedCompression(n) { frame.deflated(scratch: &$0) { short.compress($0, into: &$1) } }
            } else if let shared = sharedLargeDeflaterOnDemand() {
                result = timedCompression(n) { frame.deflated(by: shared, scratch: &$0) }
            }
        }
        // Incompressible data (DEFLATE's stored blocks add a few bytes) goes plain.
        guard let result, result.bytes.count < frame.bytes.count else { return nil }
        statistics.compressedFramesOut.incrementAsSoleWriter()
        statistics.deflateBytesSaved.incrementAsSoleWriter(by: n - result.payloadCount)
        return result
    }

    /// Every this many compressions, one is timed (the first included) and counts for all of them.
    static let compressionTimingInterval = 16

    /// Runs one compression of an `n`-byte message and counts it (bytes in and out, thread CPU time).
    /// The thread CPU clock costs ~0.5 µs a read here, as much as a short message's compression, so
    /// one compression in `compressionTimingInterval` is timed and its time counted that many times.
    private func timedCompression(_ n: Int, _ compress: (inout [UInt8]) -> WebSocketFrame?) -> WebSocketFrame? {
        let frame: WebSocketFrame?
        if compressionsRun % Self.compressionTimingInterval == 0 {
            let started = qc_thread_cpu_ns()
            frame = compress(&deflateScratch)
            let elapsed = Int(truncatingIfNeeded: qc_thread_cpu_ns() &- started)
            statistics.deflateNanoseconds.incrementAsSoleWriter(by: elapsed * Self.compressionTimingInterval)
        } else {
            frame = compress(&deflateScratch)
        }
        compressionsRun &+= 1
        statistics.deflateMessages.incrementAsSoleWriter()
        statistics.deflateBytesIn.incrementAsSoleWriter(by: n)
        if let frame { statistics.deflateBytesOut.incrementAsSoleWriter(by: frame.payloadCount) }
        return frame
    }

    /// The shared encoder of messages up to `sharedLargeMessageBytes`.
    private func sharedShortDeflaterOnDemand() -> FixedHuffmanDeflater {
        if let made = sharedShortDeflater { return made }
        let made = FixedHuffmanDeflater(maximumMessageBytes: max(1, configuration.deflate.sharedLargeMessageBytes),
                                        memory: statistics.compressionMemory)
        sharedShortDeflater = made
        return made
    }

    /// The shared zlib deflater of longer messages.
    private func sharedLargeDeflaterOnDemand() -> MessageDeflater? {
        if sharedLargeDeflater == nil {
            sharedLargeDeflater = MessageDeflater(maxWindowBits: WebSocketServer.sharedWindowBits, contextTakeover: false,
                                                  memoryLevel: configuration.deflate.sharedLargeMemoryLevel,
                                                  level: configuration.deflate.level, memory: statistics.compressionMemory)
        }
        return sharedLargeDeflater
    }

    /// Bytes queued for `client` and not yet written.
    public func pendingBytes(of client: WebSocketClient) -> Int { connection(client.id)?.outbound.pendingBytes ?? 0 }

    /// Starts the close handshake with `client` (it gets a close frame with `code` and `reason`).
    /// With `discardingQueuedOutput` (a client closed for reading too slowly), what is queued for it
    /// and not yet begun is dropped, so the close frame goes out right after the frame in flight
    /// instead of behind a backlog the client will never read.
    public func close(_ client: WebSocketClient, code: WebSocketCloseCode = .normal, reason: String = "",
                      discardingQueuedOutput: Bool = false) {
        guard let c = connection(client.id), c.phase == .open else { return }
        startClose(c, code: code, reason: reason, discardingQueuedOutput: discardingQueuedOutput)
    }

    // MARK: connections

    private func connection(_ token: UInt64) -> ServerConnection? {
        let slot = Int(token & 0xFFFF_FFFF)
        guard slot < connections.count, let c = connections[slot], c.token == token else { return nil }
        return c
    }

    private func acceptAll() {
        let now = qc_monotonic_ns()
        for _ in 0..<64 {
            let accepted: TCPConnection?
            do {
                accepted = try listener.accept()
            } catch {
                // Out of descriptors or memory: stop accepting for 100 ms rather than spin.
                statistics.acceptErrors.increment()
                log(.warn, "event=accept_failed error=\"\(error)\"")
                loop.remove(listener.descriptor)
                listening = false
                acceptPausedUntil = now + 100_000_000
                return
            }
            guard let tcp = accepted else { return }
            statistics.accepted.increment()
            if let refusal = admissionRefusal(of: tcp.peer, now: now) {
                refuseAtAccept(tcp, refusal)
                continue
            }
            if openCount >= configuration.maxConnections {
                statistics.refusedOverLimit.increment()
                refuseAtAccept(tcp, .text(.serviceUnavailable, "too many connections"))
                continue
            }
            if let size = configuration.sendBufferBytes {
                try? tcp.descriptor.setOption(level: SOL_SOCKET, name: SO_SNDBUF, value: Int32(clamping: size))
            }
            if let limit = configuration.unsentLimitBytes {
                // TCP_NOTSENT_LOWAT (25): writes stop (EAGAIN) once this much is queued and not yet sent.
                try? tcp.descriptor.setOption(level: Int32(IPPROTO_TCP), name: 25, value: Int32(clamping: limit))
            }
            let slot: Int
            if let free = freeSlots.popLast() { slot = free } else { slot = connections.count; connections.append(nil) }
            generation &+= 1
            let token = UInt64(slot) | (generation & 0x7FFF_FFFF) << 32
            let c = ServerConnection(tcp: tcp, token: token, configuration: configuration, now: now)
            do {
                try loop.add(tcp.descriptor, events: [.readable, .peerClosed], token: token)
            } catch {
                tcp.close()
                freeSlots.append(slot)
                continue
            }
            connections[slot] = c
            openCount += 1
        }
    }

    /// The 429 for a new connection from `peer` over the per-address limit, nil when it may go on.
    private func admissionRefusal(of peer: SocketAddress, now: UInt64) -> HTTPResponse? {
        guard let limit = configuration.newConnectionLimit,
              let admission = newConnectionLimiter?.admit(SourceAddressKey(ipv4: peer.ipv4), now: now) else { return nil }
        statistics.trackedAddresses.store(newConnectionLimiter?.tracked ?? 0, ordering: .relaxed)
        let message: String
        switch admission {
        case .admitted:
            return nil
        case .limited:
            statistics.refusedOverRate.increment()
            message = "more than \(limit.burst) new connections at once or \(limit.ratePerSecond) per second from \(peer.host)"
        case .tableFull:
            statistics.refusedRateTableFull.increment()
            message = "too many addresses are connecting at once; try again shortly"
        }
        let body = #"{"type":"error","code":"rate_limited","message":"# + JSONString.quoted(message) + "}"
        let retryAfter = max(1, Int((1 / limit.ratePerSecond).rounded(.up)))
        return .json(.tooManyRequests, body, headers: [("Retry-After", String(retryAfter))])
    }

    /// Answers a connection that is not taken on, at once and without reading its request: what the
    /// client already sent is read and dropped first, so the close is a FIN after the answer rather
    /// than a reset that could discard it.
    private func refuseAtAccept(_ tcp: TCPConnection, _ response: HTTPResponse) {
        _ = tcp.read(into: readBuffer)
        let bytes = response.serialized(keepAlive: false)
        bytes.withUnsafeBytes { raw in
            var v = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress!), iov_len: raw.count)
            _ = tcp.write(vectors: &v, count: 1)
        }
        tcp.shutdownWrite()
        tcp.close()
    }

    private func handle(token: UInt64, events: IOEvents) {
        guard let c = connection(token) else { return }
        if events.contains(.writable) { flush(c) }
        guard connection(token) != nil else { return }
        if !events.isDisjoint(with: [.readable, .peerClosed, .hangup, .error]) { read(c) }
    }

    private func read(_ c: ServerConnection) {
        switch c.tcp.read(into: readBuffer) {
        case .wouldBlock:
            return
        case .endOfStream:
            drop(c, code: .abnormal)
            return
        case .failed:
            drop(c, code: .abnormal)
            return
        case .bytes(let n):
            statistics.bytesIn.increment(by: n)
            c.lastReceived = qc_monotonic_ns()
            if c.phase == .draining { return }
            let fresh = UnsafeRawBufferPointer(rebasing: readBuffer[0..<n])
            if c.input.isEmpty {
                let used = process(c, fresh)
                if used < n, isLive(c) { c.input.append(contentsOf: fresh[used...]) }
            } else {
                c.input.append(contentsOf: fresh)
                let used = c.input.withUnsafeBytes { process(c, $0) }
                if isLive(c) { c.input.removeFirst(min(used, c.input.count)) }
            }
        }
    }

    private func isLive(_ c: ServerConnection) -> Bool { connection(c.token) === c }

    /// Consumes what it can of `bytes` (the connection's unconsumed input) and returns how much.
    private func process(_ c: ServerConnection, _ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while isLive(c) {
            switch c.phase {
            case .draining:
                return bytes.count
            case .http:
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                switch c.httpParser.parse(rest) {
                case .insufficientData:
                    return offset
                case .failure(let status, let why):
                    statistics.badRequests.increment()
                    log(.info, "event=http_rejected status=\(status.rawValue) peer=\(c.tcp.peer) reason=\"\(why)\"")
                    respond(c, .text(status, why), keepAlive: false, includeBody: true)
                    return bytes.count
                case .request(let request, let headLength, let bodyLength):
                    guard rest.count >= headLength + bodyLength else { return offset }
                    offset += headLength + bodyLength
                    c.httpParser.reset()
                    handleRequest(c, request)
                }
            case .open, .closing:
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                var used = 0
                let event = c.frameParser.next(rest, consumed: &used)
                offset += used
                switch event {
                case .insufficientData:
                    return offset
                case .message(let isText):
                    statistics.messagesIn.increment()
                    if c.phase == .open, let client = c.client {
                        c.frameParser.message.withUnsafeBytes { delegate.webSocket(client, didReceive: $0, isText: isText, server: self) }
                    }
                case .compressedMessage(let isText):
                    guard c.phase == .open, let client = c.client else { continue }
                    switch inflate(c, isText: isText) {
                    case .inflated(let count):
                        statistics.messagesIn.increment()
                        inflated.withUnsafeBytes {
                            delegate.webSocket(client, didReceive: UnsafeRawBufferPointer(rebasing: $0[0..<count]), isText: isText, server: self)
                        }
                    case .failure(let code, let why):
                        statistics.countInflateFailure(code)
                        log(.info, "event=websocket_inflate_failed code=\(code) peer=\(c.tcp.peer) reason=\"\(why)\"")
                        enqueue(.close(code, reason: why), on: c)
                        finishClose(c, code: code)
                        return bytes.count
                    }
                case .ping:
                    if c.phase == .open { enqueue(WebSocketFrame.make(.pong, c.frameParser.control), on: c) }
                case .pong:
                    c.pingSentAt = 0
                case .close(let code):
                    if c.phase == .open {
                        // Echo the client's code (RFC 6455 §5.5.1), then end the connection.
                        enqueue(.close(code), on: c)
                    }
                    finishClose(c, code: code ?? .noStatus)
                    return bytes.count
                case .failure(let code, let why):
                    statistics.protocolErrors.increment()
                    log(.info, "event=websocket_protocol_error code=\(code) peer=\(c.tcp.peer) reason=\"\(why)\"")
                    if c.phase == .open { enqueue(.close(code, reason: why), on: c) }
                    finishClose(c, code: code)
                    return bytes.count
                }
            }
        }
        return bytes.count
    }

    private func handleRequest(_ c: ServerConnection, _ parsed: HTTPRequest) {
        statistics.requests.increment()
        var request = parsed
        request.peer = c.tcp.peer
        let route = delegate.route(request, server: self)
        switch route {
        case .respond(let response):
            respond(c, response, keepAlive: request.keepAlive, includeBody: request.method != "HEAD")
        case .upgrade, .upgradeAccepting:
            var acceptance = WebSocketAcceptance()
            if case .upgradeAccepting(let accepted) = route { acceptance = accepted }
            // permessage-deflate: the first acceptable offer, if its zlib streams can be had.
            let deflate = DeflateNegotiation.negotiate(request, configuration: configuration.deflate).flatMap {
                ConnectionDeflate($0, configuration: configuration.deflate, memory: statistics.compressionMemory)
            }
            let response = WebSocketHandshake.respond(to: request, allowedOrigins: configuration.allowedOrigins,
                                                      deflate: deflate?.agreement)
            guard response.status == .switchingProtocols else {
                respond(c, response, keepAlive: request.keepAlive && response.status != .badRequest, includeBody: true)
                return
            }
            let answer = WebSocketHandshake.echoing(subprotocol: acceptance.subprotocol, offeredIn: request, response)
            enqueue(rawFrame(answer.serialized(keepAlive: true)), on: c)
            c.deflate = deflate
            c.frameParser.perMessageDeflate = deflate != nil
            statistics.countClients(in: deflate?.mode ?? .uncompressed, 1)
            c.phase = .open
            let client = WebSocketClient(id: c.token, path: request.path, query: request.query, peer: c.tcp.peer)
            c.client = client
            statistics.upgrades.increment()
            delegate.webSocketDidOpen(client, acceptance: acceptance, server: self)
        }
    }

    /// Inflates the compressed message in `c`'s parser into `inflated`, with the connection's own
    /// inflater (context takeover) or the shared one, limited to `maxMessageBytes` inflated.
    private func inflate(_ c: ServerConnection, isText: Bool) -> InflateOutcome {
        let inflater: MessageInflater
        if let own = c.deflate?.inflater {
            inflater = own
        } else if let shared = sharedInflater {
            inflater = shared
        } else if let made = MessageInflater(windowBits: 15, contextTakeover: false, memory: statistics.compressionMemory) {
            sharedInflater = made
            inflater = made
        } else {
            return .failure(.internalError, reason: "out of memory for an inflater")
        }
        let outcome = c.frameParser.message.withUnsafeBytes {
            inflater.inflate($0, into: &inflated, limit: configuration.maxMessageBytes, text: isText)
        }
        statistics.inflateBytesIn.increment(by: c.frameParser.message.count)
        if case .inflated(let count) = outcome { statistics.inflateBytesOut.increment(by: count) }
        return outcome
    }

    /// Raw bytes (an HTTP response) carried through the same queue as frames.
    private func rawFrame(_ bytes: [UInt8]) -> WebSocketFrame {
        bytes.withUnsafeBytes { WebSocketFrame(raw: $0) }
    }

    private func respond(_ c: ServerConnection, _ response: HTTPResponse, keepAlive: Bool, includeBody: Bool) {
        enqueue(rawFrame(response.serialized(keepAlive: keepAlive, includeBody: includeBody)), on: c)
        if keepAlive {
            c.deadline = qc_monotonic_ns() + nanoseconds(configuration.handshakeTimeout)
        } else {
            c.phase = .draining
            c.deadline = qc_monotonic_ns() + nanoseconds(configuration.closeTimeout)
            shutdownWhenFlushed(c)
        }
    }

    /// Sends a close frame and waits (in `.closing`) for the client's: `closeTimeout` from when the
    /// frame is written, at most `closeSendTimeout` for it to be written. `discardingQueuedOutput`
    /// drops the queued output not yet begun first (see `close(_:code:reason:discardingQueuedOutput:)`).
    private func startClose(_ c: ServerConnection, code: WebSocketCloseCode, reason: String, discardingQueuedOutput: Bool = false) {
        if discardingQueuedOutput {
            statistics.closeDiscardedBytes.increment(by: c.outbound.removeUnstarted())
            c.backlogBytes = c.outbound.pendingBytes
        }
        c.phase = .closing
        c.closeFrameQueued = true
        c.deadline = qc_monotonic_ns() + nanoseconds(configuration.closeSendTimeout)
        enqueue(.close(code, reason: reason), on: c)
        reportClose(c, code: code)
    }

    /// Both close frames are exchanged (or the connection failed): flush, shut down, drain.
    private func finishClose(_ c: ServerConnection, code: WebSocketCloseCode) {
        reportClose(c, code: code)
        c.phase = .draining
        c.deadline = qc_monotonic_ns() + nanoseconds(configuration.closeTimeout)
        shutdownWhenFlushed(c)
    }

    private func shutdownWhenFlushed(_ c: ServerConnection) {
        // A dropped connection's descriptor number may already belong to another socket.
        guard isLive(c) else { return }
        if c.outbound.isEmpty { c.tcp.shutdownWrite() } else { c.shutdownAfterFlush = true }
    }

    private func reportClose(_ c: ServerConnection, code: WebSocketCloseCode) {
        guard let client = c.client, !c.closeReported else { return }
        c.closeReported = true
        delegate.webSocketDidClose(client, code: code, server: self)
    }

    /// Queues `frame` for `c` (after everything queued, or `ahead`: right after the frame in flight)
    /// and writes at once if nothing else was waiting.
    private func enqueue(_ frame: WebSocketFrame, on c: ServerConnection, ahead: Bool = false) {
        guard isLive(c) else { return }
        let wasEmpty = c.outbound.isEmpty
        if ahead { c.outbound.insertNext(frame) } else { c.outbound.append(frame) }
        statistics.framesOut.increment()
        if wasEmpty { flush(c) }
    }

    private func flush(_ c: ServerConnection) {
        guard isLive(c) else { return }
        let before = c.outbound.pendingBytes
        var writeCalls = 0
        let result = c.outbound.flush(to: c.tcp, vectors: vectors, vectorCount: WebSocketServer.vectorCount,
                                      writeCalls: &writeCalls)
        statistics.writeCalls.increment(by: writeCalls)
        statistics.bytesOut.increment(by: before - c.outbound.pendingBytes)
        c.backlogBytes = c.outbound.pendingBytes
        switch result {
        case .done:
            if c.closeFrameQueued && c.phase == .closing {
                // The close frame is in the socket: the client has the close timeout to answer it.
                c.closeFrameQueued = false
                c.deadline = qc_monotonic_ns() + nanoseconds(configuration.closeTimeout)
            }
            if c.watchingWrites {
                c.watchingWrites = false
                try? loop.modify(c.tcp.descriptor, events: [.readable, .peerClosed], token: c.token)
            }
            if c.shutdownAfterFlush {
                c.shutdownAfterFlush = false
                c.tcp.shutdownWrite()
            }
        case .pending:
            if !c.watchingWrites {
                c.watchingWrites = true
                try? loop.modify(c.tcp.descriptor, events: [.readable, .peerClosed, .writable], token: c.token)
            }
        case .failed:
            drop(c, code: .abnormal)
        }
    }

    private func drop(_ c: ServerConnection, code: WebSocketCloseCode) {
        guard isLive(c) else { return }
        reportClose(c, code: code)
        if c.client != nil { statistics.countClients(in: c.deflate?.mode ?? .uncompressed, -1) }
        connections[Int(c.token & 0xFFFF_FFFF)] = nil
        freeSlots.append(Int(c.token & 0xFFFF_FFFF))
        openCount -= 1
        c.outbound.removeAll()
        c.tcp.close()
    }

    // MARK: timers

    private func sweep(now: UInt64) {
        if !listening && now >= acceptPausedUntil && !stopRequested.load(ordering: .relaxed) {
            if (try? loop.add(listener.descriptor, events: .readable, token: WebSocketServer.listenerToken)) != nil { listening = true }
        }
        let pingInterval = nanoseconds(configuration.pingInterval)
        let pingTimeout = nanoseconds(configuration.pingTimeout)
        for case let c? in connections {
            switch c.phase {
            case .http:
                if now >= c.deadline {
                    statistics.handshakeTimeouts.increment()
                    drop(c, code: .abnormal)
                }
            case .open:
                if c.pingSentAt != 0 {
                    if now - c.pingSentAt >= pingTimeout {
                        statistics.pingTimeouts.increment()
                        startClose(c, code: .goingAway, reason: "ping timeout")
                    }
                } else if now - c.lastReceived >= pingInterval {
                    c.pingSentAt = now
                    // Ahead of the backlog: a client still reading a large one would otherwise reach
                    // the ping only after `pingTimeout` and be closed although it reads (seen once
                    // under load: "1001 ping timeout" on a subscriber catching up).
                    enqueue(WebSocketFrame.make(.ping, []), on: c, ahead: true)
                }
            case .closing, .draining:
                if now >= c.deadline {
                    if c.phase == .closing && c.closeFrameQueued { statistics.closeFramesUnsent.increment() }
                    drop(c, code: .abnormal)
                }
            }
        }
    }

    private func beginShutdown(now: UInt64) {
        if listening {
            loop.remove(listener.descriptor)
            listener.close()
            listening = false
        } else {
            listener.close()
        }
        acceptPausedUntil = .max
        for case let c? in connections {
            switch c.phase {
            case .http: drop(c, code: .abnormal)
            case .open: startClose(c, code: .goingAway, reason: "server shutting down")
            case .closing, .draining: break
            }
        }
    }

    private func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }
}

/// A client's output as the server sees it, for the application's backpressure decisions.
public struct OutputState: Sendable {
    /// Bytes queued and not yet written (including what was queued since the last write).
    public var pendingBytes: Int
    /// Bytes the socket did not take at the last write attempt: the part of the queue that is there
    /// because the client reads too slowly (0 for a client that keeps up).
    public var backlogBytes: Int
}

/// Work an application runs on the server's loop thread every loop turn (a gateway reading its
/// ticks): `serverWillWait` does the work and says whether there is more; when there is not, the loop
/// waits by its `WaitStrategy` and, to sleep, asks `serverWillPark` to arm the hook's wakeup descriptor.
public protocol WebSocketServerLoopHook: AnyObject {
    /// Does this turn's work (queue frames with `queue(_:to:)`; the loop flushes them right after)
    /// and says what it found.
    func serverWillWait(_ server: WebSocketServer) -> LoopHookTurn
    /// The loop is about to sleep (its wait strategy parks): arm the wakeup descriptor given to
    /// `attach` so new work wakes the loop. Returns false when work arrived meanwhile (the loop then
    /// does not sleep and runs another turn at once).
    func serverWillPark(_ server: WebSocketServer) -> Bool
    /// The loop woke up from a sleep that `serverWillPark` armed (events, the hook's descriptor, or
    /// the timeout).
    func serverDidWake(_ server: WebSocketServer)
    /// The loop woke from a sleep with sockets to serve and is about to serve them: a hook that slept
    /// without arming its wakeup descriptor (an idle round, `LoopHookTurn.latencySensitive` false)
    /// catches up here, so a request sees state as fresh as if it had been woken at every publish.
    func serverWillServeSockets(_ server: WebSocketServer)
}

extension WebSocketServerLoopHook {
    /// Nothing to catch up on by default.
    public func serverWillServeSockets(_ server: WebSocketServer) {}
}

/// What one turn of a loop hook found.
public struct LoopHookTurn: Sendable, Equatable {
    /// The turn did work (ticks read, frames queued): ends the loop's idle period.
    public var didWork: Bool
    /// How long the loop may sleep once its wait strategy parks, ms; 0 when more work is ready at once.
    public var sleepMilliseconds: Int32
    /// Whether anyone waits on the hook's work (a gateway with stream clients): the loop then spins
    /// and yields by its wait strategy before it parks. When false it parks at once, for
    /// `sleepMilliseconds`, and calls `serverWillServeSockets` before serving any socket.
    public var latencySensitive: Bool

    /// A turn's outcome.
    public init(didWork: Bool, sleepMilliseconds: Int32, latencySensitive: Bool = true) {
        self.didWork = didWork
        self.sleepMilliseconds = sleepMilliseconds
        self.latencySensitive = latencySensitive
    }
}

/// How much a server log line matters.
public enum WebSocketServerLogLevel: Sendable {
    /// A client's fault, counted and answered (bad request, protocol error).
    case info
    /// A resource problem the server works around (accept failing with EMFILE).
    case warn
    /// The loop cannot go on.
    case error
}

/// Server counters, readable from any thread (relaxed: they are statistics, not synchronization).
public final class WebSocketServerStatistics: Sendable {
    /// Connections accepted.
    public let accepted = Atomic<Int>(0)
    /// Connections refused with 503 (over `maxConnections`).
    public let refusedOverLimit = Atomic<Int>(0)
    /// Connections refused with 429: their address is over `newConnectionLimit`.
    public let refusedOverRate = Atomic<Int>(0)
    /// Connections refused with 429: their address is new and the limiter's table has no room.
    public let refusedRateTableFull = Atomic<Int>(0)
    /// Addresses the new-connection limiter tracks.
    public let trackedAddresses = Atomic<Int>(0)
    /// accept() failures (EMFILE…).
    public let acceptErrors = Atomic<Int>(0)
    /// HTTP requests routed.
    public let requests = Atomic<Int>(0)
    /// Requests rejected (400, 413, 414, 431, 501).
    public let badRequests = Atomic<Int>(0)
    /// Connections dropped for not sending a request head in time.
    public let handshakeTimeouts = Atomic<Int>(0)
    /// Successful WebSocket upgrades.
    public let upgrades = Atomic<Int>(0)
    /// Messages received.
    public let messagesIn = Atomic<Int>(0)
    /// Frames (and HTTP responses) queued.
    public let framesOut = Atomic<Int>(0)
    /// `writev` calls made to write clients' output (`framesOut` / this = frames per system call:
    /// the fan-out's batching, one write per client per loop turn).
    public let writeCalls = Atomic<Int>(0)
    /// Bytes read.
    public let bytesIn = Atomic<Int>(0)
    /// Bytes written.
    public let bytesOut = Atomic<Int>(0)
    /// Connections failed for breaking RFC 6455.
    public let protocolErrors = Atomic<Int>(0)
    /// Clients closed 1001 for not answering a ping.
    public let pingTimeouts = Atomic<Int>(0)
    /// Clients closed 1008 for an output queue over its limit.
    public let slowClientCloses = Atomic<Int>(0)
    /// Output dropped unsent when a client was closed for reading too slowly (the close frame goes
    /// next instead of after it), bytes.
    public let closeDiscardedBytes = Atomic<Int>(0)
    /// Connections dropped with their close frame never written: the client read nothing for the
    /// close-send timeout.
    public let closeFramesUnsent = Atomic<Int>(0)

    /// Open WebSocket clients without permessage-deflate (gauge).
    public let clientsUncompressed = Atomic<Int>(0)
    /// Open clients sent the shared compressed frames (no server context takeover; gauge).
    public let clientsSharedDeflate = Atomic<Int>(0)
    /// Open clients with a deflater of their own (server context takeover, `--deflate full`; gauge).
    public let clientsOwnContextDeflate = Atomic<Int>(0)
    /// Compressions run: a shared compressed frame counts once, however many clients it goes to.
    /// (This and the five compression counters below are written only by the loop thread:
    /// `incrementAsSoleWriter`.)
    public let deflateMessages = Atomic<Int>(0)
    /// Payload bytes those compressions took in.
    public let deflateBytesIn = Atomic<Int>(0)
    /// Compressed payload bytes they produced.
    public let deflateBytesOut = Atomic<Int>(0)
    /// Thread CPU time spent in them, nanoseconds (CLOCK_THREAD_CPUTIME_ID around each).
    public let deflateNanoseconds = Atomic<Int>(0)
    /// Frames queued compressed (each client's copy counts).
    public let compressedFramesOut = Atomic<Int>(0)
    /// Payload bytes those frames did not send: plain minus compressed, each client's copy.
    public let deflateBytesSaved = Atomic<Int>(0)
    /// Compressed payload bytes received and inflated.
    public let inflateBytesIn = Atomic<Int>(0)
    /// What they inflated to.
    public let inflateBytesOut = Atomic<Int>(0)
    /// Connections failed for a compressed message that was not valid DEFLATE, or text that inflated to
    /// invalid UTF-8 (1007).
    public let inflateInvalid = Atomic<Int>(0)
    /// Connections failed for a compressed message that inflated past `maxMessageBytes` (1009).
    public let inflateOverLimit = Atomic<Int>(0)
    /// Connections failed because zlib could not allocate memory to inflate (1011).
    public let inflateOutOfMemory = Atomic<Int>(0)
    /// zlib's memory for every connection's streams and the shared ones (gauge, bytes).
    public let compressionMemory = CompressionMemory()

    init() {}

    /// Counts a connection failed for a compressed message, by the close code it got.
    func countInflateFailure(_ code: WebSocketCloseCode) {
        switch code {
        case .messageTooBig: inflateOverLimit.increment()
        case .internalError: inflateOutOfMemory.increment()
        default: inflateInvalid.increment()
        }
    }

    /// Adds `delta` to the gauge of open clients in `mode`.
    func countClients(in mode: DeflateClientMode, _ delta: Int) {
        switch mode {
        case .uncompressed: clientsUncompressed.increment(by: delta)
        case .shared: clientsSharedDeflate.increment(by: delta)
        case .ownContext: clientsOwnContextDeflate.increment(by: delta)
        }
    }
}

extension Atomic where Value == Int {
    /// Adds `n` (relaxed: a statistic, not synchronization).
    @inline(__always)
    func increment(by n: Int = 1) { wrappingAdd(n, ordering: .relaxed) }

    /// Adds `n` to a counter that only one thread ever writes (the loop thread's compression
    /// counters): a plain load and store instead of a locked read-modify-write (~20 cycles on x86,
    /// paid on every shared delivery before); readers on other threads still see whole values.
    @inline(__always)
    func incrementAsSoleWriter(by n: Int = 1) { store(load(ordering: .relaxed) &+ n, ordering: .relaxed) }
}

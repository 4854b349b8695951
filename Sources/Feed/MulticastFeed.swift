import Fanout
import ITCH
import Market
import MoldUDP64
import OrderBook
import Sockets
import System

extension FeedLoop {
    /// The multicast source: joins line A (and B), asks the retransmission server for gaps, and applies
    /// what the `LineArbiter` releases, in order, to the books and the ring. Returns the messages
    /// applied. Runs until `stop` is raised or the message limit is reached.
    ///
    /// One round: drain every socket with `recvmmsg` batches (alternating, so one line cannot run far
    /// ahead of the other in what we have read), publish the batch's ticks, then run the timers
    /// (confirm gaps, request, retry, stale, silence) and sleep in `epoll_wait` only when nothing arrived.
    func runMulticast(_ c: MoldUDP64FeedConfiguration, writer: inout RingWriter, stop: StopFlag, counters: FeedCounters,
                      engine: BookEngine) throws -> Int {
        let report: (FeedEvent) -> Void = { event in onEvent?(event) }
        let s = c.sequencing
        var sockets: [UDPSocket] = []
        var lineOfSocket: [SessionLine] = []
        defer { sockets.forEach { $0.close() } }
        let a = try UDPSocket.multicastReceiver(group: c.lineA, interface: s.interface, receiveBuffer: s.receiveBuffer)
        sockets.append(a); lineOfSocket.append(.a)
        report(.joined(line: "a", group: c.lineA.description, receiveBuffer: a.receiveBufferBytes, requested: s.receiveBuffer))
        if let groupB = c.lineB {
            let b = try UDPSocket.multicastReceiver(group: groupB, interface: s.interface, receiveBuffer: s.receiveBuffer)
            sockets.append(b); lineOfSocket.append(.b)
            report(.joined(line: "b", group: groupB.description, receiveBuffer: b.receiveBufferBytes, requested: s.receiveBuffer))
        }
        var requester: UDPSocket?
        if c.retransmit != nil {
            let r = try UDPSocket.unicast(binding: SocketAddress(host: s.interface, port: 0)!, receiveBuffer: s.receiveBuffer)
            sockets.append(r); lineOfSocket.append(.retransmission)
            requester = r
        }

        // One epoll set over every socket: the thread sleeps there only when nothing arrived.
        let loop = try EventLoop(batch: 8)
        for (i, socket) in sockets.enumerated() { try loop.add(socket.descriptor, events: .readable, token: UInt64(i)) }

        var arbiter = LineArbiter(configuration: s, lines: c.lineB == nil ? 1 : 2, retransmission: c.retransmit != nil)
        defer { arbiter.deallocate() }
        for (i, s) in sockets.enumerated() { arbiter.setReceiveBuffer(line: lineOfSocket[i], bytes: s.receiveBufferBytes) }
        let batch = DatagramBatch(capacity: 256, stride: s.maxDatagram)
        let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
        defer { out.deallocate() }
        // The status each instrument had when it was marked stale, restored if the gap is filled later.
        var statusBeforeStale = [TradingStatus](repeating: .unknown, count: BookEngine.locateCount)
        var applied = 0, ticks = 0, refusals = 0, total = 0
        let limit = messageLimit ?? Int.max
        let requestBytes = UnsafeMutableRawPointer.allocate(byteCount: MoldUDP64.requestLength, alignment: 8)
        defer { requestBytes.deallocate() }

        /// Applies messages `skip...` of a packet through the books, fetching ahead within the packet.
        func apply(_ packet: MoldUDP64Packet, skip: Int, receiveTime: UInt64) {
            var pipeline = ApplyPipeline(engine: engine, messages: packet.messages(droppingFirst: skip))
            while total < limit, let (_, n) = pipeline.applyNext(receiveTime: receiveTime, into: out) {
                for i in 0..<n {
                    if writer.write(out[i]) { ticks &+= 1 } else { refusals &+= 1 }
                }
                applied &+= 1
                total &+= 1
            }
        }
        func staleChange(_ stale: Bool) -> Int {
            let receiveTime = Clock.realtime()
            var changed = 0
            var tick = Tick()
            for locate in engine.locates {
                guard engine.snapshot(locate: locate, into: &tick) else { continue }
                if stale {
                    statusBeforeStale[Int(locate)] = tick.status
                    changed += 1
                    if engine.overrideStatus(.stale, locate: locate, receiveTime: receiveTime, into: out) == 1 {
                        if writer.write(out[0]) { ticks &+= 1 } else { refusals &+= 1 }
                    }
                } else if tick.status == .stale {
                    changed += 1
                    if engine.overrideStatus(statusBeforeStale[Int(locate)], locate: locate, receiveTime: receiveTime,
                                             into: out) == 1 {
                        if writer.write(out[0]) { ticks &+= 1 } else { refusals &+= 1 }
                    }
                }
            }
            return changed
        }
        func sendRequest(_ request: MoldUDP64Request) {
            guard let requester, let server = c.retransmit else { return }
            request.encode(into: requestBytes)
            _ = try? requester.send(UnsafeRawBufferPointer(start: requestBytes, count: MoldUDP64.requestLength), to: server)
        }
        /// Acts on what the arbiter handed back, in order.
        func takeSteps() {
            while let step = arbiter.nextStep() {
                switch step {
                case .messages(let packet, let skip, let receiveTime): apply(packet, skip: skip, receiveTime: receiveTime)
                case .request(let request): sendRequest(request)
                case .stale(let from):
                    let marked = staleChange(true)
                    counters.setStaleInstruments(marked)
                    report(.stale(from: from, instruments: marked))
                case .current:
                    let cleared = staleChange(false)
                    counters.setStaleInstruments(0)
                    report(.unstale(instruments: cleared))
                case .event(let event): report(.session(event))
                }
            }
        }
        func publish() {
            writer.flush()
            counters.add(messages: applied, ticks: ticks, refusals: refusals)
            applied = 0
            ticks = 0
            refusals = 0
        }

        var lastHealth = FeedHealth.starting
        while !stop.isRaised && total < limit {
            // Drain: at most 32 rounds over the sockets before the timers run again.
            let received = try UDPSocket.drain(sockets, into: batch) { i, n in
                let now = Clock.monotonic()
                let receiveTime = Clock.realtime()
                let line = lineOfSocket[i]
                for k in 0..<n {
                    if let datagram = batch.datagram(k) {
                        arbiter.receive(datagram, line: line, now: now, receiveTime: receiveTime)
                        takeSteps()
                    } else {
                        arbiter.receiveOversize(line: line)
                    }
                }
                publish()
                return total < limit
            }
            arbiter.service(now: Clock.monotonic())
            takeSteps()
            publish()
            counters.publish(arbiter.tally)
            let health = arbiter.health
            if health != lastHealth {
                counters.setHealth(health)
                lastHealth = health
            }
            if received == 0 {
                _ = try loop.wait(timeoutMilliseconds: arbiter.hasHole ? 2 : 50) { _, _ in }
            }
        }
        publish()
        counters.publish(arbiter.tally)
        return total
    }
}

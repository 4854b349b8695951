import Fanout
import ITCH
import Market
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
    func runMulticast(_ c: MulticastFeedConfiguration, writer: inout RingWriter, stop: StopFlag, counters: FeedCounters,
                      engine: BookEngine) throws -> Int {
        let report: (FeedEvent) -> Void = { event in onEvent?(event) }
        var sockets: [UDPSocket] = []
        var lineOfSocket: [Int] = []
        defer { sockets.forEach { $0.close() } }
        let a = try UDPSocket.multicastReceiver(group: c.lineA, interface: c.interface, receiveBuffer: c.receiveBuffer)
        sockets.append(a); lineOfSocket.append(LineArbiter.lineA)
        report(.joined(line: "a", group: c.lineA.description, receiveBuffer: a.receiveBufferBytes, requested: c.receiveBuffer))
        if let groupB = c.lineB {
            let b = try UDPSocket.multicastReceiver(group: groupB, interface: c.interface, receiveBuffer: c.receiveBuffer)
            sockets.append(b); lineOfSocket.append(LineArbiter.lineB)
            report(.joined(line: "b", group: groupB.description, receiveBuffer: b.receiveBufferBytes, requested: c.receiveBuffer))
        }
        var requester: UDPSocket?
        if c.retransmit != nil {
            let r = try UDPSocket.unicast(binding: SocketAddress(host: c.interface, port: 0)!, receiveBuffer: c.receiveBuffer)
            sockets.append(r); lineOfSocket.append(LineArbiter.lineRetransmit)
            requester = r
        }

        // One epoll set over every socket: the thread sleeps there only when nothing arrived.
        let loop = try EventLoop(batch: 8)
        for (i, socket) in sockets.enumerated() { try loop.add(socket.descriptor, events: .readable, token: UInt64(i)) }

        var arbiter = LineArbiter(configuration: c)
        defer { arbiter.deallocate() }
        for (i, s) in sockets.enumerated() { arbiter.setReceiveBuffer(line: lineOfSocket[i], bytes: s.receiveBufferBytes) }
        let batch = DatagramBatch(capacity: 256, stride: c.maxDatagram)
        let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
        defer { out.deallocate() }
        // The status each instrument had when it was marked stale, restored if the gap is filled later.
        var statusBeforeStale = [TradingStatus](repeating: .unknown, count: BookEngine.locateCount)
        var applied = 0, ticks = 0, refusals = 0, total = 0
        let limit = messageLimit ?? Int.max
        let requestBytes = UnsafeMutableRawPointer.allocate(byteCount: MoldUDP64.requestLength, alignment: 8)
        defer { requestBytes.deallocate() }

        func apply(_ base: UnsafeRawPointer, _ length: Int, _ receiveTime: UInt64, _ next: UnsafeRawPointer?, _ nextLength: Int) {
            guard total < limit else { return }
            let n = next.map { engine.apply(base, length: length, receiveTime: receiveTime, into: out, prefetching: $0, nextLength: nextLength) }
                ?? engine.apply(base, length: length, receiveTime: receiveTime, into: out)
            for i in 0..<n {
                if writer.write(out[i]) { ticks &+= 1 } else { refusals &+= 1 }
            }
            applied &+= 1
            total &+= 1
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
                        arbiter.receive(datagram, line: line, now: now, receiveTime: receiveTime, events: report,
                                        apply: apply, staleChange: staleChange)
                    } else {
                        arbiter.receiveOversize(line: line)
                    }
                }
                publish()
                return total < limit
            }
            arbiter.service(now: Clock.monotonic(), events: report, send: sendRequest, staleChange: staleChange)
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

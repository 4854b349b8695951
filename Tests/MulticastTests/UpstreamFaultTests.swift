import Fanout
import Feed
import Foundation
import Glibc
import Market
import Multicast
import Sockets
import Synchronization
import System
import Testing

/// A gateway node's receiver behind faults it cannot prevent: datagrams reordered and duplicated
/// on the way (a relay between the feed node's groups and the ones the receiver joins), and a gap
/// the feed node's service cannot fill in time (resynchronized from a snapshot, reason `.gap`).
/// Every wait is on the thing awaited, under a generous deadline; the faults' randomness is seeded.
@Suite(.serialized) struct UpstreamFaultTests {
    /// A feed node publisher and service on `publishGroup` (one channel), an upstream receiver on
    /// `receiveGroup` writing into a ring, and a reader recording what that ring carries.
    final class Hop: @unchecked Sendable {
        // @unchecked: the threads use only the rings, the counters, the stop flags and the Mutexes;
        // `writer`, `seqs`, `sent` and `threads` belong to the test's thread.
        let feedRing: BroadcastRing
        let gatewayRing: BroadcastRing
        let service: FeedNodeService
        let counters = UpstreamCounters(channels: 1)
        let events = Mutex<[UpstreamEvent]>([])
        let receiverError = Mutex<String?>(nil)
        /// (symbol, seq, is a snapshot) for every tick the gateway's ring carried, in order.
        let received = Mutex<[(symbol: Symbol, seq: UInt64, snapshot: Bool)]>([])
        private let publisherStop = StopFlag(), receiverStop = StopFlag()
        private var threads: [NamedThread] = []
        private var writer: RingWriter
        let symbols = (0..<6).map { Symbol("FLT\($0)")! }
        private var seqs = [UInt64](repeating: 0, count: 6)
        private(set) var sent = 0

        init(publishGroup: SocketAddress, receiveGroup: SocketAddress, windowMessages: Int = 1_000_000,
             configure: (inout UpstreamConfiguration) -> Void = { _ in }) throws {
            feedRing = try BroadcastRing(RingConfiguration(capacity: 8192, readers: [.gating]))
            gatewayRing = try BroadcastRing(RingConfiguration(capacity: 8192, readers: [.gating]))
            var output = FeedNodeOutput(group: publishGroup, interface: "127.0.0.1", ttl: 0)
            output.windowMessages = windowMessages
            let publisher = try FeedNodePublisher(channels: 1, output: output, sessionBase: "FLT\(publishGroup.port % 100)")
            service = try FeedNodeService(binding: SocketAddress(host: "127.0.0.1", port: 0)!, publisher: publisher)
            var upstream = UpstreamConfiguration(group: receiveGroup, channels: 1, service: service.address)
            configure(&upstream)
            let configuration = upstream
            writer = feedRing.makeWriter()
            threads.append(NamedThread(name: "test-publish") { [self] in
                var reader = self.feedRing.makeReader(0)
                publisher.run(reader: &reader, stop: self.publisherStop)
            })
            threads.append(NamedThread(name: "test-upstream") { [self] in
                var writer = self.gatewayRing.makeWriter()
                let receiver = UpstreamReceiver(configuration: configuration) { event in self.events.withLock { $0.append(event) } }
                do {
                    try receiver.run(writer: &writer, stop: self.receiverStop, counters: self.counters)
                } catch {
                    self.receiverError.withLock { $0 = "\(error)" }
                }
            })
            threads.append(NamedThread(name: "test-read") { [self] in
                var reader = self.gatewayRing.makeReader(0)
                var tick = Tick()
                reading: while true {
                    switch reader.next(into: &tick, timeoutMilliseconds: 100) {
                    case .tick: self.received.withLock { $0.append((tick.symbol, tick.seq, tick.flags & Tick.Flags.snapshot != 0)) }
                    case .closed: break reading
                    case .empty, .lapped: continue
                    }
                }
            })
        }

        /// Stops every thread (receiver, then the gateway ring's reader, then the publisher).
        func stop() {
            receiverStop.raise()
            threads[1].join()
            gatewayRing.close()
            threads[2].join()
            feedRing.close()
            publisherStop.raise()
            threads[0].join()
            service.stop()
        }

        /// Waits (60 s at most) for the receiver's first snapshot.
        func waitForSync() -> Bool {
            let deadline = Date().addingTimeInterval(60)
            while !counters.isSynced && Date() < deadline { usleep(5_000) }
            return counters.isSynced
        }

        /// Publishes `count` quotes, the symbols in turn, each symbol's seq counting up from 1.
        func publish(_ count: Int) {
            for _ in 0..<count {
                let i = sent % symbols.count
                seqs[i] += 1
                var t = Tick()
                t.kind = .quote
                t.symbol = symbols[i]
                t.locate = UInt16(i + 1)
                t.seq = seqs[i]
                t.bidCount = 1
                t.askCount = 1
                t.bids[0] = PriceLevel(price: 1_000_000, size: UInt32(sent % 1000 + 1))
                t.asks[0] = PriceLevel(price: 1_000_100, size: 100)
                while !writer.write(t) { usleep(1000) }
                sent += 1
            }
            writer.flush()
        }

        /// The live (not snapshot) ticks received.
        var live: [(symbol: Symbol, seq: UInt64, snapshot: Bool)] { received.withLock { $0.filter { !$0.snapshot } } }

        func resynced(_ reason: UpstreamResyncReason) -> Bool {
            events.withLock { $0.contains { if case .synced(_, _, _, _, reason) = $0 { true } else { false } } }
        }
    }

    /// Relays datagrams from one group to another, duplicating and reordering (swapping a datagram
    /// with the next one) with seeded probabilities; a held datagram goes out when nothing follows
    /// within 20 ms. Counts what it did.
    final class Relay: @unchecked Sendable {
        // @unchecked: `duplicated`/`swapped` are written by the relay thread and read after `stop()` joined it.
        private let stopFlag = StopFlag()
        private var thread: NamedThread?
        private(set) var duplicated = 0, swapped = 0, relayed = 0

        init(from: SocketAddress, to: SocketAddress, duplicate: Double, reorder: Double, seed: UInt64) throws {
            let input = try UDPSocket.multicastReceiver(group: from, interface: "127.0.0.1")
            let output = try UDPSocket.multicastSender(interface: "127.0.0.1", ttl: 0)
            thread = NamedThread(name: "test-relay") { [self] in
                var random = SplitMix64(seed: seed)
                let batch = DatagramBatch(capacity: 64, stride: 2048)
                var held: [UInt8]? = nil
                func send(_ bytes: [UInt8]) { _ = try? bytes.withUnsafeBytes { try output.send($0, to: to) } }
                while !stopFlag.isRaised {
                    guard UDPSocket.waitReadable([input], timeoutMilliseconds: 20), let n = try? input.receive(into: batch), n > 0 else {
                        if let h = held { send(h); held = nil }
                        continue
                    }
                    for i in 0..<n {
                        guard let d = batch.datagram(i) else { continue }
                        let bytes = Array(d)
                        relayed += 1
                        if let h = held {
                            send(bytes)
                            send(h)
                            held = nil
                        } else if Double.random(in: 0..<1, using: &random) < reorder {
                            held = bytes
                            swapped += 1
                        } else {
                            send(bytes)
                        }
                        if Double.random(in: 0..<1, using: &random) < duplicate {
                            send(bytes)
                            duplicated += 1
                        }
                    }
                }
                if let h = held { send(h) }
                input.close()
                output.close()
            }
        }

        func stop() {
            stopFlag.raise()
            thread?.join()
        }
    }

    @Test func reorderedAndDuplicatedDatagramsAreAppliedOnceInOrder() throws {
        let publishGroup = try #require(SocketAddress(host: "239.201.11.1", port: 27_296))
        let receiveGroup = try #require(SocketAddress(host: "239.201.12.1", port: 27_297))
        let seed: UInt64 = 0x2E0_D0B
        let relay = try Relay(from: publishGroup, to: receiveGroup, duplicate: 0.05, reorder: 0.05, seed: seed)
        let hop = try Hop(publishGroup: publishGroup, receiveGroup: receiveGroup)
        defer { hop.stop(); relay.stop() }
        try #require(hop.waitForSync(), "the receiver took its first snapshot")
        // In bursts, so that packets fill and there are many to reorder.
        let total = 30_000
        let deadline = Date().addingTimeInterval(120)
        while hop.sent < total {
            hop.publish(500)
            usleep(2000)
        }
        while hop.live.count < total, Date() < deadline { usleep(10_000) }
        relay.stop()
        #expect(hop.receiverError.withLock { $0 } == nil)
        let live = hop.live
        #expect(live.count == total, "seed \(seed): \(live.count) of \(total) applied")
        for symbol in hop.symbols {
            let seqs = live.filter { $0.symbol == symbol }.map(\.seq)
            #expect(seqs == Array(1...UInt64(seqs.count)), "seed \(seed): \(symbol) out of order or repeated")
        }
        let tally = hop.counters.receiver
        #expect(relay.duplicated > 0 && relay.swapped > 0, "seed \(seed): the relay did nothing")
        #expect(tally.duplicatePackets >= relay.duplicated, "seed \(seed): \(tally.duplicatePackets) duplicates counted, \(relay.duplicated) sent")
        #expect(hop.counters.resyncs(.gap) == 0 && tally.unrecoveredGaps == 0, "seed \(seed): reordering is no loss")
    }

    @Test func aGapNotFilledInTimeIsResynchronizedFromASnapshot() throws {
        let group = try #require(SocketAddress(host: "239.201.10.1", port: 27_295))
        // The service's window holds one message: every retransmission request is for something
        // forgotten, so a dropped datagram's gap outlives the recovery timeout.
        let hop = try Hop(publishGroup: group, receiveGroup: group, windowMessages: 1) {
            $0.sequencing.recoveryTimeoutNanoseconds = 200_000_000
            $0.dropRate = 0.05
            $0.dropSeed = 11
        }
        defer { hop.stop() }
        try #require(hop.waitForSync(), "the receiver took its first snapshot")
        // Quotes (a bounded number) until a gap has been resynchronized and live ticks follow it.
        let deadline = Date().addingTimeInterval(60)
        var afterResync = 0
        while hop.sent < 200_000, Date() < deadline, afterResync < 2_000 {
            hop.publish(100)
            if hop.resynced(.gap) { afterResync += 100 }
            usleep(2000)
        }
        let liveAfter = Date().addingTimeInterval(60)
        while hop.live.count < 100, Date() < liveAfter { usleep(10_000) }
        #expect(hop.receiverError.withLock { $0 } == nil, "the receiver failed: \(hop.receiverError.withLock { $0 } ?? "")")
        let seen = hop.events.withLock { $0 }
        let resyncs = seen.compactMap { event -> UpstreamResyncReason? in
            if case .resync(_, let reason, _) = event { reason } else { nil }
        }
        #expect(resyncs.contains(.gap), "no resync for a gap in \(hop.sent) quotes: \(seen.prefix(20))")
        #expect(hop.resynced(.gap), "no snapshot taken after the gap")
        #expect(hop.counters.resyncs(.gap) >= 1)
        #expect(hop.counters.receiver.unrecoveredGaps >= 1, "the gap was not filled: the window forgot it")
        // The resync's snapshot restates every symbol; live ticks never go back.
        let ticks = hop.received.withLock { $0 }
        #expect(Set(ticks.filter(\.snapshot).map(\.symbol)) == Set(hop.symbols))
        var last: [Symbol: UInt64] = [:]
        for t in ticks {
            if !t.snapshot, let previous = last[t.symbol] { #expect(t.seq > previous, "\(t.symbol): seq \(t.seq) after \(previous)") }
            last[t.symbol] = max(last[t.symbol] ?? 0, t.seq)
        }
    }
}

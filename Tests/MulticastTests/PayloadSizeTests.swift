import Fanout
import Feed
import Foundation
import Glibc
import ITCH
import Market
import Multicast
import Sockets
import Synchronization
import System
import Testing

/// A feed node sending jumbo packets (`payloadSize` 8900) to a gateway node's receiver on loopback
/// multicast: with `maxDatagram` large enough every tick arrives, in packets far larger than a
/// 1500-byte MTU allows; with the default 2048 the cut datagrams (and the retransmission answers,
/// as large) are counted and reported once each.
@Suite(.serialized) struct PayloadSizeTests {
    /// What a hop run saw.
    struct Outcome {
        var received: [Tick] = []
        var bytesPerPacket = 0.0
        var malformed = 0
        var oversizeEvents: [UpstreamEvent] = []
        /// Why the receiver stopped, if it failed (it must not: the hop under test is its run).
        var receiverError: String?
    }

    /// Publishes `ticks` in one burst (so packets fill up) through a feed node of `payloadSize` to a
    /// receiver accepting `maxDatagram`, and collects what its ring delivers until `done` (given the
    /// ticks received and the oversize events so far) holds, or `timeout` seconds pass.
    func hop(_ ticks: [Tick], payloadSize: Int, maxDatagram: Int, port: UInt16, timeout: Double = 60,
             until done: @escaping (_ received: Int, _ oversizeEvents: Int) -> Bool) throws -> Outcome {
        let channels = 2
        let group = try #require(SocketAddress(host: "239.201.9.\(port % 200 + 1)", port: port))
        let feedRing = try BroadcastRing(RingConfiguration(capacity: 8192, readers: [.gating]))
        var output = FeedNodeOutput(group: group, interface: "127.0.0.1", ttl: 0)
        output.payloadSize = payloadSize
        output.windowBytes = 4 << 20
        let publisher = try FeedNodePublisher(channels: channels, output: output, sessionBase: "PAY\(port % 100)")
        let service = try FeedNodeService(binding: SocketAddress(host: "127.0.0.1", port: 0)!, publisher: publisher)
        let publisherStop = StopFlag()
        let publisherThread = NamedThread(name: "test-publish") {
            var reader = feedRing.makeReader(0)
            publisher.run(reader: &reader, stop: publisherStop)
        }
        var upstream = UpstreamConfiguration(group: group, channels: channels, service: service.address)
        upstream.sequencing.maxDatagram = maxDatagram
        upstream.sequencing.receiveBuffer = 8 << 20
        let configuration = upstream
        let counters = UpstreamCounters(channels: channels)
        let events = Mutex<[UpstreamEvent]>([])
        let gatewayRing = try BroadcastRing(RingConfiguration(capacity: 8192, readers: [.gating]))
        let receiverStop = StopFlag()
        let receiverError = Mutex<String?>(nil)
        let receiverThread = NamedThread(name: "test-upstream") {
            var writer = gatewayRing.makeWriter()
            let receiver = UpstreamReceiver(configuration: configuration) { event in
                if case .oversize = event { events.withLock { $0.append(event) } }
            }
            do {
                try receiver.run(writer: &writer, stop: receiverStop, counters: counters)
            } catch {
                receiverError.withLock { $0 = "\(error)" }
            }
        }
        let received = Mutex<[Tick]>([])
        let readerThread = NamedThread(name: "test-read") {
            var reader = gatewayRing.makeReader(0)
            var tick = Tick()
            // Until the ring closes (a quiet spell on a loaded machine is not the end).
            reading: while true {
                switch reader.next(into: &tick, timeoutMilliseconds: 100) {
                case .tick: if tick.flags & Tick.Flags.snapshot == 0 { received.withLock { $0.append(tick) } }
                case .closed: break reading
                case .empty, .lapped: continue
                }
            }
        }
        defer {
            receiverStop.raise()
            receiverThread.join()
            gatewayRing.close()
            readerThread.join()
            feedRing.close()
            publisherStop.raise()
            publisherThread.join()
            service.stop()
        }
        let syncDeadline = Date().addingTimeInterval(60)
        while !counters.isSynced && Date() < syncDeadline { usleep(5_000) }
        #expect(counters.isSynced, "the receiver took its first snapshot")

        // One burst, published only when complete: the publisher finds it all waiting and fills packets.
        var writer = feedRing.makeWriter()
        for tick in ticks { _ = writer.write(tick) }
        writer.flush()
        let deadline = Date().addingTimeInterval(timeout)
        while !done(received.withLock { $0.count }, events.withLock { $0.count }) && Date() < deadline { usleep(10_000) }

        var outcome = Outcome()
        outcome.received = received.withLock { $0 }
        let sent = publisher.counters.channels
        let packets = sent.map { $0.packets.load(ordering: .relaxed) }.reduce(0, +)
        let bytes = sent.map { $0.bytes.load(ordering: .relaxed) }.reduce(0, +)
        outcome.bytesPerPacket = Double(bytes) / Double(max(packets, 1))
        outcome.malformed = counters.receiver.malformedOversize
        outcome.oversizeEvents = events.withLock { $0 }
        outcome.receiverError = receiverError.withLock { $0 }
        return outcome
    }

    /// 3000 quotes of 12 symbols, each symbol's seq counting up from 1.
    func burst() -> [Tick] {
        let symbols = (0..<12).map { Symbol("PAY\($0)")! }
        return (0..<3000).map { i in
            var t = Tick()
            t.kind = .quote
            t.symbol = symbols[i % 12]
            t.locate = UInt16(i % 12 + 1)
            t.seq = UInt64(i / 12 + 1)
            t.bidCount = 3
            t.askCount = 3
            for level in 0..<3 {
                t.bids[level] = PriceLevel(price: UInt32(1_000_000 - level * 100), size: UInt32(i + level))
                t.asks[level] = PriceLevel(price: UInt32(1_000_100 + level * 100), size: UInt32(i + 2 * level))
            }
            return t
        }
    }

    @Test func jumboPacketsCarryEveryTickWhenTheGatewayAcceptsThem() throws {
        let ticks = burst()
        let outcome = try hop(ticks, payloadSize: 8_900, maxDatagram: 9_000, port: 27_291) { received, _ in received >= ticks.count }
        #expect(outcome.receiverError == nil, "the receiver failed: \(outcome.receiverError ?? "")")
        #expect(outcome.received.count == ticks.count)
        #expect(outcome.malformed == 0 && outcome.oversizeEvents.isEmpty)
        // On average larger than the default gateway accepts (and than a 1500-byte MTU carries): the
        // burst really went out in jumbo datagrams (the flush bound and heartbeats send smaller ones).
        #expect(outcome.bytesPerPacket > 2_048, "\(outcome.bytesPerPacket) bytes per packet")
        // In order per symbol, with the prices and sizes sent.
        var bySymbol: [Symbol: [Tick]] = [:]
        for t in outcome.received { bySymbol[t.symbol, default: []].append(t) }
        for (symbol, list) in bySymbol {
            #expect(list.map(\.seq) == Array(1...UInt64(list.count)), "\(symbol)")
        }
        let sent = Dictionary(ticks.map { ("\($0.symbol)/\($0.seq)", $0) }, uniquingKeysWith: { a, _ in a })
        for t in outcome.received {
            let original = try #require(sent["\(t.symbol)/\(t.seq)"])
            #expect(t.bids[1] == original.bids[1] && t.asks[2] == original.asks[2])
        }
    }

    @Test func packetsLargerThanTheGatewayAcceptsAreCountedAndReported() throws {
        // Until three oversize reports: the cut packets' gap shows at the next heartbeat (after 1 s
        // idle), and its retransmission answers, as large as the packets, are cut too.
        let outcome = try hop(burst(), payloadSize: 8_900, maxDatagram: 2_048, port: 27_292) { _, oversize in oversize >= 3 }
        #expect(outcome.receiverError == nil, "the receiver failed: \(outcome.receiverError ?? "")")
        #expect(outcome.malformed > 0)
        let channels = outcome.oversizeEvents.compactMap { event -> Int?? in
            guard case .oversize(let channel, let limit) = event else { return nil }
            #expect(limit == 2_048)
            return channel
        }
        #expect(channels.contains(0) && channels.contains(1), "each channel reported once: \(channels)")
        #expect(channels.contains(nil), "and the cut retransmission answers: \(channels)")
        #expect(channels.count == 3, "once each: \(channels)")
        #expect(outcome.received.count < 3000, "cut packets' ticks cannot have been applied")
    }
}

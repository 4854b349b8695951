import ITCH
import Market
import MoldUDP64
import Multicast
import OrderBook
import Simulator
import Testing

@Suite struct ChannelPublisherTests {
    /// Collects every packet the publisher sends, per channel.
    final class Wire {
        var packets: [[[UInt8]]]
        init(channels: Int) { packets = Array(repeating: [], count: channels) }
        func take(_ publisher: ChannelPublisher) {
            publisher.withOutbox { list in
                for p in list { packets[p.channel].append(Array(p.bytes)) }
            }
            publisher.clearOutbox()
        }
    }

    /// 100 000 simulated messages' ticks over 3 channels: each channel's packets are in sequence from
    /// 1 with no hole, within the payload bound, in their own session; every tick comes back, in
    /// order, on its symbol's channel, after that symbol's directory entry.
    @Test func ticksComeBackInOrderOnTheirChannels() throws {
        let channels = 3
        var configuration = ChannelPublisherConfiguration(channels: channels)
        configuration.outboxCapacity = 8
        let publisher = ChannelPublisher(configuration: configuration, sessionBase: "QC123456")
        #expect(publisher.sessions.map(\.description) == ["QC12345600", "QC12345601", "QC12345602"])
        let wire = Wire(channels: channels)
        var simulator = OrderFlowSimulator(SimulatorConfiguration(seed: 3))
        let engine = BookEngine()
        let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
        defer { out.deallocate() }
        var sent: [[Tick]] = Array(repeating: [], count: channels)
        var now: UInt64 = 1
        simulator.generate(messages: 100_000) { raw in
            let n = engine.apply(raw.baseAddress!, length: raw.count, receiveTime: 5, into: out)
            for i in 0..<n {
                if publisher.outboxIsFull { wire.take(publisher) }
                let (channel, _) = publisher.publish(out[i], now: now)
                #expect(channel == ChannelMap.channel(of: out[i].symbol, channels: channels))
                sent[channel].append(out[i])
            }
            now += 1_000
            publisher.flushDue(now: now, heartbeats: false)
            wire.take(publisher)
        }
        while !publisher.flushAll(now: now) { wire.take(publisher) }
        wire.take(publisher)
        #expect(sent.allSatisfy { $0.count > 1_000 })

        for channel in 0..<channels {
            var expectedSequence: UInt64 = 1
            var received: [Tick] = []
            var announced = Set<Symbol>()
            for bytes in wire.packets[channel] {
                #expect(bytes.count <= configuration.maxPayload)
                try bytes.withUnsafeBytes { raw in
                    let packet = try MoldUDP64Packet(raw)
                    #expect(packet.session == publisher.sessions[channel])
                    #expect(packet.sequenceNumber == expectedSequence)
                    let end = packet.forEachBlock { block in
                        expectedSequence += 1
                        switch NormalizedMessage.decode(block.message.base, length: block.message.length) {
                        case .success(.directory(let symbol, _)): announced.insert(symbol)
                        case .success(.tick(let tick)):
                            #expect(announced.contains(tick.symbol), "directory entry before the first tick")
                            received.append(tick)
                        case .success(.dayState): Issue.record("a day state on a channel")
                        case .failure(let error): Issue.record("undecodable block: \(error)")
                        }
                    }
                    #expect(end.isComplete)
                }
            }
            #expect(publisher.nextSequenceNumber(channel: channel) == expectedSequence)
            #expect(received.count == sent[channel].count)
            #expect(zip(received, sent[channel]).allSatisfy { $0.hasSameContent(as: $1) })
        }
    }

    @Test func aLoneTickWaitsAtMostTheFlushBoundAndIdleChannelsSendHeartbeats() throws {
        let publisher = ChannelPublisher(configuration: ChannelPublisherConfiguration(channels: 2), sessionBase: "T")
        let wire = Wire(channels: 2)
        var tick = Tick()
        tick.symbol = Symbol("AAPL")!
        tick.locate = 1
        tick.seq = 1
        let channel = publisher.channel(of: tick)
        publisher.publish(tick, now: 10_000)
        publisher.flushDue(now: 10_000 + 99_999, heartbeats: false)
        #expect(publisher.outboxCount == 0, "not yet due")
        publisher.flushDue(now: 10_000 + 100_000, heartbeats: false)
        #expect(publisher.outboxCount == 1)
        wire.take(publisher)
        #expect(wire.packets[channel].count == 1)

        // One second later both channels are idle: each gets a heartbeat with its next sequence number.
        publisher.flushDue(now: 10_000 + 100_000 + 1_000_000_000)
        wire.take(publisher)
        for c in 0..<2 {
            let last = try #require(wire.packets[c].last)
            try last.withUnsafeBytes { raw in
                let packet = try MoldUDP64Packet(raw)
                #expect(packet.kind == .heartbeat)
                #expect(packet.sequenceNumber == publisher.nextSequenceNumber(channel: c))
            }
        }
        #expect(publisher.nextSequenceNumber(channel: channel) == 3, "a directory entry and the tick")
        #expect(publisher.endSession(now: 2_000_000_000))
        wire.take(publisher)
        for c in 0..<2 {
            let kind = try wire.packets[c].last!.withUnsafeBytes { try MoldUDP64Packet($0).kind }
            #expect(kind == .endOfSession)
        }
    }
}

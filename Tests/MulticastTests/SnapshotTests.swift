import ITCH
import Market
import MoldUDP64
import Multicast
import OrderBook
import Simulator
import Testing

@Suite struct SnapshotTests {
    /// A gateway that joins mid-stream: it takes a snapshot at some point, then applies only the
    /// channel messages from the snapshot's sequence number on, and ends with exactly the feed
    /// node's state of every instrument.
    @Test(arguments: [1, 3])
    func snapshotPlusLaterMessagesEqualsTheFeedNodesState(channels: Int) throws {
        let publisher = ChannelPublisher(configuration: ChannelPublisherConfiguration(channels: channels), sessionBase: "SNAP")
        var feedStates = InstrumentStates()
        var packets: [[[UInt8]]] = Array(repeating: [], count: channels)
        func take() {
            publisher.withOutbox { list in for p in list { packets[p.channel].append(Array(p.bytes)) } }
            publisher.clearOutbox()
        }
        var simulator = OrderFlowSimulator(SimulatorConfiguration(seed: 9))
        let engine = BookEngine()
        let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
        defer { out.deallocate() }
        var snapshotBytes: [UInt8] = []
        var atSnapshot = InstrumentStates()
        var message = 0
        var now: UInt64 = 1
        simulator.generate(messages: 60_000) { raw in
            message += 1
            let n = engine.apply(raw.baseAddress!, length: raw.count, receiveTime: UInt64(message), into: out)
            for i in 0..<n {
                if publisher.outboxIsFull { take() }
                publisher.publish(out[i], now: now)
                feedStates.apply(out[i])
            }
            now += 500
            publisher.flushDue(now: now, heartbeats: false)
            take()
            if message == 30_000 {
                // Taken on the publisher's thread between two ticks, with packets still pending.
                atSnapshot = feedStates
                for channel in 0..<channels {
                    let entries = feedStates.entries.filter { ChannelMap.channel(of: $0.state.symbol, channels: channels) == channel }
                    SnapshotProtocol.encode(channel: channel, session: publisher.sessions[channel],
                                            nextSequence: publisher.nextSequenceNumber(channel: channel), entries: entries, to: &snapshotBytes)
                }
            }
        }
        while !publisher.flushAll(now: now) { take() }
        take()

        // Arriving in pieces: nothing is decoded from a partial channel.
        let half = try SnapshotProtocol.decode(Array(snapshotBytes.prefix(snapshotBytes.count / 2)))
        #expect(half.snapshots.count < channels || channels == 1 && half.snapshots.isEmpty)
        let (snapshots, consumed) = try SnapshotProtocol.decode(snapshotBytes)
        #expect(consumed == snapshotBytes.count && snapshots.count == channels)

        var gatewayStates = InstrumentStates()
        for snapshot in snapshots {
            #expect(snapshot.session == publisher.sessions[snapshot.channel])
            // As a gateway node writes them into its ring: reference data, day state, merged quote.
            for entry in snapshot.entries {
                if let instrument = entry.instrument { gatewayStates.apply(instrument) }
                gatewayStates.apply(entry.dayState)
                gatewayStates.apply(entry.state)
                // Right after the snapshot: the feed node's day statistics at that moment.
                let then = try #require(atSnapshot.entry(locate: entry.state.locate))
                #expect(gatewayStates.entry(locate: entry.state.locate)?.statistics == then.statistics)
            }
            for bytes in packets[snapshot.channel] {
                try bytes.withUnsafeBytes { raw in
                    let packet = try MoldUDP64Packet(raw)
                    var sequence = packet.sequenceNumber
                    _ = packet.forEachBlock { block in
                        defer { sequence += 1 }
                        guard sequence >= snapshot.nextSequence,
                              case .success(.tick(let tick)) = NormalizedMessage.decode(block.message.base, length: block.message.length)
                        else { return }
                        gatewayStates.apply(tick)
                    }
                }
            }
        }
        #expect(gatewayStates.states.count == feedStates.states.count)
        var traded = 0
        for entry in feedStates.entries {
            let state = entry.state
            let mine = try #require(gatewayStates.entry(locate: state.locate))
            #expect(mine.state.hasSameContent(as: state), "\(state.symbol)")
            // The day statistics and reference data arrive whole too (a late-joining gateway
            // serves the same open/high/low/value/trades as one that saw every trade).
            #expect(mine.statistics == entry.statistics, "\(state.symbol)")
            #expect(mine.instrument?.instrument == entry.instrument?.instrument, "\(state.symbol)")
            #expect(entry.instrument != nil)
            if entry.statistics.tradeCount > 0 { traded += 1 }
        }
        #expect(traded > 0)
    }

    @Test func requestsAreCheckedAndMalformedAnswersRefused() throws {
        let request = SnapshotProtocol.request(channels: [0, 2])
        #expect(try SnapshotProtocol.parseRequest(Array(request.prefix(4)), channelCount: 3) == nil)
        #expect(try SnapshotProtocol.parseRequest(request, channelCount: 3) == [0, 2])
        #expect(throws: SnapshotProtocolError.unknownChannel) { try SnapshotProtocol.parseRequest(request, channelCount: 2) }
        #expect(throws: SnapshotProtocolError.badMagic) { try SnapshotProtocol.parseRequest(Array("GET / HTTP/1.1".utf8), channelCount: 2) }
        #expect(throws: SnapshotProtocolError.trailingBytes) { try SnapshotProtocol.parseRequest(request + [0], channelCount: 3) }
        #expect(throws: SnapshotProtocolError.self) { try SnapshotProtocol.decode([0, 3, 0x51, 0, 0]) }
    }

    /// Found by the `snapshot` fuzz target (docs/fuzzing.md): an answer whose directory entry names
    /// one instrument and whose quote another was accepted. Such an answer is corrupt; it is refused,
    /// not served. The entry's reserved byte, sent 0, is ignored when read.
    @Test func aDirectoryEntryThatDisagreesWithItsQuoteIsRefused() throws {
        var quote = Tick()
        quote.kind = .quote
        quote.symbol = Symbol("AAPL")!
        quote.locate = 7
        quote.seq = 42
        var answer: [UInt8] = []
        SnapshotProtocol.encode(channel: 0, session: MoldUDP64Session("Q1234567")!, nextSequence: 17, entries: [InstrumentSnapshot(state: quote)], to: &answer)
        let directory = SnapshotProtocol.Header.length + 2 + 2   // past the header frame and the entry's length
        #expect(Array(answer[directory..<directory + 4]) == [0x52, 0, 0, 7])
        #expect(try SnapshotProtocol.decode(answer).snapshots[0].entries.map(\.state.locate) == [7])

        var reserved = answer
        reserved[directory + 1] = 0x08
        #expect(try SnapshotProtocol.decode(reserved).snapshots[0].entries.map(\.state.locate) == [7])

        var otherLocate = answer
        otherLocate[directory + 3] = 8
        #expect(throws: SnapshotProtocolError.self) { try SnapshotProtocol.decode(otherLocate) }
        var otherSymbol = answer
        otherSymbol.replaceSubrange(directory + 4..<directory + 12, with: Array("MSFT    ".utf8))
        #expect(throws: SnapshotProtocolError.self) { try SnapshotProtocol.decode(otherSymbol) }
    }

    /// Found by the `snapshot` fuzz target: an entry's day state (`D`) repeats its quote's header and
    /// last trade; one that disagrees (another status, here) was accepted and its fields dropped, so
    /// the answer did not say one thing. It is refused now.
    @Test func aDayStateThatDisagreesWithItsQuoteIsRefused() throws {
        var quote = Tick()
        quote.kind = .quote
        quote.symbol = Symbol("AAPL")!
        quote.locate = 7
        quote.seq = 42
        quote.status = .trading
        quote.tradePrice = 1_892_500
        quote.tradeSize = 300
        var answer: [UInt8] = []
        SnapshotProtocol.encode(channel: 0, session: MoldUDP64Session("Q1234567")!, nextSequence: 17,
                                entries: [InstrumentSnapshot(state: quote)], to: &answer)
        #expect(try SnapshotProtocol.decode(answer).snapshots[0].entries.map(\.state.tradeSize) == [300])
        // The day state is the entry's last message; its status byte sits where the header puts it.
        let dayAt = answer.count - NormalizedMessage.DayState.length
        #expect(answer[dayAt] == UInt8(ascii: "D"))
        for (field, offset) in [("status", NormalizedMessage.Header.status), ("last size", NormalizedMessage.DayState.lastSize)] {
            var changed = answer
            changed[dayAt + offset + (field == "status" ? 0 : 3)] ^= 0x01
            #expect(throws: SnapshotProtocolError.self, "\(field)") { try SnapshotProtocol.decode(changed) }
        }
    }
}

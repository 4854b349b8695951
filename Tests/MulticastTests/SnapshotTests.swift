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
        // A gateway's series per locate: the snapshot's bars and tape, then the trades after it.
        var gatewaySeries: [UInt16: (candles: CandleSeries, tape: TradeTape)] = [:]
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
                // And its bars and tape at that moment, decoded exactly.
                for interval in CandleInterval.allCases {
                    #expect(entry.candles.bars(interval) == then.candles.bars(interval), "\(entry.state.symbol) \(interval.name)")
                }
                #expect(entry.tape.trades == then.tape.trades, "\(entry.state.symbol)")
                gatewaySeries[entry.state.locate] = (entry.candles, entry.tape)
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
                        if tick.kind == .trade {
                            gatewaySeries[tick.locate, default: (CandleSeries(), TradeTape())].candles
                                .record(price: tick.tradePrice, size: tick.tradeSize, timestamp: tick.timestamp)
                            gatewaySeries[tick.locate, default: (CandleSeries(), TradeTape())].tape
                                .append(TapeTrade(seq: tick.seq, timestamp: tick.timestamp, price: tick.tradePrice,
                                                  size: tick.tradeSize, side: tick.side))
                        }
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
            // The bars and tape too: a late-joining gateway serves the same candles and recent trades.
            let series = gatewaySeries[state.locate] ?? (CandleSeries(), TradeTape())
            for interval in CandleInterval.allCases {
                #expect(series.candles.bars(interval) == entry.candles.bars(interval), "\(state.symbol) \(interval.name)")
            }
            #expect(series.tape.trades == entry.tape.trades, "\(state.symbol)")
            if entry.statistics.tradeCount > 0 { traded += 1 }
        }
        #expect(traded > 0)
        #expect(atSnapshot.entries.contains { !$0.candles.isEmpty && $0.tape.count == TradeTape.capacity },
                "the snapshot carried bars and a full tape")
    }

    /// The merged quote the single-entry answers below are made of: AAPL, locate 7, seq 42.
    static var aaplQuote: Tick {
        var quote = Tick()
        quote.kind = .quote
        quote.symbol = Symbol("AAPL")!
        quote.locate = 7
        quote.seq = 42
        return quote
    }

    @Test func requestsAreCheckedAndMalformedAnswersRefused() throws {
        let request = SnapshotProtocol.request(channels: [0, 2])
        #expect(try SnapshotProtocol.parseRequest(Array(request.prefix(4)), channelCount: 3) == nil)
        #expect(try SnapshotProtocol.parseRequest(request, channelCount: 3) == [0, 2])
        #expect(throws: SnapshotProtocolError.unknownChannel) { try SnapshotProtocol.parseRequest(request, channelCount: 2) }
        #expect(throws: SnapshotProtocolError.badMagic) { try SnapshotProtocol.parseRequest(Array("GET / HTTP/1.1".utf8), channelCount: 2) }
        // A version-2 gateway would not know the bar and tape entries: refused, not misled.
        #expect(throws: SnapshotProtocolError.badMagic) { try SnapshotProtocol.parseRequest(Array("QCS2".utf8) + [1, 0], channelCount: 3) }
        #expect(throws: SnapshotProtocolError.trailingBytes) { try SnapshotProtocol.parseRequest(request + [0], channelCount: 3) }
        #expect(throws: SnapshotProtocolError.self) { try SnapshotProtocol.decode([0, 3, 0x51, 0, 0]) }
    }

    /// Found by the `snapshot` fuzz target (docs/fuzzing.md): an answer whose directory entry names
    /// one instrument and whose quote another was accepted. Such an answer is corrupt; it is refused,
    /// not served. The entry's reserved byte, sent 0, is ignored when read.
    @Test func aDirectoryEntryThatDisagreesWithItsQuoteIsRefused() throws {
        let quote = Self.aaplQuote
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
        var quote = Self.aaplQuote
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

    /// The bar and tape entries round-trip exactly and refuse what a series cannot hold: a bar of
    /// another interval, out of order, with a high under its low, or a trade with a bad side.
    @Test func barAndTapeEntriesRoundTripAndBadOnesAreRefused() throws {
        let quote = Self.aaplQuote
        var entry = InstrumentSnapshot(state: quote)
        for (i, t) in [34_200, 34_200, 34_261, 34_262, 34_330].enumerated() {
            entry.candles.record(price: UInt32(1_000 + i * 7 % 5), size: UInt32(100 + i), timestamp: UInt64(t) * 1_000_000_000 + UInt64(i))
        }
        for i in 0..<60 {
            entry.tape.append(TapeTrade(seq: UInt64(i), timestamp: UInt64(i) * 10, price: UInt32(i), size: 1, side: i % 3 == 0 ? 0 : UInt8(ascii: i % 2 == 0 ? "B" : "S")))
        }
        var answer: [UInt8] = []
        SnapshotProtocol.encode(channel: 0, session: MoldUDP64Session("Q1234567")!, nextSequence: 17, entries: [entry], to: &answer)
        let decoded = try #require(try SnapshotProtocol.decode(answer).snapshots.first?.entries.first)
        for interval in CandleInterval.allCases {
            #expect(decoded.candles.bars(interval) == entry.candles.bars(interval), "\(interval.name)")
        }
        #expect(decoded.candles.bars(.oneSecond).count == 4 && decoded.candles.bars(.oneMinute).count == 3)
        #expect(decoded.tape.trades == entry.tape.trades && decoded.tape.count == TradeTape.capacity)

        // Offsets of the entries: past the header, R and Q frames come 4 1 s bars, 3 1 m bars, 50 prints.
        var o = 2 + SnapshotProtocol.Header.length
        for _ in 0..<2 { o += 2 + (Int(answer[o]) << 8 | Int(answer[o + 1])) }
        let firstBar = o + 2
        #expect(answer[firstBar] == SnapshotProtocol.Bar.type)
        let firstPrint = firstBar + 7 * (2 + SnapshotProtocol.Bar.length)
        #expect(answer[firstPrint] == SnapshotProtocol.Print.type)
        func refused(_ change: (inout [UInt8]) -> Void, _ what: String) {
            var bad = answer
            change(&bad)
            #expect(throws: SnapshotProtocolError.self, "\(what)") { try SnapshotProtocol.decode(bad) }
        }
        refused({ $0[firstBar + SnapshotProtocol.Bar.interval] = 2 }, "a 5 m bar")
        refused({ $0[firstBar + SnapshotProtocol.Bar.start + 3] = 0xFF }, "a 1 s bar after its successor")
        refused({ $0[firstBar + SnapshotProtocol.Bar.high + 2] = 0 }, "a high under the low")
        refused({ $0[firstBar + SnapshotProtocol.Bar.count + 3] = 0 }, "a bar of no trade")
        refused({ $0[firstPrint + SnapshotProtocol.Print.side] = UInt8(ascii: "X") }, "a side X")
    }
}

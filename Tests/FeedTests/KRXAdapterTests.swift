import Fanout
import Foundation
import KRX
import KRXBook
import KRXSimulator
import Market
import PacketCapture
import Sockets
import Synchronization
import System
import Testing
@testable import Feed

/// Payloads held in memory, handed over in order on stream 0 (what a capture is). `current` holds
/// the payload handed over last, freed once by `deinit`.
struct PayloadSource: DatagramSource, ~Copyable {
    let payloads: [[UInt8]]
    var index = 0
    let current: UnsafeMutableRawBufferPointer = .allocate(byteCount: 65_536, alignment: 8)

    init(_ payloads: [[UInt8]]) { self.payloads = payloads }

    deinit { current.deallocate() }

    mutating func next() -> SourceDatagram? {
        guard index < payloads.count else { return nil }
        defer { index += 1 }
        payloads[index].withUnsafeBytes { current.copyMemory(from: $0) }
        return SourceDatagram(payload: UnsafeRawBufferPointer(rebasing: current[0..<payloads[index].count]), stream: 0)
    }
}

/// The Korea Exchange adapter over simulated days: what it builds, the ticks it writes, how it marks
/// an instrument stale when records are lost and how the next quote heals it.
@Suite struct KRXAdapterTests {
    /// The seed of this run's lossy days (printed with every failure).
    static let lossSeed = UInt64.random(in: 1...UInt64(UInt32.max))

    /// A small simulated day: 6 listings (KOSPI and KOSDAQ), all of the day's events.
    static let day: (payloads: [KRXPayload], configuration: KRXSimulatorConfiguration) = {
        var configuration = KRXSimulatorConfiguration()
        configuration.seed = 21
        configuration.instrumentCount = 6
        configuration.ordersPerMinute = 3
        var day = KRXTradingDay(configuration)
        var payloads: [KRXPayload] = []
        while let p = day.nextPayload() { payloads.append(p) }
        return (payloads, configuration)
    }()

    /// The adapter's run over `payloads`: its ticks, counters and the adapter at the end.
    static func run(_ payloads: [[UInt8]]) throws -> (ticks: [Tick], counters: FeedCounters, market: KRXMarketState,
                                                      tally: KRXReceiverTally, snapshots: [UInt16: Tick]) {
        let ring = try BroadcastRing(RingConfiguration(capacity: 1 << 16, readers: [.gating]))
        let counters = FeedCounters()
        let reader = TickCollector(ring)
        var source = PayloadSource(payloads)
        var adapter = KRXAdapter(input: .datagrams, instrumentCapacity: 64)
        FeedLoop(rate: 0).run(datagrams: &source, adapter: &adapter, writer: ring.makeWriter(), ring: ring, stop: StopFlag(),
                              counters: counters)
        let ticks = reader.wait()
        var snapshots: [UInt16: Tick] = [:]
        var tick = Tick()
        for locate in Set(ticks.map(\.locate)) where adapter.instrumentState(locate: locate, into: &tick) { snapshots[locate] = tick }
        #expect(!adapter.instrumentState(locate: 0, into: &tick) && !adapter.instrumentState(locate: 60_000, into: &tick))
        return (ticks, counters, adapter.market, adapter.statistics, snapshots)
    }

    /// `KRXMarketState` built straight from the records, without the adapter.
    static func directState(_ payloads: [[UInt8]]) -> KRXMarketState {
        var state = KRXMarketState(capacity: 64)
        for p in payloads {
            p.withUnsafeBytes { raw in
                var reader = KRXRecordReader(payload: raw)
                while let record = reader.next() { state.apply(record) }
            }
        }
        return state
    }

    /// What a screen shows of an instrument that heals: the book, the day's statistics, the status.
    static func screen(_ s: KRXInstrumentState) -> String {
        let levels = (0..<10).map { "\(s.bids[$0].price)x\(s.bids[$0].quantity)/\(s.asks[$0].price)x\(s.asks[$0].quantity)" }
        return "\(s.symbol) \(levels) last=\(s.last ?? -1)x\(s.lastQuantity ?? -1) o=\(s.open ?? -1) h=\(s.high ?? -1) "
            + "l=\(s.low ?? -1) v=\(s.cumulativeVolume) value=\(s.cumulativeValue?.scaled ?? -1) change=\(s.change ?? -1) "
            + "sign=\(String(describing: s.changeSign)) session=\(String(describing: s.session)) close=\(s.closingPrice ?? -1) "
            + "base=\(s.basePrice ?? -1) stale=\(s.isStale) status=\(KRXAdapter.status(of: s).name)"
    }

    /// The day's payloads with `rate` of those before the closing auction dropped (seeded).
    static func lossy(rate: Double, duplicate: Double = 0, reorder: Double = 0) -> (payloads: [[UInt8]], dropped: Int) {
        var faults = KRXFaults()
        faults.dropRate = rate
        faults.duplicateRate = duplicate
        faults.reorderRate = reorder
        faults.seed = lossSeed
        var injector = KRXFaultInjector(faults)
        var out: [[UInt8]] = []
        for p in day.payloads {
            // The master's three copies and the base prices stay whole: nothing later repeats the base price.
            if p.time < KRXSchedule.openingAuction || p.time >= KRXSchedule.closingAuction {
                out += injector.finish().map(\.bytes) + [p.bytes]
            } else {
                out += injector.process(p).map(\.bytes)
            }
        }
        out += injector.finish().map(\.bytes)
        return (out, injector.statistics.dropped)
    }

    @Test func aWholeDayBuildsTheRecordsStateAndContiguousTicks() throws {
        let payloads = Self.day.payloads.map(\.bytes)
        let r = try Self.run(payloads)
        let direct = Self.directState(payloads)
        #expect(r.market.instruments.count == 6)
        #expect(r.market.instruments.map(Self.screen) == direct.instruments.map(Self.screen))
        #expect(r.tally.gaps == 0 && r.tally.duplicateRecords == 0 && r.tally.decode.refusedTotal == 0 && r.tally.heals == 0)
        #expect(r.counters.messages == r.tally.decode.acceptedTotal)
        #expect(r.counters.messages == Self.day.payloads.reduce(0) { n, p in
            n + p.bytes.withUnsafeBytes { raw in var reader = KRXRecordReader(payload: raw); var k = 0; while reader.next() != nil { k += 1 }; return k }
        })
        var bySymbol: [UInt16: [Tick]] = [:]
        for t in r.ticks { bySymbol[t.locate, default: []].append(t) }
        #expect(bySymbol.count == 6)
        for (locate, ticks) in bySymbol {
            let i = Int(locate) - 1
            let state = r.market.instruments[i]
            #expect(ticks.map(\.seq) == Array(1...UInt64(ticks.count)), "\(state.symbol): seq 1, 2, 3 …")
            #expect(ticks.allSatisfy { $0.symbol == state.symbol && $0.status != .stale })
            // The last quote is the book, the last trade the last trade, the last status the close.
            let quote = try #require(ticks.last { $0.kind == .quote })
            #expect((0..<Int(quote.bidCount)).map { quote.bids[$0] }
                    == (0..<10).filter { state.bids[$0].price > 0 }.map { PriceLevel(price: UInt32(state.bids[$0].price), size: UInt32(state.bids[$0].quantity)) })
            #expect((0..<Int(quote.askCount)).map { quote.asks[$0] }
                    == (0..<10).filter { state.asks[$0].price > 0 }.map { PriceLevel(price: UInt32(state.asks[$0].price), size: UInt32(state.asks[$0].quantity)) })
            let trade = try #require(ticks.last { $0.kind == .trade })
            #expect(Int64(trade.tradePrice) == state.last && Int64(trade.tradeSize) == state.lastQuantity
                    && Int64(trade.volume) == state.cumulativeVolume)
            #expect(ticks.last { $0.kind == .status }?.status == KRXAdapter.status(of: state))
            // The model's KRX fields: the reference data, the day's statistics, the auction's estimate,
            // the VI flags, the close.
            let reference = try #require(ticks.last { $0.kind == .instrument }?.instrument)
            #expect(reference.market == .krx && reference.decimals == 0 && reference.isin == state.isin.description
                    && Int64(reference.referencePrice) == state.basePrice && Int64(reference.upperLimit) == state.upperLimit
                    && Int64(reference.lowerLimit) == state.lowerLimit && !reference.name.isEmpty
                    && reference.name == r.market.names[i].korean && reference.englishName == r.market.names[i].english)
            let statistics = trade.statistics
            #expect(Int64(statistics.open) == state.open && Int64(statistics.high) == state.high && Int64(statistics.low) == state.low
                    && Int64(statistics.reference) == state.basePrice
                    && Int(statistics.tradeCount) == ticks.filter { $0.kind == .trade }.count)
            #expect(ticks.contains { $0.kind == .quote && $0.indicativePrice > 0 && $0.indicativeVolume > 0 }, "the opening auction's estimate")
            #expect(ticks.allSatisfy { $0.status != .volatilityInterruption || $0.flags & Tick.Flags.vi != 0 }, "VI flags while in a VI")
            #expect(ticks.last { $0.kind == .status }?.status == .closed)
            #expect(ticks.contains { $0.kind == .trade && $0.flags & Tick.Flags.cross != 0 && $0.side == 0 }, "the uncrosses")
            #expect(ticks.contains { $0.kind == .trade && ($0.side == 0x42 || $0.side == 0x53) }, "continuous trades")
            // The adapter's snapshot is the state at the last tick.
            let snapshot = try #require(r.snapshots[locate])
            #expect(snapshot.seq == ticks.last!.seq && snapshot.kind == .quote && snapshot.volume == trade.volume)
            #expect(snapshot.bidCount == quote.bidCount && (0..<Int(quote.bidCount)).allSatisfy { snapshot.bids[$0] == quote.bids[$0] })
        }
        // Quotes carry only changes that a depth sees: every quote differs from the one before it at
        // its changed level, and not above it.
        for ticks in bySymbol.values {
            var previous: Tick?
            for q in ticks where q.kind == .quote {
                if let p = previous {
                    let level = Int(q.changedLevel)
                    #expect(level < 10)
                    for l in 0..<level { #expect(q.bids[l] == p.bids[l] && q.asks[l] == p.asks[l]) }
                    #expect(q.bids[level] != p.bids[level] || q.asks[level] != p.asks[level]
                            || q.indicativePrice != p.indicativePrice || q.indicativeVolume != p.indicativeVolume)
                }
                previous = q
            }
        }
    }

    @Test func lostRecordsMarkTheInstrumentStaleAndItsNextQuoteHealsIt() throws {
        let (payloads, dropped) = Self.lossy(rate: 0.03)
        let seed = Self.lossSeed
        #expect(dropped > 10, "seed \(seed)")
        let r = try Self.run(payloads)
        let lossless = Self.directState(Self.day.payloads.map(\.bytes))
        // Healed by the day's later quotes and trades: the same screens as without the loss.
        #expect(r.market.instruments.map(Self.screen) == lossless.instruments.map(Self.screen), "seed \(seed)")
        #expect(r.tally.gaps > 0 && r.tally.missingRecords >= Int64(r.tally.gaps), "seed \(seed)")
        #expect(r.tally.staleInstruments == 0 && r.counters.staleInstruments == 0, "seed \(seed)")
        var staleMarks = 0
        var bySymbol: [UInt16: [Tick]] = [:]
        for t in r.ticks { bySymbol[t.locate, default: []].append(t) }
        for ticks in bySymbol.values {
            var stale = false
            for (previous, t) in zip(ticks, ticks.dropFirst()) {
                if t.seq != previous.seq + 1 {
                    // The only jumps: one seq left out right after a stale status.
                    #expect(t.seq == previous.seq + 2 && previous.kind == .status && previous.status == .stale,
                            "seed \(seed): \(t.symbol) jumps \(previous.seq) -> \(t.seq) after \(previous.kind)")
                }
                if t.kind == .status && t.status == .stale {
                    #expect(!stale, "seed \(seed): marked stale twice without a heal")
                    stale = true
                    staleMarks += 1
                } else if stale && t.kind == .quote {
                    // The next quote heals: its status is the instrument's own again.
                    #expect(t.status != .stale && t.changedLevel == 0, "seed \(seed)")
                    stale = false
                } else if stale {
                    #expect(t.kind != .quote && t.status == .stale, "seed \(seed): only stale trades before the heal")
                }
            }
            #expect(!stale, "seed \(seed): still stale at the end")
        }
        #expect(staleMarks > 0 && staleMarks == r.tally.heals, "seed \(seed)")
        #expect(staleMarks <= r.tally.gaps, "seed \(seed)")
        #expect(r.ticks.filter { $0.kind == .status && $0.status == .stale }.count == staleMarks)
    }

    @Test func duplicatesAndLateRecordsAreDroppedNotApplied() throws {
        let (payloads, _) = Self.lossy(rate: 0, duplicate: 0.05, reorder: 0.02)
        let seed = Self.lossSeed
        let r = try Self.run(payloads)
        let lossless = Self.directState(Self.day.payloads.map(\.bytes))
        #expect(r.market.instruments.map(Self.screen) == lossless.instruments.map(Self.screen), "seed \(seed)")
        #expect(r.tally.duplicateRecords > 0, "seed \(seed)")
        // A swapped payload of the same instrument is a hole (the later one first) and then a late
        // record; nothing else may look like a gap.
        #expect(r.tally.heals == r.ticks.filter { $0.kind == .status && $0.status == .stale }.count, "seed \(seed)")
        #expect(r.counters.messages + r.tally.duplicateRecords == r.tally.decode.acceptedTotal, "seed \(seed)")
    }

    @Test func aCaptureIsRecognisedByItsFirstPayload() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotecast-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func capture(_ name: String, _ payloads: [[UInt8]]) throws -> InputFormat {
            let path = directory.appendingPathComponent(name).path
            let writer = try PcapWriter(path: path)
            for p in payloads {
                try writer.write(payload: p, timestamp: 1, source: IPv4Endpoint("10.0.0.1:1")!, destination: IPv4Endpoint("239.1.1.1:2")!)
            }
            try writer.close()
            let file = try MappedFile(path: path)   // kept alive while its mapped bytes are read
            let format = withExtendedLifetime(file) { InputFormat.recognise(file.bytes) }
            return try #require(format, "\(name) was not recognised")
        }
        let day = Self.day.payloads
        guard case .krxCapture = try capture("krx.pcap", day.prefix(3).map(\.bytes)) else { Issue.record("not KRX"); return }
        // A polling record alone is KOSCOM's too; a record cut short, or its end keyword gone, is not.
        var polling = [UInt8](repeating: 0, count: 10)
        _ = polling.withUnsafeMutableBytes { PollingRecord.encode(minutesSinceMidnight: 540, into: $0.baseAddress!) }
        guard case .krxCapture = try capture("polling.pcap", [polling]) else { Issue.record("polling: not KRX"); return }
        let quote = try #require(day.first { $0.bytes.starts(with: Array("B601".utf8)) }).bytes
        guard case .pcap = try capture("cut.pcap", [Array(quote.prefix(589))]) else { Issue.record("cut: KRX"); return }
        var noEnd = Array(quote.prefix(590))
        noEnd[589] = 0x20
        guard case .pcap = try capture("noend.pcap", [noEnd]) else { Issue.record("no end keyword: KRX"); return }
        guard case .pcap = try capture("empty.pcap", []) else { Issue.record("empty: KRX"); return }
        // Nothing at all is no input format (input recognition refuses it with its first bytes).
        #expect(InputFormat.recognise(UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
    }

    @Test func theKRXURLNamesWhatIsWrong() throws {
        let c = try KRXFeedConfiguration(url: "krx://239.1.1.1:10031,239.1.1.1:10032,239.1.1.2:10141?interface=127.0.0.1&silence=500&instruments=100")
        #expect(c.streams.map(\.description) == ["239.1.1.1:10031", "239.1.1.1:10032", "239.1.1.2:10141"])
        #expect(c.silenceNanoseconds == 500_000_000 && c.instrumentCapacity == 100 && c.interface == "127.0.0.1")
        let bad: [(String, String)] = [
            ("krx:/239.1.1.1:1", "expected krx://"),
            ("krx://239.1.1.1:1,,239.1.1.1:2", "empty address"),
            ("krx://10.0.0.1:1", "'10.0.0.1:1' is not a multicast"),
            ("krx://239.1.1.1:1,239.1.1.1:1", "given twice"),
            ("krx://239.1.1.1:1?silence=5", "silence: expected an integer in 10...3600000"),
            ("krx://239.1.1.1:1?b=239.1.1.1:2", "unknown key 'b'"),
            ("krx://239.1.1.1:1?rcvbuf", "'rcvbuf' is not key=value"),
            ("krx://" + (1...17).map { "239.1.1.1:\($0)" }.joined(separator: ","), "at most 16"),
        ]
        for (url, message) in bad {
            do {
                _ = try KRXFeedConfiguration(url: url)
                Issue.record("\(url) was accepted")
            } catch {
                #expect(error.message.contains(message), "\(url): \(error.message)")
            }
        }
    }

    @Test func theCountersShowTheKoreaExchangeFeed() throws {
        let (payloads, _) = Self.lossy(rate: 0.03, duplicate: 0.02)
        var damaged = payloads
        // A record cut short: refused, counted. The payload cut is the first long one from the 200th on
        // (the loss seed is drawn per run; a 10-byte polling record there would be whole at 30 bytes).
        let cut = try #require(damaged.indices.first { $0 >= 200 && damaged[$0].count > 60 }, "seed \(Self.lossSeed)")
        damaged.insert(Array(damaged[cut].prefix(30)), at: cut + 1)
        let r = try Self.run(damaged)
        let samples = r.counters.metricSamples()
        func value(_ name: String, _ labels: [(String, String)] = []) -> Double? {
            samples.first { $0.name == name && $0.labels.map(\.0) == labels.map(\.0) && $0.labels.map(\.1) == labels.map(\.1) }?.value
        }
        #expect(value("quotecast_feed_gaps_total") == Double(r.tally.gaps) && r.tally.gaps > 0)
        #expect(value("quotecast_feed_gap_messages_total") == Double(r.tally.missingRecords))
        #expect(value("quotecast_feed_duplicate_messages_total") == Double(r.tally.duplicateRecords) && r.tally.duplicateRecords > 0)
        #expect(value("quotecast_feed_unstale_total") == Double(r.tally.heals))
        #expect(value("quotecast_feed_refused_records_total", [("reason", "truncated")]) == 1, "seed \(Self.lossSeed)")
        #expect(value("quotecast_feed_records_total", [("kind", "quote")]) == Double(r.tally.decode.accepted(.quote)))
        #expect(value("quotecast_feed_stale_instruments") == 0)
        #expect(Set(samples.map(\.name)).allSatisfy { $0.hasPrefix("quotecast_feed_") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.counters.healthJSON().utf8)) as? [String: Any])
        #expect(json["gaps"] as? Int == r.tally.gaps && json["refused_records"] as? Int == 1 && json["state"] as? String == "ended")
    }

    @Test func aLiveFeedIsStartingThenLiveThenSilentAndJoinsEveryStream() throws {
        let port = UInt16.random(in: 35_000...36_000)
        let url = "krx://239.255.44.1:\(port),239.255.44.2:\(port)?silence=200"
        let configuration = try KRXFeedConfiguration(url: url)
        let ring = try BroadcastRing(RingConfiguration(capacity: 1 << 12, readers: [.gating]))
        let counters = FeedCounters()
        let stop = StopFlag()
        let reader = TickCollector(ring)
        let events = EventLog()
        let feed = NamedThread(name: "qc-test-krx") {
            guard let input = try? configuration.openInput() else {
                Issue.record("cannot join \(url)")
                ring.close()
                return
            }
            defer { input.close() }
            var adapter = KRXAdapter(input: .streams(configuration, input), onEvent: { events.append($0) })
            try? FeedLoop(rate: 0).run(input: input, adapter: &adapter, writer: ring.makeWriter(), ring: ring, stop: stop,
                                       counters: counters)
        }
        defer {
            stop.raise()
            feed.join()
        }
        func waitFor(_ condition: () -> Bool) -> Bool {
            let deadline = Clock.monotonic() + 30_000_000_000
            while Clock.monotonic() < deadline {
                if condition() { return true }
                usleep(2_000)
            }
            return false
        }
        #expect(waitFor { events.all.count >= 2 })
        #expect(counters.health == .starting)
        let sender = try UDPSocket.multicastSender(interface: "127.0.0.1")
        defer { sender.close() }
        // The master and a day's first real-time records, KOSPI's on one stream and KOSDAQ's on the other.
        let first = Self.day.payloads.prefix(40)
        for p in first {
            let market = p.bytes.withUnsafeBytes { TRCode(at: $0.baseAddress!).market }
            _ = try p.bytes.withUnsafeBytes { try sender.send($0, to: configuration.streams[market == .kospi ? 0 : 1]) }
        }
        #expect(waitFor { counters.krx.map { $0.datagrams[0] + $0.datagrams[1] } == first.count })
        #expect(counters.health == .live || counters.health == .silent)
        #expect(waitFor { counters.health == .silent }, "no datagram for 200 ms: silent")
        let t = try #require(counters.krx)
        #expect(t.datagrams[0] > 0 && t.datagrams[1] > 0 && t.streams == configuration.streams.map(\.description))
        stop.raise()
        _ = reader.wait()
        let joined = events.all.compactMap { if case .joined(_, let group, _, _) = $0 { group } else { nil } }
        #expect(joined == configuration.streams.map(\.description))
        #expect(events.all.contains { if case .session(.silent(nil, _)) = $0 { true } else { false } })
    }
}

/// Feed events collected from the feed thread.
final class EventLog: Sendable {
    private let events = Mutex<[FeedEvent]>([])
    func append(_ e: FeedEvent) { events.withLock { $0.append(e) } }
    var all: [FeedEvent] { events.withLock { $0 } }
}

import ITCH
import Market
import Multicast
import OrderBook
import Simulator
import Testing

@Suite struct NormalizedMessageTests {
    /// Every tick the feed handler makes from 200 000 simulated messages survives the trip.
    @Test func everyTickOfASimulatedDayRoundTrips() {
        var simulator = OrderFlowSimulator(SimulatorConfiguration(seed: 11))
        let engine = BookEngine()
        let ticks = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
        defer { ticks.deallocate() }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: NormalizedMessage.maxLength, alignment: 8)
        defer { buffer.deallocate() }
        var counts: [TickKind: Int] = [:]
        var failures = 0
        simulator.generate(messages: 200_000) { raw in
            do {
                let n = engine.apply(raw.baseAddress!, length: raw.count, receiveTime: 1_764_000_000_000_000_000, into: ticks)
                for i in 0..<n {
                    let length = NormalizedMessage.encode(ticks[i], into: buffer)
                    #expect(length <= NormalizedMessage.maxLength)
                    counts[ticks[i].kind, default: 0] += 1
                    guard case .success(.tick(let back)) = NormalizedMessage.decode(buffer, length: length),
                          ticks[i].hasSameContent(as: back) else { failures += 1; continue }
                }
            }
        }
        #expect(failures == 0)
        #expect(counts[.quote, default: 0] > 10_000 && counts[.trade, default: 0] > 100 && counts[.status, default: 0] > 0)
        #expect(counts[.instrument, default: 0] > 0)
    }

    @Test func layoutIsTheDocumentedOne() {
        var tick = Tick()
        tick.kind = .trade
        tick.symbol = Symbol("AAPL")!
        tick.locate = 0x0102
        tick.seq = 43
        tick.timestamp = 0x0A0B
        tick.receiveTime = 7
        tick.volume = 123_400
        tick.status = .trading
        tick.tradePrice = 1_892_600
        tick.tradeSize = 100
        tick.side = UInt8(ascii: "B")
        tick.matchNumber = 9
        tick.statistics = DayStatistics(open: 0x0102_0304, high: 5, low: 6, reference: 7, tradeCount: 8, value: 0x0A0B_0C0D_0E0F)
        var bytes = [UInt8](repeating: 0, count: NormalizedMessage.maxLength)
        let n = bytes.withUnsafeMutableBytes { NormalizedMessage.encode(tick, into: $0.baseAddress!) }
        #expect(n == NormalizedMessage.Trade.length)
        let expected: [UInt8] = [0x54, 0, 0x01, 0x02] + Array("AAPL    ".utf8) + [0, 0, 0, 0, 0, 0, 0, 43]
            + [0, 0, 0, 0, 0, 0, 0x0A, 0x0B] + [0, 0, 0, 0, 0, 0, 0, 7] + [0, 0, 0, 0, 0, 0x01, 0xE2, 0x08] + [1]
            + [0x00, 0x1C, 0xE0, 0xF8] + [0, 0, 0, 100] + [0x42] + [0, 0, 0, 0, 0, 0, 0, 9]
            + [1, 2, 3, 4] + [0, 0, 0, 5] + [0, 0, 0, 6] + [0, 0, 0, 7] + [0, 0, 0, 8] + [0, 0, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F]
        #expect(Array(bytes[0..<n]) == expected)
        let d = bytes.withUnsafeMutableBytes { NormalizedMessage.encodeDirectory(symbol: Symbol("MSFT")!, locate: 5, into: $0.baseAddress!) }
        #expect(Array(bytes[0..<d]) == [0x52, 0, 0, 5] + Array("MSFT    ".utf8))
        guard case .success(.directory(let symbol, let locate)) = bytes.withUnsafeBytes({ NormalizedMessage.decode($0.baseAddress!, length: d) }) else {
            Issue.record("directory entry did not decode")
            return
        }
        #expect(symbol == Symbol("MSFT")! && locate == 5)
    }

    /// Truncations, extensions and random bytes are refused with a reason, never a crash.
    @Test func malformedMessagesAreRefused() {
        var random = SplitMix64(seed: 5)
        var quote = Tick()
        quote.kind = .quote
        quote.bidCount = 3
        quote.askCount = 2
        var bytes = [UInt8](repeating: 0, count: 512)
        let n = bytes.withUnsafeMutableBytes { NormalizedMessage.encode(quote, into: $0.baseAddress!) }
        #expect(n == NormalizedMessage.Quote.length(levels: 5))
        for cut in [0, 1, 10, 44, 45, 55, n - 1, n + 1] {
            if case .success = bytes.withUnsafeBytes({ NormalizedMessage.decode($0.baseAddress!, length: cut) }) {
                Issue.record("length \(cut) of a \(n)-byte quote was accepted")
            }
        }
        bytes[NormalizedMessage.Quote.bidCount] = 11
        #expect(bytes.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n) } == .failure(.badValue("level counts 11/2")))
        var accepted = 0
        for _ in 0..<20_000 {
            let length = Int(random.next() % 230)
            for i in 0..<length { bytes[i] = UInt8(truncatingIfNeeded: random.next()) }
            if case .success = bytes.withUnsafeBytes({ NormalizedMessage.decode($0.baseAddress!, length: length) }) { accepted += 1 }
        }
        #expect(accepted < 200, "random bytes should almost never form a valid message")
    }

    /// Found by the `normalized` fuzz target (docs/fuzzing.md): a trade whose symbol bytes held a
    /// control character decoded, and every subscriber then got a message that is not JSON. A symbol
    /// off the network must be 1 to 8 printable ASCII characters, space padded, in a tick or in a
    /// directory entry.
    @Test func symbolsThatAreNotPrintableASCIIAreRefused() {
        var trade = Tick()
        trade.kind = .trade
        trade.symbol = Symbol("AAPL")!
        trade.locate = 7
        trade.seq = 42
        var bytes = [UInt8](repeating: 0, count: NormalizedMessage.maxLength)
        let n = bytes.withUnsafeMutableBytes { NormalizedMessage.encode(trade, into: $0.baseAddress!) }
        let symbolAt = 4
        let refused: [[UInt8]] = [
            Array("AA".utf8) + [0x07] + Array("P    ".utf8),   // the fuzzer's input: a BEL inside
            Array("AAPL".utf8) + [0x00, 0x20, 0x20, 0x20],      // NUL padding
            Array("AAP".utf8) + [0xC3, 0xA9, 0x20, 0x20, 0x20], // not ASCII
            Array("AA PL   ".utf8),                              // characters after the padding
            Array("        ".utf8),                              // no characters at all
            Array("AAPL".utf8) + [0x22, 0x20, 0x20, 0x20],       // a quote is printable: accepted below
        ]
        for (i, symbol) in refused.enumerated() {
            bytes.replaceSubrange(symbolAt..<symbolAt + 8, with: symbol)
            let decoded = bytes.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n) }
            if i == refused.count - 1 {
                guard case .success(.tick(let tick)) = decoded else { Issue.record("AAPL\" was refused: \(decoded)"); continue }
                #expect(tick.symbol.description == "AAPL\"")
            } else {
                #expect(decoded == .failure(.badValue("symbol")), "symbol bytes \(symbol)")
            }
        }
        let d = bytes.withUnsafeMutableBytes { NormalizedMessage.encodeDirectory(symbol: Symbol("MSFT")!, locate: 8, into: $0.baseAddress!) }
        bytes.replaceSubrange(symbolAt..<symbolAt + 8, with: Array("MS".utf8) + [0x0A] + Array("FT   ".utf8))
        #expect(bytes.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: d) } == .failure(.badValue("symbol")))
    }

    /// Found by the `normalized` fuzz target: a trade's side byte went into the JSON as it is, so a
    /// control character there broke every subscriber's message. Only `B`, `S` and 0 (unknown) pass.
    @Test func aTradeSideOtherThanBuySellOrUnknownIsRefused() {
        var trade = Tick()
        trade.kind = .trade
        trade.symbol = Symbol("AAPL")!
        trade.locate = 7
        var bytes = [UInt8](repeating: 0, count: NormalizedMessage.maxLength)
        let n = bytes.withUnsafeMutableBytes { NormalizedMessage.encode(trade, into: $0.baseAddress!) }
        for side in [UInt8(0), UInt8(ascii: "B"), UInt8(ascii: "S")] {
            bytes[NormalizedMessage.Trade.side] = side
            guard case .success(.tick(let tick)) = bytes.withUnsafeBytes({ NormalizedMessage.decode($0.baseAddress!, length: n) }) else {
                Issue.record("side \(side) was refused")
                continue
            }
            #expect(tick.side == side)
        }
        for side: UInt8 in [0x01, 0x22, UInt8(ascii: "b"), UInt8(ascii: "X"), 0xFF] {
            bytes[NormalizedMessage.Trade.side] = side
            #expect(bytes.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n) } == .failure(.badValue("side \(side)")))
        }
    }

    /// `I`: the reference data with its names after 1-byte lengths, byte for byte, and back.
    @Test func instrumentMessageLayoutAndRoundTrip() {
        var tick = Tick()
        tick.kind = .instrument
        tick.symbol = Symbol("005930")!
        tick.locate = 3
        tick.seq = 1
        tick.instrument = InstrumentReference(market: .krx, decimals: 0, referencePrice: 71_000, upperLimit: 0x0102_0304,
                                              lowerLimit: 5, isin: "KR7005930003", name: "삼성", englishName: "SE")
        var bytes = [UInt8](repeating: 0, count: NormalizedMessage.maxLength)
        let n = bytes.withUnsafeMutableBytes { NormalizedMessage.encode(tick, into: $0.baseAddress!) }
        #expect(n == NormalizedMessage.Instrument.length(name: 6, englishName: 2))
        #expect(bytes[0] == UInt8(ascii: "I"))
        let body = Array(bytes[NormalizedMessage.Header.length..<n])
        let expected: [UInt8] = [1, 0] + [0, 1, 0x15, 0x58] + [1, 2, 3, 4] + [0, 0, 0, 5] + Array("KR7005930003".utf8)
            + [6] + Array("삼성".utf8) + [2] + Array("SE".utf8)
        #expect(body == expected)
        let back = bytes.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n) }
        #expect(back == .success(.tick(tick)))
        // A name length that runs past the message, a bad market, bad decimals, bad UTF-8: refused.
        var bad = bytes
        bad[NormalizedMessage.Instrument.nameLength] = 200
        #expect(bad.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n) } == .failure(.badLength(type: 0x49, length: n)))
        bad = bytes
        bad[NormalizedMessage.Instrument.market] = 9
        #expect(bad.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n) } == .failure(.badValue("market 9")))
        bad = bytes
        bad[NormalizedMessage.Instrument.decimals] = 9
        #expect(bad.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n) } == .failure(.badValue("decimals 9")))
        bad = bytes
        bad[NormalizedMessage.Instrument.isin + 11] = 0x1C   // an ISIN is printable (or all spaces)
        #expect(bad.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n) } == .failure(.badValue("ISIN")))
        bad = bytes
        bad[NormalizedMessage.Instrument.name] = 0xFF
        if case .success = bad.withUnsafeBytes({ NormalizedMessage.decode($0.baseAddress!, length: n) }) {
            Issue.record("a name that is not UTF-8 was accepted")
        }
    }

    /// `Q` with an indicative price and volume: 8 more bytes, marked by the wire-only flag bit; a
    /// quote without them keeps today's length.
    @Test func indicativeQuoteRoundTripsAndPlainQuotesKeepTheirLength() {
        var quote = Tick()
        quote.kind = .quote
        quote.symbol = Symbol("005930")!   // a symbol off the network must have one (symbolsThatAreNotPrintableASCIIAreRefused)
        quote.bidCount = 1
        quote.bids[0] = PriceLevel(price: 70_000, size: 10)
        quote.flags = Tick.Flags.viStatic
        var bytes = [UInt8](repeating: 0, count: NormalizedMessage.maxLength)
        var n = bytes.withUnsafeMutableBytes { NormalizedMessage.encode(quote, into: $0.baseAddress!) }
        #expect(n == NormalizedMessage.Quote.length(levels: 1))
        #expect(bytes[NormalizedMessage.Header.flags] == Tick.Flags.viStatic)
        quote.indicativePrice = 69_900
        quote.indicativeVolume = 1234
        n = bytes.withUnsafeMutableBytes { NormalizedMessage.encode(quote, into: $0.baseAddress!) }
        #expect(n == NormalizedMessage.Quote.length(levels: 1) + 8)
        #expect(bytes[NormalizedMessage.Header.flags] == Tick.Flags.viStatic | NormalizedMessage.indicativeFlag)
        let back = bytes.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n) }
        #expect(back == .success(.tick(quote)))
        if case .success(.tick(let t)) = back { #expect(t.flags == Tick.Flags.viStatic) }
        #expect(bytes.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n - 8) }
                == .failure(.badLength(type: 0x51, length: n - 8)))
        // The bit says the fields are there because they are not both zero.
        var zeros = bytes
        zeros.replaceSubrange(n - 8..<n, with: [UInt8](repeating: 0, count: 8))
        #expect(zeros.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n) }
                == .failure(.badValue("indicative fields flagged but zero")))
        // The bit belongs to quotes: on any other message it is refused, not dropped.
        var status = Tick()
        status.kind = .status
        status.symbol = Symbol("005930")!
        n = bytes.withUnsafeMutableBytes { NormalizedMessage.encode(status, into: $0.baseAddress!) }
        bytes[NormalizedMessage.Header.flags] |= NormalizedMessage.indicativeFlag
        #expect(bytes.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n) }
                == .failure(.badValue("flags \(NormalizedMessage.indicativeFlag)")))
    }

    /// `D` (snapshots): the last trade and the statistics beside the header's volume and status.
    @Test func dayStateRoundTrips() {
        var state = Tick()
        state.kind = .quote
        state.symbol = Symbol("AAPL")!
        state.seq = 77
        state.volume = 5000
        state.status = .halted
        state.tradePrice = 1_900_000
        state.tradeSize = 100
        let statistics = DayStatistics(open: 1_890_000, high: 1_910_000, low: 1_880_000, reference: 1_885_000,
                                       tradeCount: 42, value: 9_500_000_000)
        var bytes = [UInt8](repeating: 0, count: NormalizedMessage.maxLength)
        let n = bytes.withUnsafeMutableBytes { NormalizedMessage.encodeDayState(state, statistics: statistics, into: $0.baseAddress!) }
        #expect(n == NormalizedMessage.DayState.length && bytes[0] == UInt8(ascii: "D"))
        guard case .success(.dayState(let day)) = bytes.withUnsafeBytes({ NormalizedMessage.decode($0.baseAddress!, length: n) }) else {
            Issue.record("the day state did not decode")
            return
        }
        #expect(day.statistics == statistics && day.volume == 5000 && day.status == .halted)
        #expect(day.tradePrice == 1_900_000 && day.tradeSize == 100 && day.seq == 77)
        #expect(bytes.withUnsafeBytes { NormalizedMessage.decode($0.baseAddress!, length: n - 1) }
                == .failure(.badLength(type: 0x44, length: n - 1)))
    }

    /// Pinned values (FNV-1a over the padded symbol, computed independently): a change here would
    /// split a running feed node from its gateways.
    @Test func channelMapIsStable() {
        #expect(ChannelMap.channel(of: Symbol("AAPL")!, channels: 4) == 3)
        #expect(ChannelMap.channel(of: Symbol("MSFT")!, channels: 7) == 6)
        #expect(ChannelMap.channel(of: Symbol("QQQ")!, channels: 4) == 2)
        #expect(ChannelMap.channel(of: Symbol("ZVZZT")!, channels: 4) == 1)
        #expect(ChannelMap.channel(of: Symbol("A")!, channels: 4) == 0)
        #expect(ChannelMap.channel(of: Symbol("A")!, channels: 1) == 0)
    }
}

extension NormalizedMessage.Decoded: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.tick(let x), .tick(let y)): x.hasSameContent(as: y)
        case (.directory(let s, let l), .directory(let t, let m)): s == t && l == m
        case (.dayState(let x), .dayState(let y)): x.hasSameContent(as: y)
        default: false
        }
    }
}

import KRX
import Market
import Testing
@testable import KRXBook
@testable import KRXSimulator

/// The market state built from a simulated day's records.
@Suite struct MarketStateTests {
    static let seed = UInt64.random(in: 1...UInt64(UInt32.max))

    /// A day of 10 instruments with plenty of VIs and halts.
    static let payloads: [KRXPayload] = {
        var configuration = KRXSimulatorConfiguration()
        configuration.seed = seed
        configuration.instrumentCount = 10
        configuration.newsPerInstrument = 4
        configuration.haltsPerDay = 4
        var day = KRXTradingDay(configuration)
        var payloads: [KRXPayload] = []
        while let payload = day.nextPayload() { payloads.append(payload) }
        return payloads
    }()

    /// Applies every record of `payloads` (the ones `keep` keeps), marking an instrument stale on a
    /// sequence gap as the feed will.
    static func apply(_ payloads: [KRXPayload], until time: Int64 = .max, keep: (KRXPayload) -> Bool = { _ in true })
        -> (KRXMarketState, gaps: Int, stale: Int) {
        var state = KRXMarketState(capacity: 64)
        var tracker = KRXSequenceTracker(instrumentCapacity: 64)
        var gaps = 0, stale = 0
        for payload in payloads where payload.time <= time && keep(payload) {
            payload.bytes.withUnsafeBytes { raw in
                var reader = KRXRecordReader(payload: raw)
                while let record = reader.next() {
                    if let header = record.sequenceKey, let index = state.index(registering: header.isin) {
                        switch tracker.observe(instrument: index, board: header.board, sequenceNumber: header.sequenceNumber) {
                        case .gap:
                            gaps += 1
                            state.markStale(index)
                        case .stale:
                            stale += 1
                            continue
                        default: break
                        }
                    }
                    state.apply(record)
                }
            }
        }
        return (state, gaps, stale)
    }

    /// The last record of each kind per instrument, decoded, and the master names.
    struct LastRecords {
        var quote: [ISIN: KRXQuote] = [:]
        var trade: [ISIN: KRXTrade] = [:]
        var base: [ISIN: KRXBasePrice] = [:]
        var closing: [ISIN: KRXIssueClosing] = [:]
        var operation: [ISIN: KRXMarketOperation] = [:]
        var vi: [ISIN: KRXVolatilityInterruption] = [:]
        var master: [ISIN: KRXInstrument] = [:]
        var session: [ISIN: KRXSessionID] = [:]
    }

    static func lastRecords(_ payloads: [KRXPayload], until time: Int64 = .max) -> LastRecords {
        var last = LastRecords()
        for payload in payloads where payload.time <= time {
            payload.bytes.withUnsafeBytes { raw in
                var reader = KRXRecordReader(payload: raw)
                while let record = reader.next() {
                    switch record {
                    case .quote(let q): last.quote[q.isin] = q.contents; last.session[q.isin] = q.session
                    case .trade(let t): last.trade[t.isin] = t.contents; last.session[t.isin] = t.session
                    case .basePrice(let b): last.base[b.isin] = b.contents
                    case .issueClosing(let c): last.closing[c.isin] = c.contents
                    case .marketOperation(let o): last.operation[o.isin] = o.contents; last.session[o.isin] = o.session
                    case .volatilityInterruption(let v): last.vi[v.isin] = v.contents
                    case .instrumentMaster(let m): last.master[m.isin] = m.contents
                    default: break
                    }
                }
            }
        }
        return last
    }

    /// Every instrument's state is what its last records say (an independent reading of the stream).
    static func expectMatches(_ state: KRXMarketState, _ last: LastRecords, _ context: String) {
        #expect(state.instruments.count == last.master.count, "\(context)")
        for (i, instrument) in state.instruments.enumerated() {
            let isin = instrument.isin
            let name = "\(context) \(isin)"
            if let q = last.quote[isin] {
                for level in 0..<10 {
                    #expect(instrument.asks[level] == KRXBookLevel(price: q.levels[level].askPrice ?? 0, quantity: q.levels[level].askQuantity ?? 0),
                            "\(name) ask \(level + 1)")
                    #expect(instrument.bids[level] == KRXBookLevel(price: q.levels[level].bidPrice ?? 0, quantity: q.levels[level].bidQuantity ?? 0),
                            "\(name) bid \(level + 1)")
                }
                #expect(instrument.totalAskQuantity == q.totalAskQuantity && instrument.totalBidQuantity == q.totalBidQuantity, "\(name)")
            }
            if let t = last.trade[isin] {
                #expect(instrument.last == t.price && instrument.lastQuantity == t.quantity && instrument.open == t.open
                        && instrument.high == t.high && instrument.low == t.low && instrument.cumulativeVolume == t.accumulatedVolume
                        && instrument.cumulativeValue == t.accumulatedValue && instrument.change == t.change
                        && instrument.changeSign == t.changeSign, "\(name) day statistics")
            }
            if let b = last.base[isin] {
                #expect(instrument.basePrice == b.basePrice && instrument.upperLimit == b.upperLimit && instrument.lowerLimit == b.lowerLimit,
                        "\(name) reference prices")
            }
            #expect(instrument.closingPrice == last.closing[isin]?.closingPrice, "\(name) closing")
            #expect(instrument.session == last.session[isin], "\(name) session")
            #expect(instrument.isHalted == (last.operation[isin]?.haltReason != nil), "\(name) halt")
            let viActive = last.vi[isin]?.status == .triggered && last.session[isin] != .continuous
            #expect((instrument.volatility != .none) == viActive, "\(name) VI")
            if instrument.session?.isSinglePriceAuction == true, let estimate = last.quote[isin]?.estimatedPrice, estimate > 0 {
                #expect(instrument.estimatedPrice == estimate && instrument.estimatedVolume == last.quote[isin]?.estimatedVolume, "\(name) estimate")
            } else {
                #expect(instrument.estimatedPrice == nil, "\(name) no estimate outside an auction")
            }
            #expect(state.names[i].korean == last.master[isin]?.koreanName && state.names[i].korean != nil, "\(name) Korean name")
            #expect(!instrument.isStale, "\(name) stale")
            #expect(instrument.symbol == isin.koreanShortCode)
        }
    }

    @Test func theStateIsWhatTheLastRecordsSay() {
        // At the end of the day, and at moments inside the auctions and continuous trading.
        for time in [KRXSchedule.time(8, 45), KRXSchedule.time(9, 0, 1), KRXSchedule.time(11, 17), KRXSchedule.time(15, 25), Int64.max] {
            let (state, gaps, stale) = Self.apply(Self.payloads, until: time)
            #expect(gaps == 0 && stale == 0)
            Self.expectMatches(state, Self.lastRecords(Self.payloads, until: time), "seed \(Self.seed) until \(time)")
        }
        let (state, _, _) = Self.apply(Self.payloads)
        #expect(state.statistics.completedBatches >= 1 && state.statistics.otherBoard == 0)
        #expect(state.instruments.allSatisfy { $0.session == .closed && $0.closingPrice != nil })
    }

    /// With 3 % of the payloads lost before the close (the close itself arriving), gaps are seen and
    /// marked, and every instrument still ends exactly as over the lossless stream: the quotes and
    /// trades that follow a loss heal it.
    @Test func lostPayloadsHealAtTheNextQuoteAndTrade() {
        var rng = SplitMix64(seed: Self.seed)
        let lost = Set(Self.payloads.indices.filter { Self.payloads[$0].time < KRXSchedule.close && $0 > 10
                                                      && Double.random(in: 0..<1, using: &rng) < 0.03 })
        let lossless = Self.apply(Self.payloads).0
        let indexed = Array(Self.payloads.enumerated())
        var kept: [KRXPayload] = []
        for (i, payload) in indexed where !lost.contains(i) { kept.append(payload) }
        let (lossy, gaps, _) = Self.apply(kept)
        #expect(gaps > 10, "seed \(Self.seed): \(gaps) gaps from \(lost.count) lost payloads")
        Self.expectMatches(lossy, Self.lastRecords(Self.payloads), "seed \(Self.seed) lossy")
        for (a, b) in zip(lossless.instruments, lossy.instruments) {
            #expect(a.last == b.last && a.cumulativeVolume == b.cumulativeVolume && a.closingPrice == b.closingPrice)
        }
    }

    @Test func staleIsClearedByTheNextQuoteOnly() throws {
        var state = KRXMarketState(capacity: 4)
        let isin = try #require(ISIN("KR7005930003"))
        func record(_ encode: (UnsafeMutableRawPointer) -> Int, _ body: (KRXRecord) -> Void) {
            var bytes = [UInt8](repeating: 0, count: 632)
            let n = bytes.withUnsafeMutableBytes { encode($0.baseAddress!) }
            bytes.withUnsafeBytes { raw in
                var reader = KRXRecordReader(payload: UnsafeRawBufferPointer(rebasing: raw[0..<n]))
                body(reader.next()!)
            }
        }
        let header = KRXRecordHeader(trCode: TRCode(.trade, .kospi), sequenceNumber: 1, session: .continuous, isin: isin,
                                     designatedNumber: 1, processingTime: 36_000_000_000)
        let trade = KRXTrade(header: header, changeSign: .up, change: 100, price: 70_100, quantity: 5, open: 70_000, high: 70_100,
                             low: 70_000, accumulatedVolume: 10, accumulatedValue: KRXDecimal(scaled: 700_500_000, decimals: 3),
                             aggressor: .bid, lpHoldingQuantity: 0, bestAsk: 70_200, bestBid: 70_100)
        record({ TradeRecord.encode(trade, into: $0) }) { #expect(state.apply($0)?.changes == .trade) }
        state.markStale(0)
        record({ TradeRecord.encode(trade, into: $0) }) { state.apply($0) }
        #expect(state.instruments[0].isStale, "a trade does not heal the book")
        var quoteHeader = header
        quoteHeader.trCode = TRCode(.quote, .kospi)
        let quote = KRXQuote(header: quoteHeader, levels: Array(repeating: .empty, count: 10), totalAskQuantity: 0, totalBidQuantity: 0,
                             estimatedPrice: 0, estimatedVolume: 0, midpoint: 0, askMidpointQuantity: 0, bidMidpointQuantity: 0)
        record({ QuoteRecord.encode(quote, into: $0) }) { #expect(state.apply($0)?.changes == .book) }
        #expect(!state.instruments[0].isStale)
        // Another board is counted, not applied.
        var otherBoard = trade
        otherBoard.header.board = KRXBoardID("G4")!
        otherBoard.price = 1
        record({ TradeRecord.encode(otherBoard, into: $0) }) { #expect(state.apply($0) == nil) }
        #expect(state.statistics.otherBoard == 1 && state.instruments[0].last == 70_100)
        // A wrong check digit makes no instrument.
        var bad = trade
        bad.header.isin = Array("KR7005930004".utf8).withUnsafeBytes { ISIN(at: $0.baseAddress!) }
        record({ TradeRecord.encode(bad, into: $0) }) { #expect(state.apply($0) == nil) }
        #expect(state.statistics.invalidISIN == 1 && state.instruments.count == 1)
    }
}

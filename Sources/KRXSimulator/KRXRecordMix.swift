import KRX
import Market

/// A steady stream of well-formed KOSCOM records over some listings, in about the proportions of a
/// busy continuous session — 70 % quotes, 26 % trades, the rest market operation, VI, base price,
/// issue closing and polling records — with prices walking the grid inside the limits and sequence
/// numbers rising per instrument. Not a market (no auctions, no rules): the decode benchmark, the
/// fuzz seeds and the tshark check need realistic bytes, not a realistic day (`KRXTradingDay`).
public struct KRXRecordMix: Sendable {
    /// The listings the records are about.
    public let listings: [KRXListing]
    var rng: SplitMix64
    var last: [Int64]
    var sequence: [Int64]
    var volume: [Int64]
    var time: Int64 = 9 * 3_600_000_000

    /// A mix over `listings`, drawn from `seed`.
    public init(listings: [KRXListing], seed: UInt64) {
        self.listings = listings
        rng = SplitMix64(seed: seed)
        last = listings.map(\.basePrice)
        sequence = listings.map { _ in 0 }
        volume = listings.map { _ in 0 }
    }

    /// The instrument master batch of these listings (one `A001` per listing and each market's
    /// end-of-batch marker), as encoded records.
    public func masterBatch(businessDate: String = "20260105") -> [[UInt8]] {
        var records: [[UInt8]] = []
        for market in KRXMarket.allCases {
            let ofMarket = listings.filter { $0.market == market }
            guard !ofMarket.isEmpty else { continue }
            for (i, listing) in ofMarket.enumerated() {
                records.append(encoded { InstrumentMasterRecord.encode(listing.masterRecord(sequenceNumber: Int64(i + 1),
                                                                                             total: Int64(ofMarket.count),
                                                                                             businessDate: businessDate), into: $0) })
            }
            records.append(encoded {
                InstrumentMasterRecord.encodeEndOfBatch(trCode: TRCode(.instrumentMaster, market),
                                                        sequenceNumber: Int64(ofMarket.count + 1), into: $0)
            })
        }
        return records
    }

    /// Writes the next record at `out` (room for 632 bytes); returns its length.
    public mutating func next(into out: UnsafeMutableRawPointer) -> Int {
        time += Int64.random(in: 1...2_000, using: &rng)
        let i = Int.random(in: 0..<listings.count, using: &rng)
        let listing = listings[i]
        let (upper, lower) = listing.limits
        let roll = Int.random(in: 0..<1_000, using: &rng)
        if roll >= 999 { return PollingRecord.encode(minutesSinceMidnight: Int(time / 60_000_000), into: out) }
        sequence[i] += 1
        var header = KRXRecordHeader(trCode: TRCode(.quote, listing.market), sequenceNumber: sequence[i],
                                     session: .continuous, isin: listing.isin, designatedNumber: listing.designatedNumber,
                                     processingTime: time)
        // The price walks a tick at a time inside the day's limits.
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: last[i] = min(upper, KRXPriceGrid.tickUp(last[i]))
        case 1: last[i] = max(lower, KRXPriceGrid.tickDown(last[i]))
        default: break
        }
        let price = last[i]
        switch roll {
        case 0..<700:
            var ask = price, bid = KRXPriceGrid.tickDown(price)
            var levels: [KRXQuoteLevel] = []
            for _ in 0..<10 {
                levels.append(KRXQuoteLevel(askPrice: ask <= upper ? ask : 0, bidPrice: bid >= lower ? bid : 0,
                                            askQuantity: ask <= upper ? Int64.random(in: 1...5_000, using: &rng) : 0,
                                            bidQuantity: bid >= lower ? Int64.random(in: 1...5_000, using: &rng) : 0))
                ask = KRXPriceGrid.tickUp(ask)
                bid = KRXPriceGrid.tickDown(bid)
            }
            let quote = KRXQuote(header: header, levels: levels,
                                 totalAskQuantity: levels.reduce(0) { $0 + ($1.askQuantity ?? 0) },
                                 totalBidQuantity: levels.reduce(0) { $0 + ($1.bidQuantity ?? 0) },
                                 estimatedPrice: 0, estimatedVolume: 0, midpoint: 0, askMidpointQuantity: 0,
                                 bidMidpointQuantity: 0)
            return QuoteRecord.encode(quote, into: out)
        case 700..<960:
            header.trCode = TRCode(.trade, listing.market)
            let quantity = Int64.random(in: 1...500, using: &rng)
            volume[i] += quantity
            let trade = KRXTrade(header: header,
                                 changeSign: KRXChangeSign.of(price: price, base: listing.basePrice, upperLimit: upper,
                                                              lowerLimit: lower),
                                 change: abs(price - listing.basePrice), price: price, quantity: quantity,
                                 open: listing.basePrice, high: max(price, listing.basePrice), low: min(price, listing.basePrice),
                                 accumulatedVolume: volume[i], accumulatedValue: KRXDecimal(scaled: volume[i] * price * 1000, decimals: 3),
                                 aggressor: Bool.random(using: &rng) ? .bid : .ask, lpHoldingQuantity: 0,
                                 bestAsk: KRXPriceGrid.tickUp(price), bestBid: price)
            return TradeRecord.encode(trade, into: out)
        case 960..<975:
            header.trCode = TRCode(.marketOperation, listing.market)
            let halted = Bool.random(using: &rng)
            header.session = halted ? .halted : .continuous
            let event = KRXMarketOperation(header: header, eventID: KRXBoardEventID(halted ? "TH1" : "TR1")!,
                                           eventStartTime: time, groupCode: 5, haltReason: halted ? "101" : nil)
            return MarketOperationRecord.encode(event, into: out)
        case 975..<985 where listing.market != .konex:
            header.trCode = TRCode(.volatilityInterruption, listing.market)
            header.session = nil
            let vi = KRXVolatilityInterruption(header: header, endTime: time + 120_000_000,
                                               status: Bool.random(using: &rng) ? .triggered : .removed, type: .dynamicVI,
                                               staticBasePrice: listing.basePrice, dynamicBasePrice: price, triggerPrice: price,
                                               staticDisparity: KRXDecimal(scaled: 1_500_000, decimals: 6),
                                               dynamicDisparity: KRXDecimal(scaled: 3_000_000, decimals: 6))
            return VolatilityInterruptionRecord.encode(vi, into: out)
        case 985..<992:
            header.trCode = TRCode(.basePrice, listing.market)
            header.session = nil
            header.processingTime = nil
            return BasePriceRecord.encode(KRXBasePrice(header: header, basePrice: listing.basePrice, upperLimit: upper,
                                                       lowerLimit: lower), into: out)
        default:
            header.trCode = TRCode(.issueClosing, listing.market)
            header.session = nil
            header.processingTime = nil
            return IssueClosingRecord.encode(KRXIssueClosing(header: header, closingPrice: price,
                                                             closingPriceType: .closingPrice, weightedAveragePrice: price,
                                                             buyInBasePrice: 0, buyInUpperLimit: 0, buyInLowerLimit: 0),
                                             into: out)
        }
    }
}

/// One record encoded into a new array.
public func encoded(_ encode: (UnsafeMutableRawPointer) -> Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: InstrumentMasterRecord.Layout.length)
    let length = bytes.withUnsafeMutableBytes { encode($0.baseAddress!) }
    return Array(bytes[0..<length])
}

extension KRXListing {
    /// This listing's instrument master record.
    public func masterRecord(sequenceNumber: Int64, total: Int64, businessDate: String) -> KRXInstrument {
        let (upper, lower) = limits
        return KRXInstrument(trCode: TRCode(.instrumentMaster, market), sequenceNumber: sequenceNumber,
                             totalInstruments: total, businessDate: businessDate, isin: isin,
                             designatedNumber: designatedNumber, shortCode: "A" + code, koreanName: koreanName,
                             englishName: englishName, isHalted: false, basePrice: basePrice,
                             previousCloseType: .closingPrice, previousClose: basePrice, previousVolume: 0,
                             previousValue: KRXDecimal(scaled: 0, decimals: 3), upperLimit: upper, lowerLimit: lower,
                             parValue: KRXDecimal(scaled: 100_000, decimals: 3), listedShares: 100_000_000, lotSize: lotSize)
    }
}

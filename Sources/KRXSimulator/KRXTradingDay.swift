import Foundation
import KRX
import Market

/// What the day did, counted as it went.
public struct KRXDayStatistics: Sendable, Equatable {
    /// Records written, per kind (`KRXRecordKind.allCases` order; end-of-batch markers under the
    /// instrument master).
    public var records = [Int](repeating: 0, count: KRXRecordKind.allCases.count)
    /// Payloads produced.
    public var payloads = 0
    /// Volatility interruptions triggered, by type.
    public var staticVIs = 0, dynamicVIs = 0, bothVIs = 0
    /// Opening and closing auctions extended by a VI.
    public var extendedAuctions = 0
    /// Halts.
    public var halts = 0
    /// News events.
    public var news = 0
    /// Single-price auctions that executed something (opening, closing, after a VI or a halt).
    public var uncrosses = 0
    /// Trades in continuous trading.
    public var continuousTrades = 0

    /// Records of `kind`.
    public func records(_ kind: KRXRecordKind) -> Int { records[kind.ordinal] }
}

/// A simulated Korean trading day on the wire: KOSCOM records for `instrumentCount` listed stocks,
/// grouped into UDP payloads, following KRX's rules (docs/krx.md, "The simulated day"):
///
/// 08:20 the instrument master batch; 08:25 base prices and limits; 08:30 the opening single-price
/// auction takes orders, its estimated price and volume in every quote; 09:00 the uncross at the
/// price executing the most (`SinglePriceAuction`), extended two minutes and up to 30 seconds when
/// that price is a static VI away from the base price; continuous trading on the tick grid inside
/// the ±30 % limits, where a trade that would move the price past a VI threshold
/// (`VolatilityInterruptionRule`) starts a 2-minute single-price auction ending at a random moment
/// within the next 30 seconds, announced by R8 and A7 records; halts (A7 with a halt reason) of 5–20
/// minutes followed by a 10-minute single-price auction; 15:20 the closing auction; 15:30 its
/// uncross (VI-extended likewise), the issue closing (A6) and the board's close; a polling record
/// every minute. Sequence numbers rise by one per record of each instrument (board G1).
///
/// Deterministic: the same configuration gives the same bytes. `nextPayload()` hands out the day a
/// payload at a time, with its simulated time; pacing them (`wallOffset`) is the caller's.
public struct KRXTradingDay: Sendable {
    /// The configuration (validated).
    public let configuration: KRXSimulatorConfiguration
    /// The instruments.
    public let listings: [KRXListing]
    /// What the day did so far.
    public private(set) var statistics = KRXDayStatistics()

    var stocks: [SimulatedStock]
    var rng: SplitMix64
    var events = DayEventQueue()
    var packer: KRXPayloadPacker
    var ready: [KRXPayload] = []
    var readyIndex = 0
    var now: Int64 = 0
    /// Per-event standard deviation of the fair value's log in continuous trading (2 % a day).
    let volatilityPerOrder: Double

    /// A day for `configuration`; stops with the field's name when it does not validate.
    public init(_ configuration: KRXSimulatorConfiguration) {
        if let problem = configuration.validate() { preconditionFailure("KRXSimulatorConfiguration: \(problem)") }
        self.configuration = configuration
        rng = SplitMix64(seed: configuration.seed)
        listings = KRXListingGenerator.listings(count: configuration.instrumentCount, seed: configuration.seed)
        packer = KRXPayloadPacker(maxPayloadSize: configuration.maxPayloadSize)
        // Activity: weight ∝ 1/rank^0.8 over shuffled ranks, normalised to a mean of 1.
        var ranks = Array(1...listings.count)
        ranks.shuffle(using: &rng)
        let weights = ranks.map { 1 / pow(Double($0), 0.8) }
        let mean = weights.reduce(0, +) / Double(weights.count)
        var stocks: [SimulatedStock] = []
        for (i, listing) in listings.enumerated() {
            // Overnight news: the day's fair value starts up to a few percent away from yesterday's close.
            let overnight = exp(0.015 * Self.normal(&rng))
            stocks.append(SimulatedStock(listing: listing, activity: weights[i] / mean,
                                         fair: Double(listing.basePrice) * overnight))
        }
        self.stocks = stocks
        volatilityPerOrder = 0.02 / (configuration.ordersPerMinute * 390).squareRoot()
        schedule()
    }

    /// The next payload of the day, `nil` once the day is over.
    public mutating func nextPayload() -> KRXPayload? {
        while readyIndex == ready.count {
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            guard let (time, event) = events.next() else { return nil }
            now = time
            handle(event)
            packer.flush()
            ready = packer.take()
            statistics.payloads += ready.count
        }
        defer { readyIndex += 1 }
        return ready[readyIndex]
    }

    /// When `payload` is sent if the day is replayed at `configuration.timeCompression` simulated
    /// seconds per second, in nanoseconds after the first payload (the master batch at 08:20).
    public func wallOffset(of payload: KRXPayload) -> UInt64 {
        UInt64(max(0, Double(payload.time - KRXSchedule.masterBatch) * 1_000 / configuration.timeCompression))
    }

    // MARK: - The timetable

    mutating func schedule() {
        for time in KRXSchedule.masterBatchTimes { events.schedule(.masterBatch, at: time) }
        events.schedule(.basePrices, at: KRXSchedule.basePrices)
        events.schedule(.openingAuctionStart, at: KRXSchedule.openingAuction)
        events.schedule(.openingUncross, at: KRXSchedule.open)
        events.schedule(.closingAuctionStart, at: KRXSchedule.closingAuction)
        events.schedule(.closingUncross, at: KRXSchedule.close)
        var minute = KRXSchedule.openingAuction
        while minute <= KRXSchedule.close {
            events.schedule(.polling, at: minute)
            minute += 60_000_000
        }
        let continuous = Double(KRXSchedule.closingAuction - KRXSchedule.open)
        for i in stocks.indices {
            var t = Double(KRXSchedule.open)
            while configuration.newsPerInstrument > 0 {
                t += exponential(mean: continuous / configuration.newsPerInstrument)
                guard t < Double(KRXSchedule.closingAuction) else { break }
                events.schedule(.news(i), at: Int64(t))
            }
        }
        var t = Double(KRXSchedule.open + 300_000_000)
        while configuration.haltsPerDay > 0 {
            t += exponential(mean: Double(KRXSchedule.lastHaltStart - KRXSchedule.open) / configuration.haltsPerDay)
            guard t < Double(KRXSchedule.lastHaltStart) else { break }
            events.schedule(.halt, at: Int64(t))
        }
    }

    /// Orders per simulated minute for instrument `i` in its current phase (0: none).
    func orderRate(_ i: Int) -> Double {
        let activity = stocks[i].activity
        switch stocks[i].phase {
        case .beforeOpen, .halted, .closed: return 0
        case .openingAuction, .openingExtension: return activity * configuration.openingAuctionOrders / 30
        case .closingAuction, .closingExtension: return activity * configuration.closingAuctionOrders / 10
        case .continuous, .volatilityInterruption, .resumptionAuction: return activity * configuration.ordersPerMinute
        }
    }

    mutating func scheduleNextOrder(_ i: Int) {
        let rate = orderRate(i)
        guard rate > 0 else { return }
        let gap = exponential(mean: 60_000_000 / rate)
        events.schedule(.order(i), at: now + max(1, Int64(gap)))
    }

    // MARK: - Events

    mutating func handle(_ event: DayEvent) {
        switch event {
        case .masterBatch: sendMasterBatch()
        case .basePrices:
            for i in stocks.indices { sendBasePrice(i) }
        case .openingAuctionStart:
            for i in stocks.indices {
                stocks[i].phase = .openingAuction
                sendOperation(i, .openingAuction, event: "OPA")
                sendQuote(i)
                packer.flush()
                scheduleNextOrder(i)
            }
        case .openingUncross:
            for i in stocks.indices { openingUncross(i) }
        case .closingAuctionStart:
            for i in stocks.indices where stocks[i].phase == .continuous {
                stocks[i].phase = .closingAuction
                sendOperation(i, .closingAuction, event: "CLA")
                sendQuote(i)
                packer.flush()
            }
        case .closingUncross:
            for i in stocks.indices where stocks[i].phase == .closingAuction { closingUncross(i) }
        case .polling:
            packer.append(time: now) { PollingRecord.encode(minutesSinceMidnight: Int(now / 60_000_000), into: $0) }
            count(.polling)
        case .order(let i):
            order(i)
            scheduleNextOrder(i)
        case .news(let i): news(i)
        case .halt: halt()
        case .auctionEnd(let i, let generation):
            guard generation == stocks[i].generation else { return }
            auctionEnd(i)
        case .haltEnd(let i, let generation):
            guard generation == stocks[i].generation, case .halted = stocks[i].phase else { return }
            let ends = now + KRXSchedule.resumptionAuction
            stocks[i].phase = .resumptionAuction(endsAt: ends)
            stocks[i].generation += 1
            events.schedule(.auctionEnd(i, generation: stocks[i].generation), at: ends)
            sendOperation(i, .intradayAuction, event: "RSA")
            sendQuote(i)
            scheduleNextOrder(i)
        }
    }

    mutating func openingUncross(_ i: Int) {
        let stock = stocks[i]
        if let estimate = stock.book.uncross(reference: stock.listing.basePrice),
           VolatilityInterruptionRule.isBeyond(estimate.price, percent: VolatilityInterruptionRule.staticPercent,
                                               of: stock.staticBase) {
            // The opening price would be a static VI away: the auction runs two minutes more.
            let ends = now + KRXSchedule.viAuction + randomEnd()
            stocks[i].phase = .openingExtension(endsAt: ends)
            statistics.extendedAuctions += 1
            startVI(i, type: .staticVI, trigger: estimate.price, endsAt: ends, session: .openingAuction)
            return
        }
        finishOpening(i)
    }

    mutating func finishOpening(_ i: Int) {
        uncross(i, reference: stocks[i].listing.basePrice, session: .openingAuction)
        stocks[i].phase = .continuous
        sendOperation(i, .continuous, event: "CTS")
        sendQuote(i)
    }

    mutating func closingUncross(_ i: Int) {
        let stock = stocks[i]
        let reference = stock.lastTrade ?? stock.staticBase
        if let estimate = stock.book.uncross(reference: reference),
           let type = VolatilityInterruptionRule.check(
               price: estimate.price, staticBase: stock.staticBase, lastTrade: stock.lastTrade,
               dynamicPercent: VolatilityInterruptionRule.dynamicPercent(kospi200: stock.listing.isKOSPI200,
                                                                         closingAuction: true)) {
            let ends = now + KRXSchedule.viAuction + randomEnd()
            stocks[i].phase = .closingExtension(endsAt: ends)
            statistics.extendedAuctions += 1
            startVI(i, type: type, trigger: estimate.price, endsAt: ends, session: .closingAuction)
            return
        }
        finishClosing(i)
    }

    mutating func finishClosing(_ i: Int) {
        let tradedBefore = stocks[i].open != nil
        let traded = uncross(i, reference: stocks[i].lastTrade ?? stocks[i].staticBase, session: .closingAuction)
        stocks[i].phase = .closed
        let stock = stocks[i]
        sendQuote(i)
        let closingPrice = stock.lastTrade ?? stock.listing.basePrice
        let type: KRXClosingPriceType = traded || tradedBefore ? .closingPrice : .noTrades
        sequence(i) { header, out in
            IssueClosingRecord.encode(KRXIssueClosing(header: header.withoutSessionAndTime(.issueClosing),
                                                      closingPrice: closingPrice, closingPriceType: type,
                                                      weightedAveragePrice: closingPrice, buyInBasePrice: 0,
                                                      buyInUpperLimit: 0, buyInLowerLimit: 0), into: out)
        }
        count(.issueClosing)
        sendOperation(i, .closed, event: "CLS")
    }

    /// Ends instrument `i`'s current single-price auction.
    mutating func auctionEnd(_ i: Int) {
        switch stocks[i].phase {
        case .openingExtension:
            endVI(i, session: .openingAuction)
            finishOpening(i)
        case .closingExtension:
            endVI(i, session: .closingAuction)
            finishClosing(i)
        case .volatilityInterruption:
            if now >= KRXSchedule.closingAuction {
                // The closing auction has begun meanwhile: the orders carry over into it.
                endVI(i, session: .closingAuction)
                stocks[i].phase = .closingAuction
                sendOperation(i, .closingAuction, event: "CLA")
            } else {
                uncross(i, reference: stocks[i].lastTrade ?? stocks[i].staticBase, session: .intradayAuction)
                endVI(i, session: .continuous)
                stocks[i].phase = .continuous
                sendOperation(i, .continuous, event: "CTS")
            }
            sendQuote(i)
        case .resumptionAuction:
            uncross(i, reference: stocks[i].lastTrade ?? stocks[i].staticBase, session: .intradayAuction)
            stocks[i].phase = .continuous
            sendOperation(i, .continuous, event: "CTS")
            sendQuote(i)
        default:
            break
        }
    }

    /// Executes instrument `i`'s book at its single price, if anything crosses: one A3 at that
    /// price, which becomes the static base and the last trade. Returns whether it traded.
    @discardableResult
    mutating func uncross(_ i: Int, reference: Int64, session: KRXSessionID) -> Bool {
        guard let result = stocks[i].book.uncross(reference: reference) else { return false }
        stocks[i].book.apply(result)
        stocks[i].staticBase = result.price
        statistics.uncrosses += 1
        sendTrade(i, price: result.price, quantity: result.volume, aggressor: .auction, session: session)
        return true
    }

    // MARK: Orders

    mutating func order(_ i: Int) {
        switch stocks[i].phase {
        case .beforeOpen, .halted, .closed:
            return
        case .continuous:
            driftFairValue(i)
            let roll = Double.random(in: 0..<1, using: &rng)
            if roll < 0.5 || stocks[i].book.bids.levels.count < 3 || stocks[i].book.asks.levels.count < 3 {
                passiveOrder(i)
            } else if roll < 0.65 {
                cancel(i)
            } else {
                aggressiveOrder(i)
            }
        case .openingAuction, .openingExtension, .volatilityInterruption, .resumptionAuction, .closingAuction,
             .closingExtension:
            auctionOrder(i)
        }
    }

    mutating func driftFairValue(_ i: Int) {
        let moved = stocks[i].fair * exp(volatilityPerOrder * Self.normal(&rng))
        stocks[i].fair = min(Double(stocks[i].upper), max(Double(stocks[i].lower), moved))
    }

    /// An order resting on the book near the fair value, never crossing it.
    mutating func passiveOrder(_ i: Int) {
        let stock = stocks[i]
        let isBid = Bool.random(using: &rng)
        let away = Int(pow(Double.random(in: 0..<1, using: &rng), 2) * 8)
        var price: Int64
        if isBid {
            price = KRXPriceGrid.roundedDown(Int64(stock.fair))
            for _ in 0..<away { price = KRXPriceGrid.tickDown(price) }
            if let ask = stock.book.asks.best, price >= ask { price = KRXPriceGrid.tickDown(ask) }
            price = min(max(price, stock.lower), stock.upper)
            if let ask = stock.book.asks.best, price >= ask { return }
        } else {
            price = KRXPriceGrid.roundedUp(Int64(stock.fair.rounded(.up)))
            for _ in 0..<away { price = KRXPriceGrid.tickUp(price) }
            if let bid = stock.book.bids.best, price <= bid { price = KRXPriceGrid.tickUp(bid) }
            price = min(max(price, stock.lower), stock.upper)
            if let bid = stock.book.bids.best, price <= bid { return }
        }
        let quantity = orderQuantity(price)
        if isBid { stocks[i].book.bids.add(price, quantity) } else { stocks[i].book.asks.add(price, quantity) }
        sendQuote(i)
    }

    /// Part or all of a resting level withdrawn.
    mutating func cancel(_ i: Int) {
        let isBid = Bool.random(using: &rng)
        let levels = isBid ? stocks[i].book.bids.levels : stocks[i].book.asks.levels
        guard levels.count > 3 else { return passiveOrder(i) }
        let index = Int.random(in: 0..<levels.count, using: &rng)
        let quantity = Int64.random(in: 1...levels[index].quantity, using: &rng)
        if isBid { stocks[i].book.bids.take(quantity, at: index) } else { stocks[i].book.asks.take(quantity, at: index) }
        sendQuote(i)
    }

    /// A marketable order toward the fair value, filled level by level until its limit, its
    /// quantity, or a price past a VI threshold (which starts the VI instead of trading there).
    mutating func aggressiveOrder(_ i: Int) {
        let stock = stocks[i]
        guard let bestBid = stock.book.bids.best, let bestAsk = stock.book.asks.best else { return passiveOrder(i) }
        let mid = Double(bestBid + bestAsk) / 2
        let buyProbability = 0.5 + min(0.4, max(-0.4, (stock.fair - mid) / mid * 50))
        let isBuy = Double.random(in: 0..<1, using: &rng) < buyProbability
        var left = orderQuantity(isBuy ? bestAsk : bestBid)
        let limit = isBuy ? max(bestAsk, min(stock.upper, KRXPriceGrid.roundedDown(Int64(stock.fair * 1.003))))
            : min(bestBid, max(stock.lower, KRXPriceGrid.roundedUp(Int64(stock.fair * 0.997))))
        let dynamicPercent = VolatilityInterruptionRule.dynamicPercent(kospi200: stock.listing.isKOSPI200, closingAuction: false)
        while left > 0 {
            let side = isBuy ? stocks[i].book.asks : stocks[i].book.bids
            guard let level = side.levels.first, isBuy ? level.price <= limit : level.price >= limit else { break }
            if let type = VolatilityInterruptionRule.check(price: level.price, staticBase: stocks[i].staticBase,
                                                           lastTrade: stocks[i].lastTrade, dynamicPercent: dynamicPercent) {
                // The rest of the order waits in the VI's single-price auction at its limit.
                if isBuy { stocks[i].book.bids.add(limit, left) } else { stocks[i].book.asks.add(limit, left) }
                let ends = now + KRXSchedule.viAuction + randomEnd()
                stocks[i].phase = .volatilityInterruption(endsAt: ends)
                startVI(i, type: type, trigger: level.price, endsAt: ends, session: .intradayAuction)
                return
            }
            let filled = isBuy ? stocks[i].book.asks.take(left, at: 0) : stocks[i].book.bids.take(left, at: 0)
            left -= filled
            statistics.continuousTrades += 1
            sendTrade(i, price: level.price, quantity: filled, aggressor: isBuy ? .bid : .ask, session: .continuous)
        }
        if left > 0 {
            if isBuy { stocks[i].book.bids.add(limit, left) } else { stocks[i].book.asks.add(limit, left) }
        }
        sendQuote(i)
    }

    /// An order in a single-price auction: around the fair value, the two sides overlapping so the
    /// auction has something to execute.
    mutating func auctionOrder(_ i: Int) {
        driftFairValue(i)
        let stock = stocks[i]
        let isBid = Bool.random(using: &rng)
        let offset = isBid ? Double.random(in: -0.02...0.01, using: &rng) : Double.random(in: -0.01...0.02, using: &rng)
        let raw = Int64(stock.fair * (1 + offset))
        let price = min(max(isBid ? KRXPriceGrid.roundedDown(raw) : KRXPriceGrid.roundedUp(raw), stock.lower), stock.upper)
        let quantity = orderQuantity(price)
        if isBid { stocks[i].book.bids.add(price, quantity) } else { stocks[i].book.asks.add(price, quantity) }
        sendQuote(i)
    }

    /// Shares of one order at `price`: log-uniform from 1 up to about 30 million won's worth (at most 2 000).
    mutating func orderQuantity(_ price: Int64) -> Int64 {
        let most = Double(max(10, min(2_000, 30_000_000 / max(price, 1))))
        return max(1, Int64(exp(Double.random(in: 0...log(most), using: &rng))))
    }

    // MARK: News, VIs, halts

    mutating func news(_ i: Int) {
        statistics.news += 1
        let up = Bool.random(using: &rng)
        let size = Double.random(in: 0.02...0.12, using: &rng)
        let moved = stocks[i].fair * (up ? 1 + size : 1 - size)
        stocks[i].fair = min(Double(stocks[i].upper), max(Double(stocks[i].lower), moved))
        guard stocks[i].phase == .continuous else { return }
        // The quotes on the wrong side of the news are pulled; new ones come at the new value.
        if up { stocks[i].book.asks.removeAll() } else { stocks[i].book.bids.removeAll() }
        sendQuote(i)
    }

    mutating func startVI(_ i: Int, type: KRXVIType, trigger: Int64, endsAt: Int64, session: KRXSessionID) {
        switch type {
        case .staticVI: statistics.staticVIs += 1
        case .dynamicVI: statistics.dynamicVIs += 1
        case .staticAndDynamic: statistics.bothVIs += 1
        }
        stocks[i].viType = type
        stocks[i].viTrigger = trigger
        stocks[i].generation += 1
        events.schedule(.auctionEnd(i, generation: stocks[i].generation), at: endsAt)
        sendVI(i, status: .triggered, endsAt: endsAt)
        sendOperation(i, session, event: "VIA")
        sendQuote(i)
    }

    mutating func endVI(_ i: Int, session: KRXSessionID) {
        sendVI(i, status: .removed, endsAt: now)
    }

    mutating func halt() {
        let candidates = stocks.indices.filter { stocks[$0].phase == .continuous }
        guard let i = candidates.randomElement(using: &rng) else { return }
        statistics.halts += 1
        let until = min(now + Int64.random(in: 300_000_000...1_200_000_000, using: &rng), KRXSchedule.lastHaltEnd)
        stocks[i].phase = .halted(until: until)
        stocks[i].generation += 1
        events.schedule(.haltEnd(i, generation: stocks[i].generation), at: until)
        sendOperation(i, .halted, event: "HLT", haltReason: stocks[i].listing.market == .kospi ? "101" : "601")
    }

    // MARK: - Records

    /// Writes a real-time record of instrument `i` with the next sequence number; `encode` gets the
    /// header (TR code still to be set by the record).
    mutating func sequence(_ i: Int, _ encode: (KRXRecordHeader, UnsafeMutableRawPointer) -> Int) {
        stocks[i].sequence += 1
        let stock = stocks[i]
        let header = KRXRecordHeader(trCode: TRCode(.quote, stock.listing.market), sequenceNumber: stock.sequence,
                                     session: stock.session, isin: stock.listing.isin,
                                     designatedNumber: stock.listing.designatedNumber, processingTime: now)
        packer.append(time: now) { encode(header, $0) }
    }

    mutating func count(_ kind: KRXRecordKind) {
        statistics.records[kind.ordinal] += 1
    }

    mutating func sendMasterBatch() {
        for market in KRXMarket.allCases {
            let indices = stocks.indices.filter { stocks[$0].listing.market == market }
            guard !indices.isEmpty else { continue }
            for (n, i) in indices.enumerated() {
                let record = stocks[i].listing.masterRecord(sequenceNumber: Int64(n + 1), total: Int64(indices.count),
                                                            businessDate: configuration.businessDate)
                packer.append(time: now) { InstrumentMasterRecord.encode(record, into: $0) }
                count(.instrumentMaster)
            }
            packer.append(time: now) {
                InstrumentMasterRecord.encodeEndOfBatch(trCode: TRCode(.instrumentMaster, market),
                                                        sequenceNumber: Int64(indices.count + 1), into: $0)
            }
            count(.instrumentMaster)
            packer.flush()
        }
    }

    mutating func sendBasePrice(_ i: Int) {
        let stock = stocks[i]
        sequence(i) { header, out in
            BasePriceRecord.encode(KRXBasePrice(header: header.withoutSessionAndTime(.basePrice), basePrice: stock.listing.basePrice,
                                                upperLimit: stock.upper, lowerLimit: stock.lower), into: out)
        }
        count(.basePrice)
    }

    mutating func sendOperation(_ i: Int, _ session: KRXSessionID, event: String, haltReason: String? = nil) {
        stocks[i].session = session
        sequence(i) { header, out in
            var h = header
            h.trCode = TRCode(.marketOperation, h.trCode.market!)
            return MarketOperationRecord.encode(KRXMarketOperation(header: h, eventID: KRXBoardEventID(event)!, eventStartTime: h.processingTime,
                                                                   groupCode: 5, haltReason: haltReason), into: out)
        }
        count(.marketOperation)
    }

    mutating func sendQuote(_ i: Int) {
        let stock = stocks[i]
        let estimate = stock.session.isSinglePriceAuction
            ? stock.book.uncross(reference: stock.lastTrade ?? stock.staticBase) : nil
        let levels = stock.book.topLevels
        let midpoint: Int64 = {
            guard !stock.session.isSinglePriceAuction, let bid = stock.book.bids.best, let ask = stock.book.asks.best else { return 0 }
            return (bid + ask) / 2
        }()
        sequence(i) { header, out in
            QuoteRecord.encode(KRXQuote(header: header, levels: levels, totalAskQuantity: stock.book.asks.total,
                                        totalBidQuantity: stock.book.bids.total, estimatedPrice: estimate?.price ?? 0,
                                        estimatedVolume: estimate?.volume ?? 0, midpoint: midpoint, askMidpointQuantity: 0,
                                        bidMidpointQuantity: 0), into: out)
        }
        count(.quote)
    }

    mutating func sendTrade(_ i: Int, price: Int64, quantity: Int64, aggressor: KRXAggressorSide, session: KRXSessionID) {
        stocks[i].record(price: price, quantity: quantity)
        stocks[i].session = session
        let stock = stocks[i]
        let base = stock.listing.basePrice
        sequence(i) { header, out in
            var h = header
            h.trCode = TRCode(.trade, h.trCode.market!)
            return TradeRecord.encode(KRXTrade(header: h, changeSign: KRXChangeSign.of(price: price, base: base, upperLimit: stock.upper,
                                                                                       lowerLimit: stock.lower),
                                               change: abs(price - base), price: price, quantity: quantity, open: stock.open,
                                               high: stock.high, low: stock.low, accumulatedVolume: stock.volume,
                                               accumulatedValue: KRXDecimal(scaled: stock.value * 1_000, decimals: 3),
                                               aggressor: aggressor, lpHoldingQuantity: 0,
                                               bestAsk: stock.book.asks.best ?? 0, bestBid: stock.book.bids.best ?? 0), into: out)
        }
        count(.trade)
    }

    mutating func sendVI(_ i: Int, status: KRXVIStatus, endsAt: Int64) {
        let stock = stocks[i]
        let dynamicBase = stock.lastTrade
        sequence(i) { header, out in
            var h = header.withoutSessionAndTime(.volatilityInterruption)
            h.processingTime = header.processingTime
            return VolatilityInterruptionRecord.encode(
                KRXVolatilityInterruption(header: h, endTime: endsAt, status: status, type: stock.viType,
                                          staticBasePrice: stock.staticBase, dynamicBasePrice: dynamicBase ?? 0,
                                          triggerPrice: stock.viTrigger,
                                          staticDisparity: VolatilityInterruptionRule.disparity(stock.viTrigger, from: stock.staticBase),
                                          dynamicDisparity: dynamicBase.map { VolatilityInterruptionRule.disparity(stock.viTrigger, from: $0) }
                                              ?? KRXDecimal(scaled: 0, decimals: 6)), into: out)
        }
        count(.volatilityInterruption)
    }

    // MARK: - Randomness

    mutating func randomEnd() -> Int64 { Int64.random(in: 0...KRXSchedule.randomEnd, using: &rng) }

    mutating func exponential(mean: Double) -> Double {
        -mean * log(1 - Double.random(in: 0..<1, using: &rng))
    }

    /// A standard normal draw (Box–Muller).
    static func normal(_ rng: inout SplitMix64) -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &rng), v = Double.random(in: 0..<1, using: &rng)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

/// One instrument's state in the simulator: its phase of the day, its book and its statistics.
struct SimulatedStock: Sendable {
    /// Where the instrument is in the day: a state machine driven by `KRXTradingDay`'s events.
    enum Phase: Sendable, Equatable {
        case beforeOpen
        case openingAuction
        case openingExtension(endsAt: Int64)
        case continuous
        case volatilityInterruption(endsAt: Int64)
        case halted(until: Int64)
        case resumptionAuction(endsAt: Int64)
        case closingAuction
        case closingExtension(endsAt: Int64)
        case closed
    }

    let listing: KRXListing
    let upper: Int64
    let lower: Int64
    /// Relative activity (mean 1 over all instruments).
    let activity: Double
    var phase = Phase.beforeOpen
    var session = KRXSessionID.beforeOpen
    var book = SimulatedBook()
    /// Where the price is heading: orders gather around it.
    var fair: Double
    var sequence: Int64 = 0
    /// Bumped whenever an auction or halt end is scheduled; an end event of an older generation is stale.
    var generation = 0
    var lastTrade: Int64?
    /// The static VI base: the base price, then each single-price result.
    var staticBase: Int64
    var open: Int64?, high: Int64?, low: Int64?
    var volume: Int64 = 0
    /// Accumulated value, won.
    var value: Int64 = 0
    var viType = KRXVIType.staticVI
    var viTrigger: Int64 = 0

    init(listing: KRXListing, activity: Double, fair: Double) {
        self.listing = listing
        (upper, lower) = listing.limits
        self.activity = activity
        self.fair = min(Double(upper), max(Double(lower), fair))
        staticBase = listing.basePrice
    }

    mutating func record(price: Int64, quantity: Int64) {
        lastTrade = price
        if open == nil { open = price }
        high = max(high ?? price, price)
        low = min(low ?? price, price)
        volume += quantity
        value += price * quantity
    }
}

extension KRXRecordHeader {
    /// This header for a `kind` record whose layout has neither session nor processing time.
    func withoutSessionAndTime(_ kind: KRXRecordKind) -> KRXRecordHeader {
        var h = self
        h.trCode = TRCode(kind, trCode.market!)
        h.session = nil
        h.processingTime = nil
        return h
    }
}

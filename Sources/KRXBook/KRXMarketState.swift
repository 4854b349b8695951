import KRX
import Market

/// What the instrument master says about an instrument that a screen shows by name. Kept apart
/// from `KRXInstrumentState` so the per-record state holds no strings.
public struct KRXInstrumentNames: Sendable, Equatable {
    /// The Korean name (`nil` when the master's bytes were not CP949, or no master arrived).
    public var korean: String?
    /// The English name.
    public var english: String?
    /// The master's short code, e.g. `A005930`.
    public var shortCode: String?
    /// The lot size.
    public var lotSize: Int64?

    /// Nothing known.
    public init() {}
}

/// What `KRXMarketState` did with the records it was given; every record lands in exactly one of
/// `applied`, `otherBoard`, `unknownInstrument` and `directoryFull`.
public struct KRXStateStatistics: Sendable, Equatable {
    /// Records applied, per kind (`KRXRecordKind.allCases` order; end-of-batch markers under the
    /// instrument master).
    public var applied = InlineArray<8, Int>(repeating: 0)
    /// Real-time records of a board other than `G1` (pre- and after-hours, block trades), not applied.
    public var otherBoard = 0
    /// Records whose ISIN has a wrong check digit: no instrument is made for them.
    public var invalidISIN = 0
    /// Records of a new instrument past the state's capacity.
    public var directoryFull = 0
    /// Markets whose master batch ended (`A001x` end-of-batch marker).
    public var completedBatches = 0

    /// All zero.
    public init() {}

    /// Records of `kind` applied.
    public func applied(_ kind: KRXRecordKind) -> Int { applied[kind.ordinal] }

    /// Equal when every count is.
    public static func == (a: KRXStateStatistics, b: KRXStateStatistics) -> Bool {
        a.otherBoard == b.otherBoard && a.invalidISIN == b.invalidISIN && a.directoryFull == b.directoryFull
            && a.completedBatches == b.completedBatches && (0..<8).allSatisfy { a.applied[$0] == b.applied[$0] }
    }
}

/// The market as KOSCOM's records describe it, per instrument (`KRXInstrumentState`), updated one
/// decoded record at a time: the groundwork of the KRX feed's `apply` stage. Independent of the
/// ring's `Tick`: mapping a state to ticks is the adapter's.
///
/// Instruments are numbered by `KRXInstrumentDirectory` as their first record arrives (the master
/// comes once, before the open; a receiver started later learns instruments from their quotes), up
/// to `capacity`, all storage allocated at start: applying a real-time record allocates nothing.
/// Only the regular board `G1` is applied.
///
/// Healing: a quote is a whole 10-level picture and a trade carries the day's values, so a state
/// marked stale after a gap (`markStale`) is whole again at its next quote, which clears the mark;
/// the session in the quote's header also ends a VI whose removal was lost.
public struct KRXMarketState: Sendable {
    /// The instrument numbering.
    public private(set) var directory: KRXInstrumentDirectory
    /// The states, by directory index.
    public private(set) var instruments: [KRXInstrumentState] = []
    /// Names from the master, by directory index.
    public private(set) var names: [KRXInstrumentNames] = []
    /// Counts.
    public private(set) var statistics = KRXStateStatistics()

    /// A state for up to `capacity` instruments.
    public init(capacity: Int) {
        directory = KRXInstrumentDirectory(capacity: capacity)
        instruments.reserveCapacity(capacity)
        names.reserveCapacity(capacity)
    }

    /// The directory index of `isin`'s instrument, making one if it is new; `nil` (counted) for an
    /// invalid ISIN or when the state is full. The feed asks for it before `apply`, to follow the
    /// record's sequence number with the same index.
    public mutating func index(registering isin: ISIN) -> Int? {
        if let index = directory.index(of: isin) { return index }
        switch directory.index(adding: isin) {
        case .success(let index):
            instruments.append(KRXInstrumentState(isin: isin))
            names.append(KRXInstrumentNames())
            return index
        case .failure(.invalidISIN):
            statistics.invalidISIN += 1
            return nil
        case .failure(.full):
            statistics.directoryFull += 1
            return nil
        }
    }

    /// The index of `isin`'s instrument, `nil` if no record of it was applied.
    public func index(of isin: ISIN) -> Int? { directory.index(of: isin) }

    /// Marks instrument `index` stale: records of it were lost. Its next quote clears the mark.
    public mutating func markStale(_ index: Int) { instruments[index].isStale = true }

    /// Applies one decoded record; returns the instrument it changed and what changed, `nil` for a
    /// record that changes no instrument (polling, end of batch, another board, a refused ISIN).
    @discardableResult
    public mutating func apply(_ record: KRXRecord) -> (instrument: Int, changes: KRXStateChange)? {
        switch record {
        case .quote(let q):
            guard let i = realTime(q, kind: .quote) else { return nil }
            applyQuote(q, to: i)
            return (i, .book)
        case .trade(let t):
            guard let i = realTime(t, kind: .trade) else { return nil }
            applyTrade(t, to: i)
            return (i, .trade)
        case .marketOperation(let e):
            guard let i = realTime(e, kind: .marketOperation) else { return nil }
            let reason = e.bytes.byte(MarketOperationRecord.Layout.haltReason.offset)
            instruments[i].haltReason = e.isHalt
                ? UInt32(reason) | UInt32(e.bytes.byte(MarketOperationRecord.Layout.haltReason.offset + 1)) << 8
                    | UInt32(e.bytes.byte(MarketOperationRecord.Layout.haltReason.offset + 2)) << 16
                : nil
            if instruments[i].session?.isSinglePriceAuction != true { clearEstimate(i) }
            return (i, .status)
        case .basePrice(let b):
            guard let i = realTime(b, kind: .basePrice) else { return nil }
            instruments[i].basePrice = b.basePrice
            instruments[i].upperLimit = b.upperLimit
            instruments[i].lowerLimit = b.lowerLimit
            return (i, .reference)
        case .issueClosing(let c):
            guard let i = realTime(c, kind: .issueClosing) else { return nil }
            instruments[i].closingPrice = c.closingPrice
            instruments[i].closingPriceType = c.closingPriceType
            return (i, .reference)
        case .volatilityInterruption(let v):
            guard let i = realTime(v, kind: .volatilityInterruption) else { return nil }
            instruments[i].volatility = v.status == .triggered
                ? .active(type: v.type, triggerPrice: v.triggerPrice, endTime: v.endTime) : .none
            return (i, .status)
        case .instrumentMaster(let m):
            guard let i = index(registering: m.isin) else { return nil }
            count(.instrumentMaster)
            let contents = m.contents
            instruments[i].market = contents.trCode.market
            instruments[i].designatedNumber = contents.designatedNumber
            instruments[i].basePrice = contents.basePrice
            instruments[i].upperLimit = contents.upperLimit
            instruments[i].lowerLimit = contents.lowerLimit
            instruments[i].previousClose = contents.previousClose
            if contents.isHalted == true, instruments[i].haltReason == nil { instruments[i].haltReason = 0x20_2020 }
            names[i].korean = contents.koreanName
            names[i].english = contents.englishName
            names[i].shortCode = contents.shortCode
            names[i].lotSize = contents.lotSize
            return (i, .instrument)
        case .endOfBatch:
            count(.instrumentMaster)
            statistics.completedBatches += 1
            return nil
        case .polling:
            count(.polling)
            return nil
        }
    }

    /// The instrument of a real-time record on board G1, with the header's common fields applied;
    /// `nil` (counted) for another board or a refused ISIN.
    mutating func realTime<Record: KRXRealTimeRecord>(_ record: Record, kind: KRXRecordKind) -> Int? {
        guard record.board == .regular else {
            statistics.otherBoard += 1
            return nil
        }
        guard let i = index(registering: record.isin) else { return nil }
        count(kind)
        instruments[i].market = record.bytes.trCode.market
        instruments[i].designatedNumber = record.bytes.unsigned(Record.headerLayout.designatedNumber)
        if let session = record.session { instruments[i].session = session }
        if let time = record.processingTime { instruments[i].lastProcessingTime = time }
        return i
    }

    mutating func count(_ kind: KRXRecordKind) {
        statistics.applied[kind.ordinal] += 1
    }

    mutating func applyQuote(_ q: QuoteRecord, to i: Int) {
        typealias L = QuoteRecord.Layout
        let b = q.bytes
        for level in 1...L.levelCount {
            instruments[i].asks[level - 1] = KRXBookLevel(price: b.optionalSigned(L.field(L.askPriceInLevel, level: level)) ?? 0,
                                                          quantity: b.optionalSigned(L.field(L.askQuantityInLevel, level: level)) ?? 0)
            instruments[i].bids[level - 1] = KRXBookLevel(price: b.optionalSigned(L.field(L.bidPriceInLevel, level: level)) ?? 0,
                                                          quantity: b.optionalSigned(L.field(L.bidQuantityInLevel, level: level)) ?? 0)
        }
        instruments[i].totalAskQuantity = q.totalAskQuantity ?? 0
        instruments[i].totalBidQuantity = q.totalBidQuantity ?? 0
        if instruments[i].session?.isSinglePriceAuction == true, let price = q.estimatedPrice, price > 0 {
            instruments[i].estimatedPrice = price
            instruments[i].estimatedVolume = q.estimatedVolume
        } else {
            clearEstimate(i)
        }
        // A quote in continuous trading means any VI is over, even if its removal was lost.
        if instruments[i].session == .continuous { instruments[i].volatility = .none }
        instruments[i].isStale = false
    }

    mutating func clearEstimate(_ i: Int) {
        instruments[i].estimatedPrice = nil
        instruments[i].estimatedVolume = nil
    }

    mutating func applyTrade(_ t: TradeRecord, to i: Int) {
        instruments[i].last = t.price
        instruments[i].lastQuantity = t.quantity
        if let open = t.open, open > 0 { instruments[i].open = open }
        if let high = t.high, high > 0 { instruments[i].high = high }
        if let low = t.low, low > 0 { instruments[i].low = low }
        instruments[i].cumulativeVolume = t.accumulatedVolume ?? instruments[i].cumulativeVolume
        instruments[i].cumulativeValue = t.accumulatedValue ?? instruments[i].cumulativeValue
        instruments[i].change = t.change
        instruments[i].changeSign = t.changeSign
        instruments[i].lastAggressor = t.aggressor
    }
}

import KRX
import KRXBook
import Market

/// Turns what a record changed in an instrument's `KRXInstrumentState` into the ring's ticks, and
/// keeps what ticks need beyond the state: each instrument's tick `seq` and the status last written.
///
/// | change | tick |
/// | --- | --- |
/// | master (`A001`), base price and limits (`A401`), closing price (`A601`) | `instrument`: market `krx`, decimals 0, base price as the reference, limits, ISIN, Korean and English names; written when any of them changed |
/// | book (`B6`) | `quote`: the levels with a price, best first, and the estimated price and volume during a single-price auction; written only when a level or the estimate changed (or the quote heals a stale instrument) |
/// | trade (`A3`) | `trade`: price, size, aggressor (`B` a bid took the ask, `S` an ask took the bid; none and the `cross` flag for a single-price uncross), the cumulative volume, and the day's statistics (open/high/low, base price, trades counted here, value in won) |
/// | status (`A7`, `R8`, a session in any header, `A6`) | `status`, when the status below changes |
///
/// The status an instrument shows: `stale` while records are missing, `halted` while a halt reason
/// stands, `vi` during a VI (flags `viStatic`/`viDynamic` on every tick meanwhile), `closed` once
/// closed (issue closing or session `90`), `auction` in a single-price auction (sessions `10`, `20`,
/// `30`), `trading` in continuous trading (`40`), `unknown` before.
///
/// Prices are whole won: the instrument tick says decimals 0, so `71000` won is `"71000"`.
/// Invariant: the arrays hold one element per instrument added, in directory order.
struct KRXTickWriter {
    /// The last `seq` written per instrument.
    var seqs: [UInt64] = []
    /// The status last written per instrument (stale included).
    var statuses: [TradingStatus] = []
    /// Trades seen per instrument (KOSCOM's records carry no count).
    var tradeCounts: [UInt32] = []
    /// The reference data last written per instrument.
    var references: [InstrumentReference] = []
    var scratch = Tick()

    /// Room for `capacity` instruments, reserved now.
    init(capacity: Int) {
        seqs.reserveCapacity(capacity)
        statuses.reserveCapacity(capacity)
        tradeCounts.reserveCapacity(capacity)
        references.reserveCapacity(capacity)
    }

    /// Starts writing ticks for a newly seen instrument.
    mutating func add(_ state: KRXInstrumentState, receiveTime: UInt64, into ticks: inout TickSink) {
        seqs.append(0)
        statuses.append(.unknown)
        tradeCounts.append(0)
        references.append(InstrumentReference(market: .krx, decimals: 0))
    }

    /// The stale mark: a `stale` status tick, then one `seq` left out for the updates the lost records
    /// carried (so every consumer sees the hole after the announcement).
    mutating func markStale(_ state: KRXInstrumentState, index: Int, receiveTime: UInt64, into ticks: inout TickSink) {
        start(.status, of: state, index: index, receiveTime: receiveTime)
        scratch.status = .stale
        statuses[index] = .stale
        ticks.write(scratch)
        seqs[index] &+= 1
    }

    /// Writes the ticks of `changes` to instrument `index`, now in `state`; `previous` is its state
    /// before a quote (to tell which levels changed), `healed` whether that quote cleared a stale mark.
    mutating func write(_ changes: KRXStateChange, of state: KRXInstrumentState, names: KRXInstrumentNames, index: Int,
                        previous: KRXInstrumentState?, healed: Bool, receiveTime: UInt64, into ticks: inout TickSink) {
        if changes.contains(.instrument) || changes.contains(.reference) {
            // Rare (the master, a base price, the close): building the names allocates.
            let reference = Self.reference(of: state, names: names)
            if reference != references[index] {
                references[index] = reference
                start(.instrument, of: state, index: index, receiveTime: receiveTime)
                scratch.instrument = reference
                ticks.write(scratch)
            }
        }
        let status = Self.status(of: state)
        if status != statuses[index] && !healed {
            start(.status, of: state, index: index, receiveTime: receiveTime)
            ticks.write(scratch)
            statuses[index] = status
        }
        if changes.contains(.book) {
            var changed = healed || previous == nil ? 0 : Self.firstChangedLevel(previous!, state)
            if changed == nil, previous!.estimatedPrice != state.estimatedPrice || previous!.estimatedVolume != state.estimatedVolume {
                changed = 0
            }
            if let changed {
                start(.quote, of: state, index: index, receiveTime: receiveTime)
                scratch.changedLevel = UInt8(changed)
                Self.copyLevels(of: state, into: &scratch)
                ticks.write(scratch)
                statuses[index] = status
            }
        }
        if changes.contains(.trade) {
            start(.trade, of: state, index: index, receiveTime: receiveTime)
            switch state.lastAggressor {
            case .bid?: scratch.side = 0x42
            case .ask?: scratch.side = 0x53
            case .auction?: scratch.flags |= Tick.Flags.cross
            case .notApplicable?, nil: break
            }
            tradeCounts[index] &+= 1
            scratch.statistics = DayStatistics(open: Self.price(state.open), high: Self.price(state.high), low: Self.price(state.low),
                                               reference: Self.price(state.basePrice), tradeCount: tradeCounts[index],
                                               value: UInt64(max(0, (state.cumulativeValue?.scaled ?? 0) / 1_000)))
            ticks.write(scratch)
        }
    }

    /// Instrument `index`'s whole state as a snapshot (a quote tick) with its latest `seq`.
    func snapshot(of state: KRXInstrumentState, index: Int, into tick: inout Tick) {
        tick = Tick()
        Self.fill(&tick, kind: .quote, state: state, index: index, status: statuses[index], receiveTime: 0)
        tick.seq = seqs[index]
        Self.copyLevels(of: state, into: &tick)
    }

    // MARK: filling ticks

    /// Starts `scratch` as the next tick of instrument `index` (the next `seq`), of `kind`.
    mutating func start(_ kind: TickKind, of state: KRXInstrumentState, index: Int, receiveTime: UInt64) {
        seqs[index] &+= 1
        scratch = Tick()
        Self.fill(&scratch, kind: kind, state: state, index: index, status: Self.status(of: state), receiveTime: receiveTime)
        scratch.seq = seqs[index]
    }

    static func fill(_ tick: inout Tick, kind: TickKind, state: KRXInstrumentState, index: Int, status: TradingStatus,
                     receiveTime: UInt64) {
        tick.kind = kind
        tick.symbol = state.symbol
        tick.locate = KRXAdapter.locate(ofInstrument: index)
        tick.timestamp = UInt64(max(0, state.lastProcessingTime ?? 0)) &* 1_000
        tick.receiveTime = receiveTime
        tick.volume = UInt64(max(0, state.cumulativeVolume))
        tick.tradePrice = price(state.last ?? state.closingPrice)
        tick.tradeSize = size(state.lastQuantity)
        tick.status = status
        if case .active(let type, _, _) = state.volatility {
            switch type {
            case .staticVI: tick.flags |= Tick.Flags.viStatic
            case .dynamicVI: tick.flags |= Tick.Flags.viDynamic
            case .staticAndDynamic: tick.flags |= Tick.Flags.vi
            }
        }
    }

    /// The instrument's reference data as an `instrument` tick carries it.
    static func reference(of state: KRXInstrumentState, names: KRXInstrumentNames) -> InstrumentReference {
        InstrumentReference(market: .krx, decimals: 0, referencePrice: price(state.basePrice), upperLimit: price(state.upperLimit),
                            lowerLimit: price(state.lowerLimit), isin: state.isin.description, name: names.korean ?? "",
                            englishName: names.english ?? "")
    }

    /// The levels with a price, best first, and their counts.
    static func copyLevels(of state: KRXInstrumentState, into tick: inout Tick) {
        var n = 0
        while n < Tick.depth, state.bids[n].price > 0 {
            tick.bids[n] = PriceLevel(price: price(state.bids[n].price), size: size(state.bids[n].quantity))
            n += 1
        }
        tick.bidCount = UInt8(n)
        n = 0
        while n < Tick.depth, state.asks[n].price > 0 {
            tick.asks[n] = PriceLevel(price: price(state.asks[n].price), size: size(state.asks[n].quantity))
            n += 1
        }
        tick.askCount = UInt8(n)
        tick.indicativePrice = price(state.estimatedPrice)
        tick.indicativeVolume = size(state.estimatedVolume)
    }

    /// The shallowest level (0 = best) that differs on either side, `nil` when none does.
    static func firstChangedLevel(_ a: KRXInstrumentState, _ b: KRXInstrumentState) -> Int? {
        for level in 0..<Tick.depth where a.bids[level] != b.bids[level] || a.asks[level] != b.asks[level] {
            return level
        }
        return nil
    }

    /// The status `state` shows (the table above).
    static func status(of state: KRXInstrumentState) -> TradingStatus {
        if state.isStale { return .stale }
        if state.isHalted { return .halted }
        if case .active = state.volatility { return .volatilityInterruption }
        if state.closingPrice != nil { return .closed }
        switch state.session {
        case .continuous?: return .trading
        case .openingAuction?, .intradayAuction?, .closingAuction?: return .auction
        case .halted?: return .halted
        case .closed?: return .closed
        default: return .unknown
        }
    }

    static func price(_ won: Int64?) -> UInt32 { UInt32(clamping: max(0, won ?? 0)) }
    static func size(_ shares: Int64?) -> UInt32 { UInt32(clamping: max(0, shares ?? 0)) }
}

import KRX
import KRXBook
import Market

/// Turns what a record changed in an instrument's `KRXInstrumentState` into the ring's ticks, and
/// keeps what ticks need beyond the state: each instrument's tick `seq` and the status last written.
///
/// | change | tick |
/// | --- | --- |
/// | book (`B6`) | `quote`: the levels with a price, best first; written only when a level changed (or the quote heals a stale instrument) |
/// | trade (`A3`) | `trade`: price, size, aggressor (`B` a bid took the ask, `S` an ask took the bid; none and the `cross` flag for a single-price uncross), the cumulative volume |
/// | status (`A7`, `R8`, a session in any header, `A6`) | `status`, when the status below changes |
///
/// The status an instrument shows: `stale` while records are missing, `halted` while a halt reason
/// stands, `paused` during a VI, `halted` once closed (issue closing or session `90`), `quotation`
/// in a single-price auction (sessions `10`, `20`, `30`), `trading` in continuous trading (`40`),
/// `unknown` before.
///
/// Prices are whole won (`Price` units of the instrument's own: no decimals for KRX stocks).
/// Invariant: the arrays hold one element per instrument added, in directory order.
struct KRXTickWriter {
    /// The last `seq` written per instrument.
    var seqs: [UInt64] = []
    /// The status last written per instrument (stale included).
    var statuses: [TradingStatus] = []
    var scratch = Tick()

    /// Room for `capacity` instruments, reserved now.
    init(capacity: Int) {
        seqs.reserveCapacity(capacity)
        statuses.reserveCapacity(capacity)
    }

    /// Starts writing ticks for a newly seen instrument.
    mutating func add(_ state: KRXInstrumentState, receiveTime: UInt64, into ticks: inout TickSink) {
        seqs.append(0)
        statuses.append(.unknown)
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
    mutating func write(_ changes: KRXStateChange, of state: KRXInstrumentState, index: Int, previous: KRXInstrumentState?,
                        healed: Bool, receiveTime: UInt64, into ticks: inout TickSink) {
        let status = Self.status(of: state)
        if status != statuses[index] && !healed {
            start(.status, of: state, index: index, receiveTime: receiveTime)
            ticks.write(scratch)
            statuses[index] = status
        }
        if changes.contains(.book) {
            let changed = healed || previous == nil ? 0 : Self.firstChangedLevel(previous!, state)
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
            case .auction?: scratch.flags = Tick.Flags.cross
            case .notApplicable?, nil: break
            }
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
        if case .active = state.volatility { return .paused }
        if state.closingPrice != nil { return .halted }
        switch state.session {
        case .continuous?: return .trading
        case .openingAuction?, .intradayAuction?, .closingAuction?: return .quotation
        case .halted?, .closed?: return .halted
        default: return .unknown
        }
    }

    static func price(_ won: Int64?) -> UInt32 { UInt32(clamping: max(0, won ?? 0)) }
    static func size(_ shares: Int64?) -> UInt32 { UInt32(clamping: max(0, shares ?? 0)) }
}

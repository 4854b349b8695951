#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ITCH
import Market

/// A deterministic generator of a realistic Nasdaq TotalView-ITCH 5.0 day for N instruments.
///
/// The stream is: System Event `O` (start of messages) and `S` (start of system hours); one Stock
/// Directory `R` per instrument (locate 1…N); one Stock Trading Action `H` state `T` per instrument;
/// System Event `Q` (start of market hours); then order flow for as long as `next(into:)` is called;
/// and, from `nextEndOfDay(into:)`, System Events `M`, `E`, `C`.
///
/// The order flow moves around a random-walk price per instrument with a spread of one to a few
/// ticks and 10–30 levels of depth a side, in a Nasdaq-like mix (see `MessageMix`). The simulator
/// keeps every order it has added (`LiveOrders`), so:
/// - every `D`, `X`, `U`, `E`, `C` names a live order, and never takes more shares than remain;
/// - `U` keeps the side; order references are unique and increase through the day;
/// - adds and replaces never cross the book (a bid is always below the best ask, and the other way
///   round); marketable interest shows up as `E`/`C` against the best-priced resting order, oldest
///   first;
/// - a halted instrument (`H` state `H` until its `H` state `T`) gets no `E`, `C`, `P` or `Q`.
///
/// Timestamps are nanoseconds since midnight and never decrease. The same configuration gives the
/// same bytes on every run and machine. After the preamble, generating a message allocates nothing.
///
/// A value type: copies are independent (the order book-keeping is copied on write).
public struct OrderFlowSimulator {
    /// The largest message the simulator writes (the longest it emits is the 50-byte `I`): the
    /// buffer given to `next(into:)` and `nextEndOfDay(into:)` must hold this many bytes.
    public static let maxMessageLength = 64
    /// Messages `nextEndOfDay(into:)` writes: System Events `M`, `E`, `C`.
    public static let endOfDayMessageCount = 3

    /// Messages before the order flow starts for `instruments` instruments: `O`, `S`, N × `R`,
    /// N × `H`, `Q`.
    public static func preambleMessageCount(instruments: Int) -> Int { 3 + 2 * instruments }

    /// The configuration this simulator runs.
    public let configuration: SimulatorConfiguration
    /// The instruments, in locate order (`instruments[k].locate == k + 1`).
    public let instruments: [SimulatedInstrument]
    /// Messages written so far, preamble and closing events included.
    public private(set) var messagesGenerated = 0
    /// Timestamp of the last message written (ns since midnight).
    public private(set) var timestamp: UInt64
    /// Messages before the order flow starts (see `preambleMessageCount(instruments:)`).
    public var preambleMessageCount: Int { Self.preambleMessageCount(instruments: instruments.count) }

    /// Where in the day the stream is.
    enum Phase {
        /// Writing preamble message number `step` (0-based).
        case preamble(step: Int)
        /// Writing order flow.
        case orderFlow
        /// Writing closing system event number `step`.
        case endOfDay(step: Int)
        /// `C` (end of messages) was written.
        case closed
    }

    /// The order-flow events, in `MessageMix.weights` order.
    enum FlowEvent: Int {
        case add, addAttributed, delete, replace, cancel, execute, executeWithPrice, nonCrossTrade,
             cross, imbalance, regSHO
    }

    var phase: Phase = .preamble(step: 0)
    /// `instruments.count`, kept where the hot path reads it without touching the array.
    let instrumentCount: UInt64
    var storage: LiveOrders
    var rng: SplitMix64
    var nextReference: UInt64 = 1
    var nextMatch: UInt64 = 1

    // The clock (see `advanceClock`).
    let bursty: Bool
    let meanGap: UInt64
    let quietGap: UInt64
    let burstGap: UInt64
    var burstRemaining = 0

    // Halts: how likely (scaled to 2⁵³), how long, and which instrument resumes next.
    let haltThreshold: UInt64
    let haltDurationLow: UInt64
    let haltDurationSpan: UInt64
    var haltedCount = 0
    var nextResume: UInt64 = .max
    var pendingHaltCross = -1

    /// Cumulative event thresholds over 2³² (the last one is 2³²), in `FlowEvent` order.
    let eventThresholds: InlineArray<11, UInt64>

    /// A simulator for `configuration`, which must pass `SimulatorConfiguration.validate()`.
    public init(_ configuration: SimulatorConfiguration) {
        do { try configuration.validate() } catch { preconditionFailure("\(error)") }
        self.configuration = configuration
        timestamp = configuration.startTime
        rng = SplitMix64(seed: configuration.seed)

        let symbols: [Symbol] = switch configuration.symbols {
        case .generated(let count): TickerNames.generate(count: count, seed: configuration.seed)
        case .named(let names): names.map { Symbol($0)! }
        }
        // Instrument set-up draws from its own stream so the order flow does not depend on it.
        var setup = SplitMix64(seed: configuration.seed ^ 0x5052_4943_4553_2121)  // "PRICES!!"
        var models: [InstrumentModel] = []
        var instruments: [SimulatedInstrument] = []
        for (k, symbol) in symbols.enumerated() {
            // Log-uniform opening price between $5 and $500.
            let u = Double(setup.next() >> 11) / 9_007_199_254_740_992
            let ticks = Int32((5 * pow(100, u) * 100).rounded())
            let spread: Int32 = ticks < 2_000 ? 1
                : ticks < 10_000 ? 1 + Int32(setup.next() % 2) : 2 + Int32(setup.next() % 3)
            let depth = 10 + Int32(setup.next() % 21)
            // Dear stocks move more ticks per event; a $5 stock about one tick per 500 of its events.
            let walk = min(1.0 / 8, max(1.0 / 512, Double(ticks) / 200_000))
            models.append(InstrumentModel(
                symbol: symbol, anchorBid: max(Self.anchorFloor, ticks - (spread + 1) / 2), spread: spread,
                depthLevels: depth, targetPerSide: depth * 3,
                walkThreshold: UInt32(walk * 4_294_967_296), oddLotThreshold: ticks > 20_000 ? 100 : 48,
                haltedUntil: 0))
            instruments.append(SimulatedInstrument(locate: UInt16(k + 1), symbol: symbol,
                                                   startPrice: UInt32(ticks) * 100))
        }
        self.instruments = instruments
        instrumentCount = UInt64(instruments.count)

        // Activity: a Zipf-like spread of how busy each name is, ranks shuffled across locates.
        var ranks = Array(0..<symbols.count)
        for k in stride(from: ranks.count - 1, to: 0, by: -1) {
            ranks.swapAt(k, Int(setup.next() % UInt64(k + 1)))
        }
        let weights = ranks.map { 1 / pow(Double($0 + 1), 0.8) }
        storage = LiveOrders(models: models, activity: Self.aliasTable(weights))

        // Event table.
        let mix = configuration.mix.weights
        let mixTotal = mix.reduce(0, +)
        var thresholds = InlineArray<11, UInt64>(repeating: 1 << 32)
        var running = 0.0
        for k in 0..<10 {
            running += mix[k]
            thresholds[k] = min(1 << 32, UInt64(running / mixTotal * 4_294_967_296))
        }
        eventThresholds = thresholds

        // Clock: uniform gaps in 0…2× the mean, or bursts (about a quarter of the messages, gaps a
        // tenth of the mean) between quieter stretches that keep the same average rate.
        bursty = configuration.bursty
        meanGap = UInt64(1e9 / configuration.messageRate)
        burstGap = meanGap / 10
        quietGap = meanGap * 128 / 100
        burstRemaining = configuration.bursty ? 5_000 : 0  // the opening rush

        haltThreshold = UInt64(configuration.haltProbability * 9_007_199_254_740_992)
        haltDurationLow = configuration.haltDuration.lowerBound
        haltDurationSpan = configuration.haltDuration.upperBound - configuration.haltDuration.lowerBound
    }

    // MARK: - Stream

    /// Writes the next message of the day at `out` (room for `maxMessageLength` bytes) and returns
    /// its length: the preamble first, then order flow, indefinitely. Returns 0 once
    /// `nextEndOfDay(into:)` has been called.
    public mutating func next(into out: UnsafeMutableRawPointer) -> Int {
        if !isKnownUniquelyReferenced(&storage) { storage = LiveOrders(copying: storage) }
        let length: Int
        switch phase {
        case .orderFlow: length = orderFlow(into: out)
        case .preamble(let step): length = preamble(step, into: out)
        case .endOfDay, .closed: return 0
        }
        messagesGenerated &+= 1
        return length
    }

    /// Writes the next closing system event (`M` end of market hours, `E` end of system hours, `C`
    /// end of messages) and returns its length, or 0 once `C` was written. After the first call
    /// `next(into:)` writes nothing more.
    public mutating func nextEndOfDay(into out: UnsafeMutableRawPointer) -> Int {
        let step: Int
        switch phase {
        case .closed: return 0
        case .endOfDay(let s): step = s
        case .preamble, .orderFlow: step = 0
        }
        timestamp &+= meanGap
        let code: UInt8 = step == 0 ? 0x4D : step == 1 ? 0x45 : 0x43  // M, E, C
        phase = step == 2 ? .closed : .endOfDay(step: step + 1)
        messagesGenerated &+= 1
        return SystemEvent.encode(ITCHHeader(stockLocate: 0, timestamp: timestamp), eventCode: code, into: out)
    }

    /// True once the closing `C` (end of messages) was written.
    public var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }

    /// Streams the next `messages` messages of `next(into:)` to `body`, each as its own bytes (no
    /// length prefix). The buffer handed to `body` is reused: copy what you keep.
    public mutating func generate(messages: Int,
                                  body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try withUnsafeTemporaryAllocation(byteCount: Self.maxMessageLength, alignment: 8) { buffer in
            let out = buffer.baseAddress!
            for _ in 0..<messages {
                let n = next(into: out)
                if n == 0 { return }
                try body(UnsafeRawBufferPointer(start: out, count: n))
            }
        }
    }

    /// Live orders the simulator holds for `locate` (both sides).
    public func liveOrderCount(locate: UInt16) -> Int {
        let i = Int(locate) - 1
        guard instruments.indices.contains(i) else { return 0 }
        return Int(storage.sides[2 * i].count + storage.sides[2 * i + 1].count)
    }

    /// Whether `locate` is halted right now.
    public func isHalted(locate: UInt16) -> Bool {
        let i = Int(locate) - 1
        guard instruments.indices.contains(i) else { return false }
        return storage.models[i].haltedUntil != 0
    }

    // MARK: - Preamble

    mutating func preamble(_ step: Int, into out: UnsafeMutableRawPointer) -> Int {
        let n = instruments.count
        phase = step == 2 * n + 2 ? .orderFlow : .preamble(step: step + 1)
        switch step {
        case 0:
            return SystemEvent.encode(header(0), eventCode: 0x4F, into: out)  // O: start of messages
        case 1:
            return SystemEvent.encode(header(0), eventCode: 0x53, into: out)  // S: start of system hours
        case 2..<(2 + n):
            let instrument = instruments[step - 2]
            return StockDirectory.encode(
                header(instrument.locate), stock: instrument.symbol,
                marketCategory: 0x51,              // Q: Nasdaq Global Select
                financialStatusIndicator: 0x4E,    // N: normal
                roundLotSize: 100, roundLotsOnly: 0x4E,
                issueClassification: 0x43,         // C: common stock
                issueSubType: 0x5A20,              // "Z ": not applicable
                authenticity: 0x50,                // P: live/production
                shortSaleThresholdIndicator: 0x4E, ipoFlag: 0x4E,
                luldReferencePriceTier: instrument.startPrice >= 30_000 ? 0x31 : 0x32,
                etpFlag: 0x4E, etpLeverageFactor: 0, inverseIndicator: 0x4E, into: out)
        case (2 + n)..<(2 + 2 * n):
            let instrument = instruments[step - 2 - n]
            return StockTradingAction.encode(header(instrument.locate), stock: instrument.symbol,
                                             tradingState: 0x54, reserved: 0x20, reason: 0x2020_2020,
                                             into: out)
        default:
            return SystemEvent.encode(header(0), eventCode: 0x51, into: out)  // Q: start of market hours
        }
    }

    @inline(__always) func header(_ locate: UInt16) -> ITCHHeader {
        ITCHHeader(stockLocate: locate, timestamp: timestamp)
    }

    // MARK: - Order flow

    /// A uniform integer in 0..<n from 64 random bits (multiply-high; the bias is below 2⁻³²).
    @inline(__always) static func bounded(_ random: UInt64, _ n: UInt64) -> UInt64 {
        random.multipliedFullWidth(by: n).high
    }

    mutating func advanceClock() {
        let r = rng.next()
        if !bursty {
            timestamp &+= Self.bounded(r, 2 &* meanGap &+ 1)
        } else if burstRemaining > 0 {
            burstRemaining &-= 1
            timestamp &+= Self.bounded(r, 2 &* burstGap &+ 1)
        } else {
            if r & 0xFFF == 0 { burstRemaining = 256 &+ Int((r >> 12) & 2_047) }
            timestamp &+= Self.bounded(r, 2 &* quietGap &+ 1)
        }
    }

    mutating func orderFlow(into out: UnsafeMutableRawPointer) -> Int {
        advanceClock()
        if haltedCount > 0 && timestamp >= nextResume { return resume(into: out) }
        if pendingHaltCross >= 0 { return haltCross(into: out) }
        if haltThreshold > 0, rng.next() >> 11 < haltThreshold, let n = startHalt(into: out) { return n }

        let r = rng.next()
        let i = pickInstrument(r)
        let e = rng.next()
        // e: bits 0–31 choose the event, 32–61 the walk, 62 the walk's direction, 63 the side.
        if UInt32(truncatingIfNeeded: (e >> 32) & 0x3FFF_FFFF) < storage.models[i].walkThreshold >> 2 {
            walk(i, up: e & (1 << 62) != 0)
        }
        let u = e & 0xFFFF_FFFF
        var event = 0
        while u >= eventThresholds[event] { event &+= 1 }
        let bid = e & (1 << 63) != 0
        switch FlowEvent(rawValue: event).unsafelyUnwrapped {
        case .add: return add(i, bid: bid, attributed: false, into: out)
        case .addAttributed: return add(i, bid: bid, attributed: true, into: out)
        case .delete: return delete(i, bid: bid, into: out)
        case .replace: return replace(i, bid: bid, into: out)
        case .cancel: return cancel(i, bid: bid, into: out)
        case .execute: return execute(i, withPrice: false, into: out)
        case .executeWithPrice: return execute(i, withPrice: true, into: out)
        case .nonCrossTrade: return nonCrossTrade(i, into: out)
        case .cross: return cross(i, type: 0x49, into: out)  // I: intraday cross
        case .imbalance: return imbalance(i, into: out)
        case .regSHO: return regSHO(i, into: out)
        }
    }

    /// An instrument drawn by activity weight in constant time (Walker's alias method): column
    /// `k = bounded(r, N)` keeps `k` when the low 32 bits fall under its threshold, else takes its
    /// alias.
    @inline(__always) func pickInstrument(_ r: UInt64) -> Int {
        let k = Int(Self.bounded(r, instrumentCount))
        let entry = storage.activity[k]
        return r & 0xFFFF_FFFF < entry & 0xFFFF_FFFF ? k : Int(entry >> 32)
    }

    /// Vose's construction of the alias table for `weights`: each entry holds the probability (over
    /// 2³²) of keeping its own column in the low 32 bits and the alias column in the high 32 bits.
    static func aliasTable(_ weights: [Double]) -> [UInt64] {
        let n = weights.count
        let total = weights.reduce(0, +)
        var scaled = weights.map { $0 * Double(n) / total }
        var keep = [UInt64](repeating: 1 << 32, count: n)
        var alias = Array(0..<n)
        var small = scaled.indices.filter { scaled[$0] < 1 }
        var large = scaled.indices.filter { scaled[$0] >= 1 }
        while let s = small.popLast(), let l = large.last {
            keep[s] = UInt64(scaled[s] * 4_294_967_296)
            alias[s] = l
            scaled[l] -= 1 - scaled[s]
            if scaled[l] < 1 {
                large.removeLast()
                small.append(l)
            }
        }
        // Leftovers (rounding) keep their own column always: threshold 2³² - 1 plus the
        // self-alias makes the draw land on them either way.
        return (0..<n).map { k in UInt64(alias[k]) << 32 | min(keep[k], 0xFFFF_FFFF) }
    }

    /// Lowest bid anchor: keeps every price the simulator writes at one tick or more.
    static let anchorFloor: Int32 = 32

    /// Moves instrument `i`'s quoting anchor one tick.
    @inline(__always) func walk(_ i: Int, up: Bool) {
        let model = storage.models + i
        if up {
            model.pointee.anchorBid &+= 1
        } else if model.pointee.anchorBid > Self.anchorFloor {
            model.pointee.anchorBid &-= 1
        }
    }

    @inline(__always) func locate(_ i: Int) -> UInt16 { UInt16(truncatingIfNeeded: i &+ 1) }

    /// Order sizes: half round lots of 100, odd lots (more of them for dear stocks), 200–1000,
    /// and an occasional 1000–4900.
    @inline(__always) static func shares(_ r: UInt64, oddLotThreshold: UInt32) -> UInt32 {
        let bucket = UInt32(truncatingIfNeeded: r & 0xFF)
        let rest = r >> 8
        if bucket < oddLotThreshold { return 1 &+ UInt32(truncatingIfNeeded: rest % 99) }
        if bucket < 176 { return 100 }
        if bucket < 244 { return 100 &* (2 &+ UInt32(truncatingIfNeeded: rest % 9)) }
        return 100 &* (10 &+ UInt32(truncatingIfNeeded: rest % 40))
    }

    /// A part of `shares` (1 ≤ part < shares, round lots when the order is in round lots).
    /// Requires `shares >= 2`.
    @inline(__always) static func part(of shares: UInt32, _ r: UInt64) -> UInt32 {
        if shares >= 200 && shares % 100 == 0 {
            return 100 &* (1 &+ UInt32(truncatingIfNeeded: bounded(r, UInt64(shares / 100 &- 1))))
        }
        return 1 &+ UInt32(truncatingIfNeeded: bounded(r, UInt64(shares &- 1)))
    }

    /// A price `levels` ticks away from the anchor on one side, moved back if needed so that it
    /// does not lock or cross the other side's best.
    @inline(__always) func restingPrice(_ i: Int, bid: Bool, levels: Int32) -> UInt32 {
        let model = storage.models[i]
        let other = storage.sides[i &* 2 &+ (bid ? 1 : 0)]
        if bid {
            var price = UInt32(truncatingIfNeeded: model.anchorBid &- levels)
            if other.count > 0 && price >= other.best { price = other.best &- 1 }
            return price
        }
        var price = UInt32(truncatingIfNeeded: model.anchorBid &+ model.spread &+ levels)
        if other.count > 0 && price <= other.best { price = other.best &+ 1 }
        return price
    }

    /// Levels from the touch for a new order: between 0 and the depth, denser near the touch.
    @inline(__always) func levels(_ i: Int, _ r: UInt64) -> Int32 {
        let u = r & 0xFFFF_FFFF
        let skewed = (u &* u) >> 32
        return Int32(truncatingIfNeeded: (skewed &* UInt64(storage.models[i].depthLevels)) >> 32)
    }

    /// MPIDs for `F` messages.
    static let attributions: InlineArray<8, UInt32> = [
        0x4753_434F, 0x4D53_434F, 0x5542_5353, 0x4344_5247,  // GSCO MSCO UBSS CDRG
        0x5649_5254, 0x5355_5341, 0x4A50_4D53, 0x4E49_5445,  // VIRT SUSA JPMS NITE
    ]

    mutating func add(_ i: Int, bid: Bool, attributed: Bool, into out: UnsafeMutableRawPointer) -> Int {
        let slot = i &* 2 &+ (bid ? 0 : 1)
        let model = storage.models[i]
        let count = storage.sides[slot].count
        let r = rng.next()
        // Depth feedback: past the target, an add becomes a delete with probability excess/target.
        if count >= model.targetPerSide {
            let excess = UInt64(count &- model.targetPerSide)
            if Int(count) >= LiveOrders.capacityPerSide
                || (r & 0xFFFF) &* UInt64(model.targetPerSide) < excess &* 0x1_0000 {
                return delete(slot: slot, r, into: out)
            }
        }
        let price = restingPrice(i, bid: bid, levels: levels(i, r >> 16))
        let s = rng.next()
        let qty = Self.shares(s, oddLotThreshold: model.oddLotThreshold)
        let reference = nextReference
        nextReference &+= 1 &+ (s >> 62)
        storage.add(slot: slot, reference: reference, price: price, shares: qty)
        let side: UInt8 = bid ? 0x42 : 0x53
        if attributed {
            return AddOrderMPID.encode(header(locate(i)), orderReference: reference, side: side,
                                       shares: qty, stock: model.symbol, price: price &* 100,
                                       attribution: Self.attributions[Int((s >> 40) & 7)], into: out)
        }
        return AddOrder.encode(header(locate(i)), orderReference: reference, side: side, shares: qty,
                               stock: model.symbol, price: price &* 100, into: out)
    }

    /// Index of an order to delete or replace: half the time one of the most recent (quote
    /// flickering), otherwise any. Requires a non-empty side.
    @inline(__always) static func pick(count: Int32, _ r: UInt64) -> Int {
        let n = UInt64(count)
        if r & 1 == 0 { return Int(n &- 1 &- bounded(r, min(n, 8))) }
        return Int(bounded(r, n))
    }

    mutating func delete(_ i: Int, bid: Bool, into out: UnsafeMutableRawPointer) -> Int {
        let slot = i &* 2 &+ (bid ? 0 : 1)
        if storage.sides[slot].count == 0 { return add(i, bid: bid, attributed: false, into: out) }
        return delete(slot: slot, rng.next(), into: out)
    }

    /// Deletes an order of a non-empty `slot`.
    mutating func delete(slot: Int, _ r: UInt64, into out: UnsafeMutableRawPointer) -> Int {
        let index = Self.pick(count: storage.sides[slot].count, r)
        return delete(slot: slot, index: index, into: out)
    }

    mutating func delete(slot: Int, index: Int, into out: UnsafeMutableRawPointer) -> Int {
        let reference = storage.orders[slot &* LiveOrders.capacityPerSide &+ index].reference
        storage.remove(slot: slot, index: index)
        return OrderDelete.encode(header(locate(slot >> 1)), orderReference: reference, into: out)
    }

    mutating func cancel(_ i: Int, bid: Bool, into out: UnsafeMutableRawPointer) -> Int {
        let slot = i &* 2 &+ (bid ? 0 : 1)
        let count = storage.sides[slot].count
        if count == 0 { return add(i, bid: bid, attributed: false, into: out) }
        let r = rng.next()
        let index = Int(Self.bounded(r, UInt64(count)))
        let cell = slot &* LiveOrders.capacityPerSide &+ index
        let remaining = storage.orders[cell].shares
        if remaining < 2 { return delete(slot: slot, index: index, into: out) }
        let cancelled = Self.part(of: remaining, r &* 0x9E37_79B9_7F4A_7C15)
        storage.orders[cell].shares = remaining &- cancelled
        return OrderCancel.encode(header(locate(i)), orderReference: storage.orders[cell].reference,
                                  cancelledShares: cancelled, into: out)
    }

    mutating func replace(_ i: Int, bid: Bool, into out: UnsafeMutableRawPointer) -> Int {
        let slot = i &* 2 &+ (bid ? 0 : 1)
        let count = storage.sides[slot].count
        if count == 0 { return add(i, bid: bid, attributed: false, into: out) }
        let r = rng.next()
        let index = Self.pick(count: count, r)
        let cell = slot &* LiveOrders.capacityPerSide &+ index
        let original = storage.orders[cell].reference
        let oldPrice = storage.orders[cell].price
        var qty = storage.orders[cell].shares
        storage.remove(slot: slot, index: index)
        let s = rng.next()
        // Half re-peg to the current market, half step a tick (or stay) and change the size.
        let price: UInt32
        if s & 1 == 0 {
            price = restingPrice(i, bid: bid, levels: levels(i, s >> 8))
        } else {
            let step = Int32(truncatingIfNeeded: (s >> 1) % 3) &- 1
            let moved = Int32(bitPattern: oldPrice) &+ step
            // Two ticks or more: a bid moved below an ask at 2 still has a price of 1.
            let desired = max(2, moved)
            let other = storage.sides[slot ^ 1]
            if bid {
                price = other.count > 0 && UInt32(desired) >= other.best ? other.best &- 1 : UInt32(desired)
            } else {
                price = other.count > 0 && UInt32(desired) <= other.best ? other.best &+ 1 : UInt32(desired)
            }
            qty = Self.shares(s >> 8, oddLotThreshold: storage.models[i].oddLotThreshold)
        }
        let reference = nextReference
        nextReference &+= 1 &+ (s >> 62)
        storage.add(slot: slot, reference: reference, price: price, shares: qty)
        return OrderReplace.encode(header(locate(i)), originalOrderReference: original,
                                   newOrderReference: reference, shares: qty, price: price &* 100,
                                   into: out)
    }

    mutating func execute(_ i: Int, withPrice: Bool, into out: UnsafeMutableRawPointer) -> Int {
        let model = storage.models[i]
        let r = rng.next()
        if model.haltedUntil != 0 { return add(i, bid: r & 1 == 0, attributed: false, into: out) }
        let bids = storage.sides[i &* 2]
        let asks = storage.sides[i &* 2 &+ 1]
        // Sellers hit a bid that is above where the market now quotes, buyers lift a stale ask;
        // otherwise either side.
        var hitBid: Bool
        if bids.count > 0 && Int32(bitPattern: bids.best) > model.anchorBid {
            hitBid = true
        } else if asks.count > 0 && Int32(bitPattern: asks.best) < model.anchorBid &+ model.spread {
            hitBid = false
        } else {
            hitBid = r & 1 == 0
        }
        if hitBid ? bids.count == 0 : asks.count == 0 { hitBid.toggle() }
        if hitBid ? bids.count == 0 : asks.count == 0 { return add(i, bid: r & 2 == 0, attributed: false, into: out) }

        let slot = i &* 2 &+ (hitBid ? 0 : 1)
        let index = storage.firstAtBest(slot: slot)
        let cell = slot &* LiveOrders.capacityPerSide &+ index
        let reference = storage.orders[cell].reference
        let price = storage.orders[cell].price
        let remaining = storage.orders[cell].shares
        let full = remaining < 2 || (r >> 1) & 0xFF < 140
        let executed = full ? remaining : Self.part(of: remaining, r &* 0x9E37_79B9_7F4A_7C15)
        let match = nextMatch
        nextMatch &+= 1
        if full {
            storage.remove(slot: slot, index: index)
            // The touch was taken out: the market may follow the aggressor a tick.
            let side = storage.sides[slot]
            if (side.count == 0 || side.best != price) && r & (1 << 20) != 0 { walk(i, up: !hitBid) }
        } else {
            storage.orders[cell].shares = remaining &- executed
        }
        if withPrice {
            let printable: UInt8 = (r >> 21) & 3 == 0 ? 0x4E : 0x59  // a quarter non-printable
            return OrderExecutedWithPrice.encode(header(locate(i)), orderReference: reference,
                                                 executedShares: executed, matchNumber: match,
                                                 printable: printable, executionPrice: price &* 100,
                                                 into: out)
        }
        return OrderExecuted.encode(header(locate(i)), orderReference: reference, executedShares: executed,
                                    matchNumber: match, into: out)
    }

    /// Midpoint of the book in `Price(4)` (may fall on a half tick), or of the anchors when a side
    /// is empty.
    @inline(__always) func midpoint(_ i: Int) -> UInt32 {
        let bids = storage.sides[i &* 2]
        let asks = storage.sides[i &* 2 &+ 1]
        if bids.count > 0 && asks.count > 0 { return (bids.best &+ asks.best) &* 50 }
        let model = storage.models[i]
        return UInt32(truncatingIfNeeded: model.anchorBid &* 2 &+ model.spread) &* 50
    }

    mutating func nonCrossTrade(_ i: Int, into out: UnsafeMutableRawPointer) -> Int {
        let model = storage.models[i]
        let r = rng.next()
        if model.haltedUntil != 0 { return add(i, bid: r & 1 == 0, attributed: false, into: out) }
        let match = nextMatch
        nextMatch &+= 1
        // Hidden orders carry no displayed reference: Nasdaq sends 0.
        return NonCrossTrade.encode(header(locate(i)), orderReference: 0, side: r & 1 == 0 ? 0x42 : 0x53,
                                    shares: Self.shares(r >> 1, oddLotThreshold: model.oddLotThreshold),
                                    stock: model.symbol, price: midpoint(i), matchNumber: match, into: out)
    }

    mutating func cross(_ i: Int, type: UInt8, into out: UnsafeMutableRawPointer) -> Int {
        let model = storage.models[i]
        let r = rng.next()
        if model.haltedUntil != 0 { return add(i, bid: r & 1 == 0, attributed: false, into: out) }
        let match = nextMatch
        nextMatch &+= 1
        let price = midpoint(i) / 100 &* 100  // crosses print on a whole tick
        return CrossTrade.encode(header(locate(i)), shares: 100 &* (10 &+ Self.bounded(r, 500)),
                                 stock: model.symbol, crossPrice: price, matchNumber: match,
                                 crossType: type, into: out)
    }

    mutating func imbalance(_ i: Int, into out: UnsafeMutableRawPointer) -> Int {
        let model = storage.models[i]
        let r = rng.next()
        let reference = midpoint(i) / 100 &* 100
        let direction: UInt8 = switch r & 3 { case 0: 0x42; case 1: 0x53; case 2: 0x4E; default: 0x4F }
        let offset = UInt32(truncatingIfNeeded: (r >> 2) & 7) &* 100
        return NetOrderImbalance.encode(
            header(locate(i)), pairedShares: 100 &* Self.bounded(r, 2_000),
            imbalanceShares: direction == 0x4E ? 0 : 100 &* (1 &+ ((r >> 8) % 300)),
            imbalanceDirection: direction, stock: model.symbol,
            farPrice: reference &+ offset, nearPrice: reference, currentReferencePrice: reference,
            crossType: 0x43, priceVariationIndicator: 0x4C, into: out)  // closing cross, < 1%
    }

    mutating func regSHO(_ i: Int, into out: UnsafeMutableRawPointer) -> Int {
        let action = 0x30 &+ UInt8(truncatingIfNeeded: rng.next() % 3)  // "0", "1", "2"
        return RegSHORestriction.encode(header(locate(i)), stock: storage.models[i].symbol,
                                        regSHOAction: action, into: out)
    }

    // MARK: - Halts

    /// Halts a random instrument (`H` state `H`, reason `T1`: news pending); nil if it already is.
    mutating func startHalt(into out: UnsafeMutableRawPointer) -> Int? {
        let r = rng.next()
        let i = Int(Self.bounded(r, UInt64(instruments.count)))
        let model = storage.models + i
        guard model.pointee.haltedUntil == 0 else { return nil }
        let duration = haltDurationLow &+ Self.bounded(r &* 0x9E37_79B9_7F4A_7C15, haltDurationSpan &+ 1)
        let until = max(1, timestamp &+ duration)
        model.pointee.haltedUntil = until
        haltedCount &+= 1
        nextResume = min(nextResume, until)
        return StockTradingAction.encode(header(locate(i)), stock: model.pointee.symbol, tradingState: 0x48,
                                         reserved: 0x20, reason: 0x5431_2020, into: out)  // "T1  "
    }

    /// Resumes the instrument whose halt ends first (`H` state `T`); its halt cross follows.
    mutating func resume(into out: UnsafeMutableRawPointer) -> Int {
        let models = storage.models
        var resumed = -1
        var following = UInt64.max
        for k in 0..<instruments.count {
            let until = models[k].haltedUntil
            if until == 0 { continue }
            if resumed < 0 && until == nextResume { resumed = k } else { following = min(following, until) }
        }
        models[resumed].haltedUntil = 0
        haltedCount &-= 1
        nextResume = following
        pendingHaltCross = resumed
        return StockTradingAction.encode(header(locate(resumed)), stock: models[resumed].symbol,
                                         tradingState: 0x54, reserved: 0x20, reason: 0x2020_2020,
                                         into: out)
    }

    /// The halt cross (`Q` type `H`) that reopens an instrument after its resume.
    mutating func haltCross(into out: UnsafeMutableRawPointer) -> Int {
        let i = pendingHaltCross
        pendingHaltCross = -1
        return cross(i, type: 0x48, into: out)
    }
}

extension OrderFlowSimulator: @unchecked Sendable {}
// Safe: the only reference it holds (`storage`) is copied before any mutation unless this value owns
// it alone (`isKnownUniquelyReferenced`), the same copy-on-write discipline as `Array`.

import Market

/// How the simulator names its instruments.
public enum SymbolSelection: Sendable, Equatable {
    /// `count` generated tickers of 1–5 upper-case letters, unique, derived from the seed.
    case generated(count: Int)
    /// Exactly these symbols, in this order: the first gets stock locate 1.
    case named([String])
}

/// Relative weights of the order-flow events the simulator draws from (any scale; they are
/// normalised). The defaults follow a Nasdaq TotalView day.
///
/// These are the weights of the events *attempted*. The emitted mix differs a little: to keep each
/// book at a steady depth, an add on a side that is already deep becomes a delete, and a delete,
/// cancel, replace or execution on an empty side (or an execution on a halted instrument) becomes an
/// add. `docs/simulator.md` gives the measured result.
public struct MessageMix: Sendable, Equatable {
    /// Add Order `A`.
    public var addOrder: Double = 45
    /// Add Order with MPID attribution `F`.
    public var addOrderAttributed: Double = 3
    /// Order Delete `D`.
    public var delete: Double = 35
    /// Order Replace `U`.
    public var replace: Double = 8
    /// Order Cancel `X` (partial).
    public var cancel: Double = 3
    /// Order Executed `E` against the best-priced resting order.
    public var execute: Double = 4
    /// Order Executed with Price `C` (about a quarter of them non-printable).
    public var executeWithPrice: Double = 0.5
    /// Non-cross Trade `P` (a hidden order executed), at the midpoint.
    public var nonCrossTrade: Double = 1
    /// Cross Trade `Q` (intraday cross).
    public var cross: Double = 0.02
    /// Net Order Imbalance Indicator `I`.
    public var imbalance: Double = 0.1
    /// Reg SHO Short Sale Price Test Restriction `Y`.
    public var regSHO: Double = 0.01

    /// The Nasdaq-like default mix.
    public init() {}

    /// The weights in the order the simulator's event table uses.
    var weights: [Double] {
        [addOrder, addOrderAttributed, delete, replace, cancel, execute, executeWithPrice,
         nonCrossTrade, cross, imbalance, regSHO]
    }
}

/// Everything that shapes a simulated day. Two simulators with equal configurations produce
/// byte-identical streams.
public struct SimulatorConfiguration: Sendable, Equatable {
    /// Seed of the random generator (`Market.SplitMix64`). Default 1.
    public var seed: UInt64
    /// The instruments: `.generated(count: 100)` by default, or an explicit list of names.
    public var symbols: SymbolSelection
    /// Timestamp of the first message, nanoseconds since midnight. Default 09:30:00.000.
    public var startTime: UInt64
    /// Messages per second of simulated time; only spaces the timestamps (the simulator runs as fast
    /// as it is asked). Default 10 000, about half a real Nasdaq day's average.
    public var messageRate: Double
    /// Clustered timestamps: a burst at the open, then occasional bursts of hundreds of messages a few
    /// nanoseconds apart separated by quieter stretches, with the same average rate. Default `false`
    /// (gaps uniform in 0…2× the mean).
    public var bursty: Bool
    /// Probability, per order-flow message, that an instrument is halted (`H` state `H`) at that
    /// point. Default 0.000002 (about one halt per 500 000 messages). 0 disables halts.
    public var haltProbability: Double
    /// How long a halt lasts before its `H` `T` resume, nanoseconds of simulated time, drawn
    /// uniformly from this range. Default 10 s…60 s.
    public var haltDuration: ClosedRange<UInt64>
    /// Relative weights of the order-flow events. Default: `MessageMix()`.
    public var mix: MessageMix

    /// 09:30:00.000 in nanoseconds since midnight.
    public static let marketOpen: UInt64 = 34_200_000_000_000

    /// A configuration; every parameter has the documented default.
    public init(seed: UInt64 = 1,
                symbols: SymbolSelection = .generated(count: 100),
                startTime: UInt64 = SimulatorConfiguration.marketOpen,
                messageRate: Double = 10_000,
                bursty: Bool = false,
                haltProbability: Double = 0.000_002,
                haltDuration: ClosedRange<UInt64> = 10_000_000_000...60_000_000_000,
                mix: MessageMix = MessageMix()) {
        self.seed = seed
        self.symbols = symbols
        self.startTime = startTime
        self.messageRate = messageRate
        self.bursty = bursty
        self.haltProbability = haltProbability
        self.haltDuration = haltDuration
        self.mix = mix
    }

    /// Number of instruments this configuration simulates.
    public var instrumentCount: Int {
        switch symbols {
        case .generated(let count): count
        case .named(let names): names.count
        }
    }

    /// The fewest messages a whole day holds: the preamble (`O`, `S`, one `R` and one `H` per
    /// instrument, `Q`) and the closing `M`, `E`, `C`.
    public var minimumDayMessageCount: Int {
        OrderFlowSimulator.preambleMessageCount(instruments: instrumentCount)
            + OrderFlowSimulator.endOfDayMessageCount
    }

    /// Checks every field; the simulator's initialiser requires a configuration that passes.
    public func validate() throws(SimulatorConfigurationError) {
        switch symbols {
        case .generated(let count):
            guard (1...Int(UInt16.max)).contains(count) else { throw .symbolCount(count) }
        case .named(let names):
            guard (1...Int(UInt16.max)).contains(names.count) else { throw .symbolCount(names.count) }
            var seen = Set<Symbol>()
            for name in names {
                guard let symbol = Symbol(name) else { throw .invalidSymbol(name) }
                guard seen.insert(symbol).inserted else { throw .duplicateSymbol(name) }
            }
        }
        // Leave a day's worth of room below the 48-bit timestamp field.
        guard startTime < 86_400_000_000_000 else { throw .startTime(startTime) }
        guard messageRate.isFinite, messageRate > 0, messageRate <= 1e9 else {
            throw .messageRate(messageRate)
        }
        guard haltProbability.isFinite, (0...1).contains(haltProbability) else {
            throw .haltProbability(haltProbability)
        }
        guard haltDuration.upperBound < 86_400_000_000_000 else { throw .haltDuration(haltDuration) }
        let weights = mix.weights
        guard weights.allSatisfy({ $0.isFinite && $0 >= 0 }), weights.reduce(0, +) > 0 else {
            throw .mix
        }
    }
}

/// A configuration the simulator cannot run, naming the field at fault.
public enum SimulatorConfigurationError: Error, Equatable, CustomStringConvertible {
    /// `symbols`: the instrument count must be 1…65535 (ITCH stock locates are 16-bit).
    case symbolCount(Int)
    /// `symbols`: a name that is not 1–8 printable ASCII characters.
    case invalidSymbol(String)
    /// `symbols`: a name listed twice.
    case duplicateSymbol(String)
    /// `startTime`: must be before midnight (nanoseconds since midnight).
    case startTime(UInt64)
    /// `messageRate`: must be a finite rate in (0, 10⁹] messages per second.
    case messageRate(Double)
    /// `haltProbability`: must be in 0…1.
    case haltProbability(Double)
    /// `haltDuration`: must be shorter than a day.
    case haltDuration(ClosedRange<UInt64>)
    /// `mix`: weights must be finite, non-negative and not all zero.
    case mix

    public var description: String {
        switch self {
        case .symbolCount(let n): "symbols: need 1...65535 instruments, got \(n)"
        case .invalidSymbol(let s): "symbols: '\(s)' is not 1-8 printable ASCII characters"
        case .duplicateSymbol(let s): "symbols: '\(s)' is listed twice"
        case .startTime(let t): "start time: \(t) ns is not a time of day"
        case .messageRate(let r): "message rate: \(r) is not in (0, 1e9] messages per second"
        case .haltProbability(let p): "halt probability: \(p) is not in 0...1"
        case .haltDuration(let d): "halt duration: \(d) ns is longer than a day"
        case .mix: "message mix: weights must be finite, non-negative and not all zero"
        }
    }
}

/// One aggregated price level: a price (`Price(4)` integer) and the shares resting at it.
public struct PriceLevel: Equatable, Sendable, BitwiseCopyable {
    /// Price with 4 implied decimals.
    public var price: UInt32
    /// Total displayed shares at this price, saturated at `UInt32.max`.
    public var size: UInt32

    @inlinable public init(price: UInt32, size: UInt32) {
        self.price = price
        self.size = size
    }

    /// The empty level (price 0, size 0), used past the end of a side.
    public static let empty = PriceLevel(price: 0, size: 0)
}

/// What a tick reports.
public enum TickKind: UInt8, Sendable, BitwiseCopyable {
    /// The top levels of the book changed: `bids`/`asks` hold the new top `bidCount`/`askCount`.
    case quote = 1
    /// A trade printed: `tradePrice`, `tradeSize`, `side`, `matchNumber`; `volume` includes it.
    case trade = 2
    /// The instrument's trading status changed: `status`.
    case status = 3
    /// An earlier trade was broken (ITCH `B`): `matchNumber` names it.
    case tradeBreak = 4
    /// The instrument's reference data (`tick.instrument`): emitted when the instrument is first known
    /// and whenever its reference data change (ITCH `R`; the opening cross setting the reference price;
    /// KRX master and base-price records).
    case instrument = 5
}

/// The trading status of an instrument, from ITCH `H` (and `h`) messages.
public enum TradingStatus: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    /// No trading action seen yet.
    case unknown = 0
    /// `H` state `T`: trading on Nasdaq.
    case trading = 1
    /// `H` state `H` (or an operational halt `h`): halted across all U.S. equity markets / on Nasdaq.
    case halted = 2
    /// `H` state `P`: paused (LULD).
    case paused = 3
    /// `H` state `Q`: quotation only, no trading yet.
    case quotation = 4
    /// The feed handler cannot vouch for this instrument's state (an unrecovered gap).
    case stale = 5
    /// A single-price call auction is collecting orders (KRX 08:30–09:00 and 15:20–15:30): quotes may
    /// carry an indicative price and volume, no trade prints until the uncross.
    case auction = 6
    /// A volatility interruption (KRX VI): a 2-minute call auction; `Tick.Flags.viStatic` or
    /// `.viDynamic` says which kind.
    case volatilityInterruption = 7
    /// The instrument's session is over for the day.
    case closed = 8

    /// The contract's lower-case name for this status.
    public var name: String {
        switch self {
        case .unknown: "unknown"
        case .trading: "trading"
        case .halted: "halted"
        case .paused: "paused"
        case .quotation: "quotation"
        case .stale: "stale"
        case .auction: "auction"
        case .volatilityInterruption: "vi"
        case .closed: "closed"
        }
    }
}

/// A tick: one update of one instrument, produced once by the feed handler and read by every
/// consumer of the broadcast ring. A fixed-size, trivially copyable record (no references), so it can
/// live in a ring slot and be copied with a plain memory copy.
///
/// Invariants: `bidCount`/`askCount` ≤ `Tick.depth`; levels past the count are `.empty`; `seq`
/// increases by exactly one per tick of the same `locate`.
///
/// A variant record, like ITCH's own layouts: the level storage (`bids` + `asks`, 160 bytes) carries
/// the levels of a quote, the `DayStatistics` of a trade (in `asks`, which a trade does not use; see
/// `statistics`) and the `InstrumentReference` of an instrument tick (see `instrument`). The two
/// accessors are the only code that knows the overlap.
public struct Tick: Sendable, BitwiseCopyable {
    /// Number of levels per side carried by a quote.
    public static let depth = 10

    // The levels come first: at offsets 0 and 80 of a 16-byte aligned tick, a quote's copy of the
    // top levels is made of aligned 16-byte stores, none split across a cache line.
    /// Best-first bid levels.
    public var bids: InlineArray<10, PriceLevel>
    /// Best-first ask levels.
    public var asks: InlineArray<10, PriceLevel>
    /// The instrument's symbol.
    public var symbol: Symbol
    /// Per-symbol sequence number: increases by one for every tick of this instrument.
    public var seq: UInt64
    /// Exchange timestamp: nanoseconds since midnight (ITCH).
    public var timestamp: UInt64
    /// Receive time of the packet that caused it: nanoseconds since the Unix epoch (CLOCK_REALTIME).
    public var receiveTime: UInt64
    /// Cumulative traded volume of the instrument after this tick.
    public var volume: UInt64
    /// Match number of a trade or of the trade a `tradeBreak` breaks; 0 otherwise.
    public var matchNumber: UInt64
    /// Trade price (`Price(4)`) for `.trade`; the last trade price otherwise (0 until one).
    public var tradePrice: UInt32
    /// Trade size for `.trade`; the last trade size otherwise.
    public var tradeSize: UInt32
    /// The ITCH stock locate of the instrument.
    public var locate: UInt16
    /// What this tick reports.
    public var kind: TickKind
    /// Trading status after this tick.
    public var status: TradingStatus
    /// Valid levels in `bids` (quote ticks; the current count otherwise).
    public var bidCount: UInt8
    /// Valid levels in `asks`.
    public var askCount: UInt8
    /// For a quote, the shallowest level index (0 = best) that changed on either side, so a client
    /// with depth `d` can skip quotes whose `changedLevel >= d`.
    public var changedLevel: UInt8
    /// Aggressor side of a trade: `B` (0x42), `S` (0x53), or 0 when unknown (crosses).
    public var side: UInt8
    /// Bit flags, see `Tick.Flags`.
    public var flags: UInt8
    /// Padding, never read (zero from `init()`; whatever a writer left otherwise): it makes the size
    /// a multiple of 4 bytes, which the ring's word copies require.
    @usableFromInline var reserved: (UInt8, UInt8, UInt8)
    /// For a quote during a call auction: the estimated uncross price (KRX `B6` estimated trading
    /// price), in the instrument's price units; 0 when there is none (always for Nasdaq today).
    public var indicativePrice: UInt32
    /// For a quote during a call auction: the estimated uncross volume; 0 when there is none.
    public var indicativeVolume: UInt32

    /// Flag bits of `flags`.
    public enum Flags {
        /// The trade is a Nasdaq cross (ITCH `Q`).
        public static let cross: UInt8 = 1
        /// The instrument is in a static volatility interruption (KRX VI against the reference price);
        /// set on every tick while the status is `.volatilityInterruption` of that kind.
        public static let viStatic: UInt8 = 2
        /// The instrument is in a dynamic volatility interruption (KRX VI against the last price).
        public static let viDynamic: UInt8 = 4
        /// A quote that replaced unsent quotes of its instrument at a feed node over its bandwidth
        /// budget (issue 24): the seqs between the previous tick of the instrument and this one were
        /// quotes, never sent. On the wire.
        public static let conflated: UInt8 = 8
        /// Both VI kinds.
        public static let vi: UInt8 = viStatic | viDynamic
        /// The tick is an instrument's whole state from a feed node's snapshot (a quote tick), not a
        /// change: a gateway node writes these into its ring when it (re)synchronizes a channel.
        /// Internal to a process; never on any wire.
        public static let snapshot: UInt8 = 0x80
    }

    /// An all-zero quote tick, the starting point for filling one in.
    @inlinable public init() {
        symbol = .none
        seq = 0
        timestamp = 0
        receiveTime = 0
        volume = 0
        matchNumber = 0
        tradePrice = 0
        tradeSize = 0
        locate = 0
        kind = .quote
        status = .unknown
        bidCount = 0
        askCount = 0
        changedLevel = 0
        side = 0
        flags = 0
        reserved = (0, 0, 0)
        indicativePrice = 0
        indicativeVolume = 0
        bids = InlineArray(repeating: .empty)
        asks = InlineArray(repeating: .empty)
    }
}

extension Tick {
    /// Whether `other` says the same thing: every field a consumer reads, compared one by one (the
    /// levels up to each side's count; fields a kind does not carry, and padding, are ignored). Two
    /// ticks of the same book change compare equal however they were produced or carried.
    public func hasSameContent(as other: Tick) -> Bool {
        guard symbol == other.symbol, seq == other.seq, timestamp == other.timestamp,
              receiveTime == other.receiveTime, volume == other.volume, tradePrice == other.tradePrice,
              tradeSize == other.tradeSize, locate == other.locate, kind == other.kind, status == other.status,
              flags == other.flags else { return false }
        switch kind {
        case .quote:
            guard bidCount == other.bidCount, askCount == other.askCount, changedLevel == other.changedLevel,
                  indicativePrice == other.indicativePrice, indicativeVolume == other.indicativeVolume else {
                return false
            }
            for i in 0..<Int(bidCount) where bids[i] != other.bids[i] { return false }
            for i in 0..<Int(askCount) where asks[i] != other.asks[i] { return false }
            return true
        case .trade:
            return side == other.side && matchNumber == other.matchNumber && statistics == other.statistics
        case .status, .tradeBreak:
            return matchNumber == other.matchNumber
        case .instrument:
            return instrument == other.instrument
        }
    }
}

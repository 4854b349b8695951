/// A source address as the rate limiter keys it: 128 bits, IPv4 as its IPv4-mapped IPv6 form
/// (`::ffff:a.b.c.d`), so one table serves both families.
public struct SourceAddressKey: Hashable, Sendable {
    /// The first 64 bits of the IPv6 address.
    public let high: UInt64
    /// The last 64 bits.
    public let low: UInt64

    /// An IPv4 address (host byte order: 127.0.0.1 is 0x7F00_0001).
    public init(ipv4: UInt32) {
        high = 0
        low = 0x0000_FFFF_0000_0000 | UInt64(ipv4)
    }

    /// An IPv6 address from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }
}

/// The per-source-address limit on new connections: a token bucket per address (rate, burst) in a
/// fixed table, so memory stays bounded whatever the number of addresses.
///
/// The table is set-associative: `capacity` entries in sets of 8, an address's set picked by a hash
/// seeded at random per process (so no one can aim many addresses at one victim's set). An entry
/// whose bucket has filled up again is worth nothing (a fresh bucket is full too) and is reused by
/// the next new address of its set. **When the table is full** — all 8 entries of the newcomer's
/// set belong to addresses that are still being limited — the newcomer is refused (`tableFull`),
/// like nginx's `limit_req` zone: failing closed keeps the limit honest under a many-address flood
/// (to fill a set, 8 addresses must each keep connecting faster than the rate), and it is counted
/// apart so an operator can raise `capacity`. Loop-thread only; no allocation after `init`.
public struct AddressRateLimiter: Sendable {
    /// The limit's settings (validated by `init`).
    public struct Configuration: Sendable, Equatable {
        /// New connections per second per address, after the burst.
        public var ratePerSecond: Double
        /// New connections an address may open at once.
        public var burst: Int
        /// Addresses tracked at once (rounded up to a multiple of 8).
        public var capacity: Int

        /// A limit of `ratePerSecond` (> 0) with `burst` (≥ 1), tracking up to `capacity` addresses.
        public init(ratePerSecond: Double, burst: Int, capacity: Int = 8192) {
            self.ratePerSecond = ratePerSecond
            self.burst = burst
            self.capacity = capacity
        }
    }

    /// What happened to one new connection.
    public enum Admission: Sendable, Equatable {
        /// Within its address's limit.
        case admitted
        /// Its address is over the limit.
        case limited
        /// Its address is new and its set of the table is full of addresses still being limited.
        case tableFull
    }

    /// Entries per set.
    public static let ways = 8

    /// The settings.
    public let configuration: Configuration
    private let shape: BucketShape
    private let setMask: Int
    private var keys: [SourceAddressKey]
    /// Each entry's theoretical arrival time; 0 marks an unused entry.
    private var arrivals: [UInt64]
    /// Entries in use (including ones whose bucket has filled up and that wait to be reused).
    public private(set) var tracked = 0

    /// An empty table.
    public init(_ configuration: Configuration) {
        self.configuration = configuration
        shape = BucketShape(ratePerSecond: configuration.ratePerSecond, burst: configuration.burst)
        var sets = 1
        while sets * AddressRateLimiter.ways < configuration.capacity { sets <<= 1 }
        setMask = sets - 1
        keys = Array(repeating: SourceAddressKey(high: 0, low: 0), count: sets * AddressRateLimiter.ways)
        arrivals = Array(repeating: 0, count: sets * AddressRateLimiter.ways)
    }

    /// Entries in the table.
    public var capacity: Int { arrivals.count }

    /// Counts a new connection from `address` at `now` (monotonic nanoseconds, never 0).
    public mutating func admit(_ address: SourceAddressKey, now: UInt64) -> Admission {
        var hasher = Hasher()
        hasher.combine(address)
        let base = (hasher.finalize() & setMask) * AddressRateLimiter.ways
        var reusable = -1
        for i in base..<(base + AddressRateLimiter.ways) {
            if arrivals[i] != 0 && keys[i] == address {
                return shape.take(&arrivals[i], now: now) ? .admitted : .limited
            }
            if reusable < 0 && (arrivals[i] == 0 || shape.isFull(arrivals[i], now: now)) { reusable = i }
        }
        guard reusable >= 0 else { return .tableFull }
        if arrivals[reusable] == 0 { tracked += 1 }
        keys[reusable] = address
        arrivals[reusable] = 0
        // A full bucket always has a token: this take succeeds.
        return shape.take(&arrivals[reusable], now: now) ? .admitted : .limited
    }
}

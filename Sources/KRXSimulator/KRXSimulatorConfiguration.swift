/// Everything that shapes a simulated Korean trading day. Two days with equal configurations are
/// byte-identical.
public struct KRXSimulatorConfiguration: Sendable, Equatable {
    /// Seed of the whole day (listings, order flow, news, halts, random VI ends). Default 1.
    public var seed: UInt64 = 1
    /// Listed stocks simulated (1…1 000). Default 40.
    public var instrumentCount: Int = 40
    /// Orders per instrument and simulated minute in continuous trading and VI auctions, on average;
    /// instruments differ (a Zipf-like spread, the busiest about 5× the mean). Default 6.
    public var ordersPerMinute: Double = 6
    /// Orders per instrument in the opening auction (08:30–09:00), on average. Default 40.
    public var openingAuctionOrders: Double = 40
    /// Orders per instrument in the closing auction (15:20–15:30), on average. Default 20.
    public var closingAuctionOrders: Double = 20
    /// News per instrument and day, on average: a jump of 2–12 % in the instrument's fair value, the
    /// quotes on the stale side pulled — what sets off most VIs. Default 1.
    public var newsPerInstrument: Double = 1
    /// Trading halts per day across all instruments, on average (each 5–20 minutes, then a
    /// 10-minute single-price auction). Default 1.
    public var haltsPerDay: Double = 1
    /// Simulated seconds per wall-clock second when the day is replayed in real time: the day's
    /// 08:20–15:30 runs in 7 h 10 min at 1, in about 7 minutes at 60 (`KRXPayload.wallOffset`).
    /// The simulator itself runs as fast as it is asked; this only spaces the payloads. Default 1.
    public var timeCompression: Double = 1
    /// Largest UDP payload (632…65 507 bytes). Default 1 400 (under a 1 500-byte MTU).
    public var maxPayloadSize: Int = 1_400
    /// The business date written in the instrument master, `YYYYMMDD`. Default `20260105`.
    public var businessDate: String = "20260105"

    /// The defaults.
    public init() {}

    /// Why the configuration cannot run, naming the field; `nil` when it can.
    public func validate() -> String? {
        if !(1...1_000).contains(instrumentCount) { return "instrumentCount must be 1…1000, not \(instrumentCount)" }
        if !(ordersPerMinute > 0 && ordersPerMinute <= 6_000) { return "ordersPerMinute must be in (0, 6000], not \(ordersPerMinute)" }
        if !(openingAuctionOrders >= 0 && openingAuctionOrders <= 100_000) {
            return "openingAuctionOrders must be 0…100000, not \(openingAuctionOrders)"
        }
        if !(closingAuctionOrders >= 0 && closingAuctionOrders <= 100_000) {
            return "closingAuctionOrders must be 0…100000, not \(closingAuctionOrders)"
        }
        if !(newsPerInstrument >= 0 && newsPerInstrument <= 1_000) { return "newsPerInstrument must be 0…1000, not \(newsPerInstrument)" }
        if !(haltsPerDay >= 0 && haltsPerDay <= 1_000) { return "haltsPerDay must be 0…1000, not \(haltsPerDay)" }
        if !(timeCompression > 0 && timeCompression <= 1_000_000) {
            return "timeCompression must be in (0, 1000000], not \(timeCompression)"
        }
        if !(632...65_507).contains(maxPayloadSize) { return "maxPayloadSize must be 632…65507, not \(maxPayloadSize)" }
        if businessDate.utf8.count != 8 || !businessDate.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return "businessDate must be YYYYMMDD, not \(businessDate)"
        }
        return nil
    }
}

/// The simulated day's timetable (Korean time, microseconds since midnight), from KRX's trading
/// hours (global.krx.co.kr, "Trading hours").
public enum KRXSchedule {
    /// The instrument master batch (sent in the early morning in reality; here just before the rest).
    public static let masterBatch: Int64 = time(8, 20)
    /// When the batch goes out: KOSCOM transmits it three times (the Message List: 05:30, 06:10 and
    /// 06:50, "transmitting three times"; receivers drop the repeats by their sequence numbers), so a
    /// receiver that lost a copy still learns every instrument. The simulated day, which starts at
    /// 08:20, sends it at 08:20, 08:21 and 08:22.
    public static let masterBatchTimes: [Int64] = [time(8, 20), time(8, 21), time(8, 22)]
    /// The base prices and limits of the day.
    public static let basePrices: Int64 = time(8, 25)
    /// The opening single-price auction starts taking orders.
    public static let openingAuction: Int64 = time(8, 30)
    /// The opening uncross; continuous trading starts.
    public static let open: Int64 = time(9, 0)
    /// The closing single-price auction starts.
    public static let closingAuction: Int64 = time(15, 20)
    /// The closing uncross.
    public static let close: Int64 = time(15, 30)
    /// A VI auction's length before its random end (2 minutes) …
    public static let viAuction: Int64 = 120_000_000
    /// … and the window of the random end (up to 30 seconds more).
    public static let randomEnd: Int64 = 30_000_000
    /// The single-price auction after a halt (10 minutes; a secondary source, docs/krx.md).
    public static let resumptionAuction: Int64 = 600_000_000
    /// The last moment a halt may start, and the latest it may end.
    public static let lastHaltStart: Int64 = time(14, 30)
    public static let lastHaltEnd: Int64 = time(15, 0)

    /// `hours:minutes` as microseconds since midnight.
    public static func time(_ hours: Int64, _ minutes: Int64, _ seconds: Int64 = 0) -> Int64 {
        ((hours * 60 + minutes) * 60 + seconds) * 1_000_000
    }
}

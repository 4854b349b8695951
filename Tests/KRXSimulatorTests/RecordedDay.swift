import KRX
import Market
@testable import KRXSimulator

/// A decoded record, as values.
enum DecodedRecord {
    case polling(minutes: Int)
    case quote(KRXQuote)
    case trade(KRXTrade)
    case operation(KRXMarketOperation)
    case basePrice(KRXBasePrice)
    case closing(KRXIssueClosing)
    case vi(KRXVolatilityInterruption)
    case master(KRXInstrument)
    case endOfBatch(TRCode, Int64)

    /// The header of a real-time record.
    var header: KRXRecordHeader? {
        switch self {
        case .quote(let q): q.header
        case .trade(let t): t.header
        case .operation(let o): o.header
        case .basePrice(let b): b.header
        case .closing(let c): c.header
        case .vi(let v): v.header
        default: nil
        }
    }
}

/// A whole simulated day: its payloads and every record decoded, in order.
struct RecordedDay {
    let configuration: KRXSimulatorConfiguration
    let listings: [KRXListing]
    let payloads: [KRXPayload]
    let records: [(time: Int64, record: DecodedRecord)]
    let statistics: KRXDayStatistics
    let refused: Int

    init(_ configuration: KRXSimulatorConfiguration) {
        self.configuration = configuration
        var day = KRXTradingDay(configuration)
        listings = day.listings
        var payloads: [KRXPayload] = []
        while let payload = day.nextPayload() { payloads.append(payload) }
        self.payloads = payloads
        statistics = day.statistics
        var records: [(Int64, DecodedRecord)] = []
        var refused = 0
        for payload in payloads {
            payload.bytes.withUnsafeBytes { raw in
                var reader = KRXRecordReader(payload: raw)
                while let record = reader.next() {
                    let decoded: DecodedRecord = switch record {
                    case .polling(let p): .polling(minutes: p.minutesSinceMidnight)
                    case .quote(let q): .quote(q.contents)
                    case .trade(let t): .trade(t.contents)
                    case .marketOperation(let e): .operation(e.contents)
                    case .basePrice(let b): .basePrice(b.contents)
                    case .issueClosing(let c): .closing(c.contents)
                    case .volatilityInterruption(let v): .vi(v.contents)
                    case .instrumentMaster(let m): .master(m.contents)
                    case .endOfBatch(let code, let sequence): .endOfBatch(code, sequence)
                    }
                    records.append((payload.time, decoded))
                }
                refused += reader.statistics.refusedTotal
            }
        }
        self.records = records
        self.refused = refused
    }

    /// The listing of `isin`.
    func listing(_ isin: ISIN) -> KRXListing { listings.first { $0.isin == isin }! }
}

/// The seed of this run's property days, printed with every failure.
let propertySeed = UInt64.random(in: 1...UInt64(UInt32.max))

/// A busy day (news and halts more frequent than the defaults, so VIs and halts are plentiful) of
/// 12 instruments, seeded per run.
let busyDay: RecordedDay = {
    var configuration = KRXSimulatorConfiguration()
    configuration.seed = propertySeed
    configuration.instrumentCount = 12
    configuration.newsPerInstrument = 4
    configuration.haltsPerDay = 4
    return RecordedDay(configuration)
}()

/// A second busy day with another seed and KOSPI 200 constituents' tighter dynamic VI.
let secondDay: RecordedDay = {
    var configuration = KRXSimulatorConfiguration()
    configuration.seed = propertySeed &+ 1
    configuration.instrumentCount = 10
    configuration.newsPerInstrument = 3
    configuration.haltsPerDay = 2
    configuration.ordersPerMinute = 10
    return RecordedDay(configuration)
}()

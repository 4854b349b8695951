/// A record's TR code: the 2-byte data category and the 3-byte information category that begin
/// every KOSCOM record (`B601S` = quote, KOSPI). The last letter names the market (`S` KOSPI, `Q`
/// KOSDAQ, `X` KONEX); one data category covers layouts of different lengths, so a record is
/// dispatched on all five bytes.
///
/// Invariant: `raw` holds the five ASCII bytes, the first in the lowest byte, the upper three bytes 0.
@frozen
public struct TRCode: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// The five bytes, first letter lowest.
    public let raw: UInt64

    /// The code made of the five bytes at `base`.
    @inlinable public init(at base: UnsafeRawPointer) {
        let first4 = UInt64(UInt32(littleEndian: base.loadUnaligned(as: UInt32.self)))
        raw = first4 | UInt64(base.load(fromByteOffset: 4, as: UInt8.self)) << 32
    }

    /// The code for five ASCII letters or digits, `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 5, bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }) else {
            return nil
        }
        raw = bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    /// The code's letters.
    public var description: String {
        String(decoding: (0..<5).map { UInt8(truncatingIfNeeded: raw >> (8 * UInt64($0))) }, as: UTF8.self)
    }

    /// The first four letters (data category and information number), e.g. `B601`.
    @inlinable var prefix: UInt32 { UInt32(truncatingIfNeeded: raw) }
    /// The fifth letter: the market code of real-time stock records.
    @inlinable var marketLetter: UInt8 { UInt8(truncatingIfNeeded: raw >> 32) }

    /// The record this code announces, `nil` for a code quotecast does not decode.
    @inlinable public var kind: KRXRecordKind? {
        switch prefix {
        case TRCode.prefix("I200"): return marketLetter == 0x30 ? .polling : nil
        case TRCode.prefix("B601"): return market != nil ? .quote : nil
        case TRCode.prefix("A301"): return market != nil ? .trade : nil
        case TRCode.prefix("A701"): return market != nil ? .marketOperation : nil
        case TRCode.prefix("A401"): return market != nil ? .basePrice : nil
        case TRCode.prefix("A601"): return market != nil ? .issueClosing : nil
        // The Message List has no R801X: KONEX has no volatility interruption records.
        case TRCode.prefix("R801"): return market == .kospi || market == .kosdaq ? .volatilityInterruption : nil
        case TRCode.prefix("A001"): return market != nil ? .instrumentMaster : nil
        default: return nil
        }
    }

    /// The market of a stock record's code (its fifth letter), `nil` for any other letter.
    @inlinable public var market: KRXMarket? { KRXMarket(letter: marketLetter) }

    /// The code of `kind` for `market` (`.polling` ignores the market: `I2000`).
    public init(_ kind: KRXRecordKind, _ market: KRXMarket) {
        let prefix: String
        switch kind {
        case .polling: self.init("I2000")!; return
        case .quote: prefix = "B601"
        case .trade: prefix = "A301"
        case .marketOperation: prefix = "A701"
        case .basePrice: prefix = "A401"
        case .issueClosing: prefix = "A601"
        case .volatilityInterruption: prefix = "R801"
        case .instrumentMaster: prefix = "A001"
        }
        self.init(prefix + String(UnicodeScalar(market.letter)))!
    }

    /// Four ASCII letters as the little-endian integer `prefix` compares against.
    @inlinable static func prefix(_ text: StaticString) -> UInt32 {
        text.withUTF8Buffer { b in UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24 }
    }
}

/// The stock markets of KOSCOM's Securities A (KOSPI) and Securities B (KOSDAQ, KONEX) products.
public enum KRXMarket: Sendable, Equatable, Hashable, CaseIterable {
    /// KOSPI, the main board (`S`).
    case kospi
    /// KOSDAQ (`Q`).
    case kosdaq
    /// KONEX (`X`).
    case konex

    /// The market for a TR code's fifth letter.
    @inlinable public init?(letter: UInt8) {
        switch letter {
        case 0x53: self = .kospi
        case 0x51: self = .kosdaq
        case 0x58: self = .konex
        default: return nil
        }
    }

    /// The TR code's fifth letter for this market.
    @inlinable public var letter: UInt8 {
        switch self {
        case .kospi: 0x53
        case .kosdaq: 0x51
        case .konex: 0x58
        }
    }
}

/// The records quotecast decodes, with the interface id and length the specification gives each.
public enum KRXRecordKind: Sendable, Equatable, Hashable, CaseIterable {
    /// Polling data `I2000` (IFMSRPD0001): the heartbeat.
    case polling
    /// Quote, MM/LP quotes excluded `B601x` (IFMSRPD0002): 10 ask and bid levels.
    case quote
    /// Order filled `A301x` (IFMSRPD0004): a trade with the day's statistics.
    case trade
    /// Market operation TS `A701x` (IFMSRPD0008): board events and halts.
    case marketOperation
    /// Determination of base price `A401x` (IFMSRPD0011): base price and limits.
    case basePrice
    /// Issue closing `A601x` (IFMSRPD0013): the closing price.
    case issueClosing
    /// Triggering/removing VI `R801x` (IFMSRPD0014).
    case volatilityInterruption
    /// Equities batch data `A001x` (IFMSBTD0001): the instrument master.
    case instrumentMaster

    /// The record's length in bytes, end keyword included.
    @inlinable public var length: Int {
        switch self {
        case .polling: PollingRecord.Layout.length
        case .quote: QuoteRecord.Layout.length
        case .trade: TradeRecord.Layout.length
        case .marketOperation: MarketOperationRecord.Layout.length
        case .basePrice: BasePriceRecord.Layout.length
        case .issueClosing: IssueClosingRecord.Layout.length
        case .volatilityInterruption: VolatilityInterruptionRecord.Layout.length
        case .instrumentMaster: InstrumentMasterRecord.Layout.length
        }
    }

    /// The specification's interface id.
    public var interfaceID: String {
        switch self {
        case .polling: "IFMSRPD0001"
        case .quote: "IFMSRPD0002"
        case .trade: "IFMSRPD0004"
        case .marketOperation: "IFMSRPD0008"
        case .basePrice: "IFMSRPD0011"
        case .issueClosing: "IFMSRPD0013"
        case .volatilityInterruption: "IFMSRPD0014"
        case .instrumentMaster: "IFMSBTD0001"
        }
    }

    /// A short name for logs and metric labels.
    public var name: String {
        switch self {
        case .polling: "polling"
        case .quote: "quote"
        case .trade: "trade"
        case .marketOperation: "market_operation"
        case .basePrice: "base_price"
        case .issueClosing: "issue_closing"
        case .volatilityInterruption: "volatility_interruption"
        case .instrumentMaster: "instrument_master"
        }
    }
}

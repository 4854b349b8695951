/// The contents of an issue-closing record `A601x`: the day's closing price of one issue on a board.
public struct KRXIssueClosing: Sendable, Equatable, Hashable {
    /// Header fields (this layout has no session and no processing time).
    public var header: KRXRecordHeader
    /// "Closing Price".
    public var closingPrice: Int64?
    /// "Closing Price_Type Code"; `nil` when blank (initial value, or another board than G1).
    public var closingPriceType: KRXClosingPriceType?
    /// "Closing Price_Weighted Stock Price Average".
    public var weightedAveragePrice: Int64?
    /// "Closing Price_Base Price of Buy-In".
    public var buyInBasePrice: Int64?
    /// "Closing Price_Upper Limit of Buy-In".
    public var buyInUpperLimit: Int64?
    /// "Closing Price_Lower Limit of Buy-In".
    public var buyInLowerLimit: Int64?

    /// An issue closing with these fields (the two filler fields are written as 0, as the
    /// specification says they are provided since 2026-06-29).
    public init(header: KRXRecordHeader, closingPrice: Int64?, closingPriceType: KRXClosingPriceType?,
                weightedAveragePrice: Int64?, buyInBasePrice: Int64?, buyInUpperLimit: Int64?, buyInLowerLimit: Int64?) {
        self.header = header
        self.closingPrice = closingPrice
        self.closingPriceType = closingPriceType
        self.weightedAveragePrice = weightedAveragePrice
        self.buyInBasePrice = buyInBasePrice
        self.buyInUpperLimit = buyInUpperLimit
        self.buyInLowerLimit = buyInLowerLimit
    }
}

/// Issue closing (`A601S`/`A601Q`/`A601X`, IFMSRPD0013), 112 bytes: a view in place.
public struct IssueClosingRecord: KRXRealTimeRecord {
    /// Every field's place (SPEC Details, IFMSRPD0013).
    public enum Layout {
        /// The record's length, end keyword included.
        public static let length = 112
        public static let sequenceNumber = KRXField(5, 8)
        public static let board = KRXField(13, 2)
        public static let isin = KRXField(15, 12)
        public static let designatedNumber = KRXField(27, 6)
        public static let closingPrice = KRXField(33, 11)
        public static let closingPriceType = KRXField(44, 1)
        /// Two former off-hours limit fields, "Filler11" since 2026-06-29 (provided as 0).
        public static let firstFiller = KRXField(45, 11)
        public static let secondFiller = KRXField(56, 11)
        public static let weightedAveragePrice = KRXField(67, 11)
        public static let buyInBasePrice = KRXField(78, 11)
        public static let buyInUpperLimit = KRXField(89, 11)
        public static let buyInLowerLimit = KRXField(100, 11)
        public static let endKeyword = KRXField(111, 1)

        /// The header fields (no session, no processing time).
        public static let header = KRXHeaderLayout(sequenceNumber: sequenceNumber, board: board, session: nil,
                                                   isin: isin, designatedNumber: designatedNumber, processingTime: nil)
    }

    /// Where the header fields are.
    @inlinable public static var headerLayout: KRXHeaderLayout { Layout.header }

    /// The record's bytes (a whole, validated issue-closing record).
    public let bytes: KRXRecordBytes

    /// The view of a validated issue-closing record.
    @inlinable public init(_ bytes: KRXRecordBytes) { self.bytes = bytes }

    /// Why `r` (a whole record of this length ending in the end keyword) is refused, `nil` if it is
    /// well-formed. The fillers are not looked at.
    @inlinable public static func validate(_ r: KRXRecordBytes) -> KRXRecordError? {
        if let error = Layout.header.validate(r) { return error }
        guard r.isNumberOrBlank(Layout.closingPrice), r.isNumberOrBlank(Layout.weightedAveragePrice),
              r.isNumberOrBlank(Layout.buyInBasePrice), r.isNumberOrBlank(Layout.buyInUpperLimit),
              r.isNumberOrBlank(Layout.buyInLowerLimit) else { return .nonDigit }
        let type = r.byte(Layout.closingPriceType.offset)
        guard type == 0x20 || KRXClosingPriceType(code: type) != nil else { return .invalidCode }
        return nil
    }

    /// Closing price.
    @inlinable public var closingPrice: Int64? { bytes.optionalSigned(Layout.closingPrice) }
    /// Closing price type (blank: `nil`).
    @inlinable public var closingPriceType: KRXClosingPriceType? {
        KRXClosingPriceType(code: bytes.byte(Layout.closingPriceType.offset))
    }
    /// Weighted average price.
    @inlinable public var weightedAveragePrice: Int64? { bytes.optionalSigned(Layout.weightedAveragePrice) }
    /// Buy-in base price.
    @inlinable public var buyInBasePrice: Int64? { bytes.optionalSigned(Layout.buyInBasePrice) }
    /// Buy-in upper limit.
    @inlinable public var buyInUpperLimit: Int64? { bytes.optionalSigned(Layout.buyInUpperLimit) }
    /// Buy-in lower limit.
    @inlinable public var buyInLowerLimit: Int64? { bytes.optionalSigned(Layout.buyInLowerLimit) }

    /// Everything, as a value.
    public var contents: KRXIssueClosing {
        KRXIssueClosing(header: header, closingPrice: closingPrice, closingPriceType: closingPriceType,
                        weightedAveragePrice: weightedAveragePrice, buyInBasePrice: buyInBasePrice,
                        buyInUpperLimit: buyInUpperLimit, buyInLowerLimit: buyInLowerLimit)
    }

    /// Writes `value` at `out` (room for `Layout.length` bytes); returns `Layout.length`.
    @discardableResult
    public static func encode(_ value: KRXIssueClosing, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableKRXRecordBytes(out)
        Layout.header.write(value.header, w)
        w.optionalSigned(Layout.closingPrice, value.closingPrice)
        w.byte(Layout.closingPriceType.offset, value.closingPriceType?.rawValue ?? 0x20)
        w.signed(Layout.firstFiller, 0)
        w.signed(Layout.secondFiller, 0)
        w.optionalSigned(Layout.weightedAveragePrice, value.weightedAveragePrice)
        w.optionalSigned(Layout.buyInBasePrice, value.buyInBasePrice)
        w.optionalSigned(Layout.buyInUpperLimit, value.buyInUpperLimit)
        w.optionalSigned(Layout.buyInLowerLimit, value.buyInLowerLimit)
        w.byte(Layout.endKeyword.offset, krxEndKeyword)
        return Layout.length
    }
}

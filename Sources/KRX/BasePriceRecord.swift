/// The contents of a base-price record `A401x`: the day's base price and the limits around it.
public struct KRXBasePrice: Sendable, Equatable, Hashable {
    /// Header fields (this layout has no session and no processing time).
    public var header: KRXRecordHeader
    /// "Base Price": the price changes, the sign code and the limits refer to.
    public var basePrice: Int64?
    /// "Upper Limit of Base Price".
    public var upperLimit: Int64?
    /// "Lower Limit of Base Price".
    public var lowerLimit: Int64?

    /// A base price determination with these fields.
    public init(header: KRXRecordHeader, basePrice: Int64?, upperLimit: Int64?, lowerLimit: Int64?) {
        self.header = header
        self.basePrice = basePrice
        self.upperLimit = upperLimit
        self.lowerLimit = lowerLimit
    }
}

/// Determination of base price (`A401S`/`A401Q`/`A401X`, IFMSRPD0011), 67 bytes: a view in place.
public struct BasePriceRecord: KRXRealTimeRecord {
    /// Every field's place (SPEC Details, IFMSRPD0011).
    public enum Layout {
        /// The record's length, end keyword included.
        public static let length = 67
        public static let sequenceNumber = KRXField(5, 8)
        public static let board = KRXField(13, 2)
        public static let isin = KRXField(15, 12)
        public static let designatedNumber = KRXField(27, 6)
        public static let basePrice = KRXField(33, 11)
        public static let upperLimit = KRXField(44, 11)
        public static let lowerLimit = KRXField(55, 11)
        public static let endKeyword = KRXField(66, 1)

        /// The header fields (no session, no processing time).
        public static let header = KRXHeaderLayout(sequenceNumber: sequenceNumber, board: board, session: nil,
                                                   isin: isin, designatedNumber: designatedNumber, processingTime: nil)
    }

    /// Where the header fields are.
    @inlinable public static var headerLayout: KRXHeaderLayout { Layout.header }

    /// The record's bytes (a whole, validated base-price record).
    public let bytes: KRXRecordBytes

    /// The view of a validated base-price record.
    @inlinable public init(_ bytes: KRXRecordBytes) { self.bytes = bytes }

    /// Why `r` (a whole record of this length ending in the end keyword) is refused, `nil` if it is
    /// well-formed.
    @inlinable public static func validate(_ r: KRXRecordBytes) -> KRXRecordError? {
        if let error = Layout.header.validate(r) { return error }
        guard r.isNumberOrBlank(Layout.basePrice), r.isNumberOrBlank(Layout.upperLimit),
              r.isNumberOrBlank(Layout.lowerLimit) else { return .nonDigit }
        return nil
    }

    /// Base price.
    @inlinable public var basePrice: Int64? { bytes.optionalSigned(Layout.basePrice) }
    /// Upper limit.
    @inlinable public var upperLimit: Int64? { bytes.optionalSigned(Layout.upperLimit) }
    /// Lower limit.
    @inlinable public var lowerLimit: Int64? { bytes.optionalSigned(Layout.lowerLimit) }

    /// Everything, as a value.
    public var contents: KRXBasePrice {
        KRXBasePrice(header: header, basePrice: basePrice, upperLimit: upperLimit, lowerLimit: lowerLimit)
    }

    /// Writes `value` at `out` (room for `Layout.length` bytes); returns `Layout.length`.
    @discardableResult
    public static func encode(_ value: KRXBasePrice, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableKRXRecordBytes(out)
        Layout.header.write(value.header, w)
        w.optionalSigned(Layout.basePrice, value.basePrice)
        w.optionalSigned(Layout.upperLimit, value.upperLimit)
        w.optionalSigned(Layout.lowerLimit, value.lowerLimit)
        w.byte(Layout.endKeyword.offset, krxEndKeyword)
        return Layout.length
    }
}

/// The contents of a VI record `R801x`: a volatility interruption starting or ending.
public struct KRXVolatilityInterruption: Sendable, Equatable, Hashable {
    /// Header fields (this layout has no session).
    public var header: KRXRecordHeader
    /// "The time ending VI", microseconds since midnight (read as `HHMMSS` + milliseconds); `nil`
    /// when blank.
    public var endTime: Int64?
    /// "VI Status code".
    public var status: KRXVIStatus
    /// "VI Type code".
    public var type: KRXVIType
    /// "A Base Price to trigger Static VI".
    public var staticBasePrice: Int64?
    /// "A Base Price to trigger dynamic VI".
    public var dynamicBasePrice: Int64?
    /// "VI triggering price".
    public var triggerPrice: Int64?
    /// "Disparate ratio to trigger Static VI" (percent, 6 decimals).
    public var staticDisparity: KRXDecimal?
    /// "Disparate ratio to trigger Dynamic VI" (percent, 6 decimals).
    public var dynamicDisparity: KRXDecimal?

    /// A VI event with these fields.
    public init(header: KRXRecordHeader, endTime: Int64?, status: KRXVIStatus, type: KRXVIType, staticBasePrice: Int64?,
                dynamicBasePrice: Int64?, triggerPrice: Int64?, staticDisparity: KRXDecimal?,
                dynamicDisparity: KRXDecimal?) {
        self.header = header
        self.endTime = endTime
        self.status = status
        self.type = type
        self.staticBasePrice = staticBasePrice
        self.dynamicBasePrice = dynamicBasePrice
        self.triggerPrice = triggerPrice
        self.staticDisparity = staticDisparity
        self.dynamicDisparity = dynamicDisparity
    }
}

/// Triggering/removing VI (`R801S`/`R801Q`, IFMSRPD0014), 116 bytes: a view in place.
public struct VolatilityInterruptionRecord: KRXRealTimeRecord {
    /// Every field's place (SPEC Details, IFMSRPD0014).
    public enum Layout {
        /// The record's length, end keyword included.
        public static let length = 116
        public static let sequenceNumber = KRXField(5, 8)
        public static let board = KRXField(13, 2)
        public static let isin = KRXField(15, 12)
        public static let designatedNumber = KRXField(27, 6)
        public static let processingTime = KRXField(33, 12)
        public static let endTime = KRXField(45, 9)
        public static let status = KRXField(54, 1)
        public static let type = KRXField(55, 1)
        public static let staticBasePrice = KRXField(56, 11)
        public static let dynamicBasePrice = KRXField(67, 11)
        public static let triggerPrice = KRXField(78, 11)
        public static let staticDisparity = KRXField(89, 13, decimals: 6)
        public static let dynamicDisparity = KRXField(102, 13, decimals: 6)
        public static let endKeyword = KRXField(115, 1)

        /// The header fields (no session).
        public static let header = KRXHeaderLayout(sequenceNumber: sequenceNumber, board: board, session: nil,
                                                   isin: isin, designatedNumber: designatedNumber,
                                                   processingTime: processingTime)
    }

    /// Where the header fields are.
    @inlinable public static var headerLayout: KRXHeaderLayout { Layout.header }

    /// The record's bytes (a whole, validated VI record).
    public let bytes: KRXRecordBytes

    /// The view of a validated VI record.
    @inlinable public init(_ bytes: KRXRecordBytes) { self.bytes = bytes }

    /// Why `r` (a whole record of this length ending in the end keyword) is refused, `nil` if it is
    /// well-formed.
    @inlinable public static func validate(_ r: KRXRecordBytes) -> KRXRecordError? {
        if let error = Layout.header.validate(r) { return error }
        guard r.isNumberOrBlank(Layout.staticBasePrice), r.isNumberOrBlank(Layout.dynamicBasePrice),
              r.isNumberOrBlank(Layout.triggerPrice) else { return .nonDigit }
        if let error = r.decimalError(Layout.staticDisparity) ?? r.decimalError(Layout.dynamicDisparity) { return error }
        if let error = r.timeError(Layout.endTime) { return error }
        guard KRXVIStatus(code: r.byte(Layout.status.offset)) != nil,
              KRXVIType(code: r.byte(Layout.type.offset)) != nil else { return .invalidCode }
        return nil
    }

    /// When the VI ends.
    @inlinable public var endTime: Int64? { bytes.optionalTimeOfDay(Layout.endTime) }
    /// Triggered or removed.
    @inlinable public var status: KRXVIStatus { KRXVIStatus(code: bytes.byte(Layout.status.offset)) ?? .removed }
    /// Static, dynamic or both.
    @inlinable public var type: KRXVIType { KRXVIType(code: bytes.byte(Layout.type.offset)) ?? .staticVI }
    /// Static VI base price.
    @inlinable public var staticBasePrice: Int64? { bytes.optionalSigned(Layout.staticBasePrice) }
    /// Dynamic VI base price.
    @inlinable public var dynamicBasePrice: Int64? { bytes.optionalSigned(Layout.dynamicBasePrice) }
    /// The price that triggered the VI.
    @inlinable public var triggerPrice: Int64? { bytes.optionalSigned(Layout.triggerPrice) }
    /// Static disparity ratio.
    @inlinable public var staticDisparity: KRXDecimal? { bytes.decimal(Layout.staticDisparity) }
    /// Dynamic disparity ratio.
    @inlinable public var dynamicDisparity: KRXDecimal? { bytes.decimal(Layout.dynamicDisparity) }

    /// Everything, as a value.
    public var contents: KRXVolatilityInterruption {
        KRXVolatilityInterruption(header: header, endTime: endTime, status: status, type: type,
                                  staticBasePrice: staticBasePrice, dynamicBasePrice: dynamicBasePrice,
                                  triggerPrice: triggerPrice, staticDisparity: staticDisparity,
                                  dynamicDisparity: dynamicDisparity)
    }

    /// Writes `value` at `out` (room for `Layout.length` bytes); returns `Layout.length`.
    @discardableResult
    public static func encode(_ value: KRXVolatilityInterruption, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableKRXRecordBytes(out)
        Layout.header.write(value.header, w)
        if let end = value.endTime { w.timeOfDay(Layout.endTime, end) } else { w.blank(Layout.endTime) }
        w.byte(Layout.status.offset, value.status.rawValue)
        w.byte(Layout.type.offset, value.type.rawValue)
        w.optionalSigned(Layout.staticBasePrice, value.staticBasePrice)
        w.optionalSigned(Layout.dynamicBasePrice, value.dynamicBasePrice)
        w.optionalSigned(Layout.triggerPrice, value.triggerPrice)
        w.decimal(Layout.staticDisparity, value.staticDisparity)
        w.decimal(Layout.dynamicDisparity, value.dynamicDisparity)
        w.byte(Layout.endKeyword.offset, krxEndKeyword)
        return Layout.length
    }
}

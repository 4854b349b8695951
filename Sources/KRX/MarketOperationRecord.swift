/// A board event's id (the specification's "Board Event ID"), three ASCII characters. The code table
/// is not part of the published spreadsheet: quotecast carries the id through and reads the state
/// from the session and the halt reason instead (docs/krx.md).
@frozen
public struct KRXBoardEventID: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// The three bytes, first lowest.
    public let raw: UInt32

    /// The id with these three bytes (first lowest).
    @inlinable public init(raw: UInt32) { self.raw = raw }

    /// The id spelled by three printable ASCII characters.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 3, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        raw = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16
    }

    /// The three characters.
    public var description: String {
        String(decoding: (0..<3).map { UInt8(truncatingIfNeeded: raw >> (8 * UInt32($0))) }, as: UTF8.self)
    }
}

/// The contents of a market operation record `A701x`: a board event of one issue (a session
/// starting, a halt, a resumption).
public struct KRXMarketOperation: Sendable, Equatable, Hashable {
    /// Header fields (the session is the one the event starts).
    public var header: KRXRecordHeader
    /// "Board Event ID".
    public var eventID: KRXBoardEventID
    /// "Start time of a Board Event", microseconds since midnight (read as `HHMMSS` + milliseconds);
    /// `nil` when blank.
    public var eventStartTime: Int64?
    /// "Board Event_Group Code" (bitwise: 1 regular issue, 2 last trading day, 4 not discrete-time,
    /// 8/16 discrete-time); `nil` when blank.
    public var groupCode: Int64?
    /// "Trading Halt Reason Code" (1XX–301 KOSPI, 6XX KOSDAQ/KONEX, 7XX KONEX); `nil` when blank,
    /// which is how an event without a halt (or a resumption) reads.
    public var haltReason: String?

    /// A market operation event with these fields.
    public init(header: KRXRecordHeader, eventID: KRXBoardEventID, eventStartTime: Int64?, groupCode: Int64?,
                haltReason: String?) {
        self.header = header
        self.eventID = eventID
        self.eventStartTime = eventStartTime
        self.groupCode = groupCode
        self.haltReason = haltReason
    }
}

/// Market operation TS (`A701S`/`A701Q`/`A701X`, IFMSRPD0008), 68 bytes: a view in place.
public struct MarketOperationRecord: KRXRealTimeRecord {
    /// Every field's place (SPEC Details, IFMSRPD0008).
    public enum Layout {
        /// The record's length, end keyword included.
        public static let length = 68
        public static let sequenceNumber = KRXField(5, 8)
        public static let board = KRXField(13, 2)
        public static let session = KRXField(15, 2)
        public static let isin = KRXField(17, 12)
        public static let designatedNumber = KRXField(29, 6)
        public static let processingTime = KRXField(35, 12)
        public static let eventID = KRXField(47, 3)
        public static let eventStartTime = KRXField(50, 9)
        public static let groupCode = KRXField(59, 5)
        public static let haltReason = KRXField(64, 3)
        public static let endKeyword = KRXField(67, 1)

        /// The header fields.
        public static let header = KRXHeaderLayout(sequenceNumber: sequenceNumber, board: board, session: session,
                                                   isin: isin, designatedNumber: designatedNumber,
                                                   processingTime: processingTime)
    }

    /// Where the header fields are.
    @inlinable public static var headerLayout: KRXHeaderLayout { Layout.header }

    /// The record's bytes (a whole, validated market operation record).
    public let bytes: KRXRecordBytes

    /// The view of a validated market operation record.
    @inlinable public init(_ bytes: KRXRecordBytes) { self.bytes = bytes }

    /// Why `r` (a whole record of this length ending in the end keyword) is refused, `nil` if it is
    /// well-formed.
    @inlinable public static func validate(_ r: KRXRecordBytes) -> KRXRecordError? {
        if let error = Layout.header.validate(r) { return error }
        guard r.isDigits(Layout.groupCode) || r.isBlank(Layout.groupCode) else { return .nonDigit }
        if let error = r.timeError(Layout.eventStartTime) { return error }
        guard r.isPrintable(Layout.eventID), r.isPrintable(Layout.haltReason) else {
            return .invalidCode
        }
        return nil
    }

    /// Board event id.
    @inlinable public var eventID: KRXBoardEventID {
        KRXBoardEventID(raw: UInt32(bytes.byte(Layout.eventID.offset)) | UInt32(bytes.byte(Layout.eventID.offset + 1)) << 8
                        | UInt32(bytes.byte(Layout.eventID.offset + 2)) << 16)
    }
    /// When the event starts, microseconds since midnight.
    @inlinable public var eventStartTime: Int64? { bytes.optionalTimeOfDay(Layout.eventStartTime) }
    /// Board event group code.
    @inlinable public var groupCode: Int64? { bytes.optionalUnsigned(Layout.groupCode) }
    /// Whether the record carries a halt reason (the issue is halted from the event on).
    @inlinable public var isHalt: Bool { !bytes.isBlank(Layout.haltReason) }
    /// The halt reason code, `nil` when blank (allocates).
    public var haltReason: String? { isHalt ? bytes.text(Layout.haltReason) : nil }

    /// Everything, as a value.
    public var contents: KRXMarketOperation {
        KRXMarketOperation(header: header, eventID: eventID, eventStartTime: eventStartTime, groupCode: groupCode,
                           haltReason: haltReason)
    }

    /// Writes `event` at `out` (room for `Layout.length` bytes); returns `Layout.length`.
    @discardableResult
    public static func encode(_ event: KRXMarketOperation, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableKRXRecordBytes(out)
        Layout.header.write(event.header, w)
        w.text(Layout.eventID, (0..<3).map { UInt8(truncatingIfNeeded: event.eventID.raw >> (8 * UInt32($0))) })
        if let time = event.eventStartTime { w.timeOfDay(Layout.eventStartTime, time) } else { w.blank(Layout.eventStartTime) }
        w.optionalUnsigned(Layout.groupCode, event.groupCode)
        w.text(Layout.haltReason, Array((event.haltReason ?? "").utf8))
        w.byte(Layout.endKeyword.offset, krxEndKeyword)
        return Layout.length
    }
}

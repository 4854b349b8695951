/// A board (the specification's "Board ID"): a trading venue of an issue with its own schedule and
/// rules, two ASCII characters. `G1` is the regular session (the specification's remarks name it);
/// the other boards (pre-/after-hours, block trades, buy-ins) are carried through as codes.
@frozen
public struct KRXBoardID: KRXTwoCharacterCode {
    /// The two bytes, first lowest.
    public let raw: UInt16

    /// The board with these two bytes (first lowest).
    @inlinable public init(raw: UInt16) { self.raw = raw }

    /// `G1`, the regular session's board.
    public static let regular = KRXBoardID("G1")!
}

/// A session of a board (the specification's "Session ID"): which trading method is in force, two
/// ASCII characters. The code table is not part of the published spreadsheet; the codes named here
/// are the ones quotecast's simulator sends and `KRXBook` interprets (docs/krx.md: an assumption,
/// not from the specification). Any other code is carried through unchanged.
@frozen
public struct KRXSessionID: KRXTwoCharacterCode {
    /// The two bytes, first lowest.
    public let raw: UInt16

    /// The session with these two bytes (first lowest).
    @inlinable public init(raw: UInt16) { self.raw = raw }

    /// `00`: before the first session of the day.
    public static let beforeOpen = KRXSessionID("00")!
    /// `10`: the opening single-price auction (orders from 08:30, uncross at 09:00).
    public static let openingAuction = KRXSessionID("10")!
    /// `20`: an intraday single-price auction (a volatility interruption, a resumption after a halt).
    public static let intradayAuction = KRXSessionID("20")!
    /// `30`: the closing single-price auction (15:20–15:30).
    public static let closingAuction = KRXSessionID("30")!
    /// `40`: continuous trading.
    public static let continuous = KRXSessionID("40")!
    /// `80`: trading halted.
    public static let halted = KRXSessionID("80")!
    /// `90`: the regular session has ended.
    public static let closed = KRXSessionID("90")!

    /// Whether orders are matched in a single-price auction in this session (the estimated price and
    /// volume of a quote are meaningful).
    @inlinable public var isSinglePriceAuction: Bool {
        self == .openingAuction || self == .intradayAuction || self == .closingAuction
    }
}

/// A two-character code field (board, session), held as its two bytes.
public protocol KRXTwoCharacterCode: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// The two bytes, first lowest.
    var raw: UInt16 { get }
    /// The code with these two bytes (first lowest).
    init(raw: UInt16)
}

extension KRXTwoCharacterCode {
    /// The code spelled by two printable ASCII characters, `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 2, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        self.init(raw: UInt16(bytes[0]) | UInt16(bytes[1]) << 8)
    }

    /// The two characters.
    public var description: String {
        String(decoding: [UInt8(truncatingIfNeeded: raw), UInt8(truncatingIfNeeded: raw >> 8)], as: UTF8.self)
    }
}

/// The identifying fields at the front of a real-time record: whose it is, where and when.
public struct KRXRecordHeader: Sendable, Equatable, Hashable {
    /// The record's TR code.
    public var trCode: TRCode
    /// The message sequence number: per instrument and board on the high-bandwidth lines.
    public var sequenceNumber: Int64
    /// The board.
    public var board: KRXBoardID
    /// The session; `nil` for records whose layout has no session (base price, issue closing, VI)
    /// or where the field is blank.
    public var session: KRXSessionID?
    /// The instrument.
    public var isin: ISIN
    /// The designated number for the day (per market).
    public var designatedNumber: Int64
    /// The trading system's processing time, microseconds since midnight; `nil` for records whose
    /// layout has none (base price, issue closing).
    public var processingTime: Int64?

    /// A header with these fields.
    public init(trCode: TRCode, sequenceNumber: Int64, board: KRXBoardID = .regular, session: KRXSessionID?,
                isin: ISIN, designatedNumber: Int64, processingTime: Int64?) {
        self.trCode = trCode
        self.sequenceNumber = sequenceNumber
        self.board = board
        self.session = session
        self.isin = isin
        self.designatedNumber = designatedNumber
        self.processingTime = processingTime
    }
}

/// Where one record layout keeps the header fields (several layouts omit the session or the
/// processing time, so each layout says where its own are; never by analogy).
public struct KRXHeaderLayout: Sendable {
    /// "Message sequence number", Int 8.
    public let sequenceNumber: KRXField
    /// "Board ID", String 2.
    public let board: KRXField
    /// "Session ID", String 2, when the layout has one.
    public let session: KRXField?
    /// "ISIN Code", String 12.
    public let isin: KRXField
    /// "A designated number for an issue", Int 6.
    public let designatedNumber: KRXField
    /// "Processing Time of Trading System", `HHMMSSuuuuuu`, when the layout has one.
    public let processingTime: KRXField?

    /// A header layout with these fields.
    public init(sequenceNumber: KRXField, board: KRXField, session: KRXField?, isin: KRXField,
                designatedNumber: KRXField, processingTime: KRXField?) {
        self.sequenceNumber = sequenceNumber
        self.board = board
        self.session = session
        self.isin = isin
        self.designatedNumber = designatedNumber
        self.processingTime = processingTime
    }

    /// Why the header of `r` is refused, `nil` when it is well-formed: a sequence number and a
    /// designated number of digits, a printable board, a printable (or blank) session, an ISIN of
    /// upper-case letters and digits, a valid (or blank) processing time.
    @inlinable public func validate(_ r: KRXRecordBytes) -> KRXRecordError? {
        guard r.isDigits(sequenceNumber), r.isDigits(designatedNumber) else { return .nonDigit }
        guard r.isPrintable(board), session.map({ r.isPrintable($0) }) ?? true else { return .invalidCode }
        var i = isin.offset
        while i < isin.end {
            let b = r.byte(i)
            guard b &- 0x30 <= 9 || (b >= 0x41 && b <= 0x5A) else { return .invalidISIN }
            i += 1
        }
        if let processingTime, let error = r.timeError(processingTime) { return error }
        return nil
    }

    /// The header of a validated record.
    @inlinable public func read(_ r: KRXRecordBytes) -> KRXRecordHeader {
        KRXRecordHeader(trCode: r.trCode, sequenceNumber: r.unsigned(sequenceNumber),
                        board: board(of: r), session: session(of: r), isin: ISIN(at: r.base + isin.offset),
                        designatedNumber: r.unsigned(designatedNumber),
                        processingTime: processingTime.flatMap { r.optionalTimeOfDay($0) })
    }

    /// The board of a validated record.
    @inlinable public func board(of r: KRXRecordBytes) -> KRXBoardID {
        KRXBoardID(raw: UInt16(littleEndian: r.base.loadUnaligned(fromByteOffset: board.offset, as: UInt16.self)))
    }

    /// The session of a validated record, `nil` when the layout has none or it is blank.
    @inlinable public func session(of r: KRXRecordBytes) -> KRXSessionID? {
        guard let session, !r.isBlank(session) else { return nil }
        return KRXSessionID(raw: UInt16(littleEndian: r.base.loadUnaligned(fromByteOffset: session.offset, as: UInt16.self)))
    }

    /// Writes `header` (the TR code included) into `w`.
    @inlinable public func write(_ header: KRXRecordHeader, _ w: MutableKRXRecordBytes) {
        w.trCode(header.trCode)
        w.unsigned(sequenceNumber, header.sequenceNumber)
        w.byte(board.offset, UInt8(truncatingIfNeeded: header.board.raw))
        w.byte(board.offset + 1, UInt8(truncatingIfNeeded: header.board.raw >> 8))
        if let session {
            if let value = header.session {
                w.byte(session.offset, UInt8(truncatingIfNeeded: value.raw))
                w.byte(session.offset + 1, UInt8(truncatingIfNeeded: value.raw >> 8))
            } else {
                w.blank(session)
            }
        }
        w.text(isin, (0..<12).map { header.isin.byte($0) })
        w.unsigned(designatedNumber, header.designatedNumber)
        if let processingTime {
            if let time = header.processingTime { w.timeOfDay(processingTime, time) } else { w.blank(processingTime) }
        }
    }
}

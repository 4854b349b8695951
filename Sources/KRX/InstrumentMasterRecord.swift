/// The contents of an instrument master record `A001x` (equities batch data): one issue's
/// identity, names and the day's reference prices. The batch is sent before the market opens and
/// ends with a marker record (`KRXRecord.endOfBatch`).
public struct KRXInstrument: Sendable, Equatable, Hashable {
    /// The record's TR code (its market).
    public var trCode: TRCode
    /// "Message sequence number" (batch data: numbered per information category).
    public var sequenceNumber: Int64
    /// "Total number of instruments of the Contract" in this batch.
    public var totalInstruments: Int64?
    /// "Business Date", `YYYYMMDD`.
    public var businessDate: String
    /// "ISIN Code".
    public var isin: ISIN
    /// "A designated number for an issue" (per market, for the day).
    public var designatedNumber: Int64
    /// "Abbreviated Issue Code", e.g. `A005930` (trailing spaces removed).
    public var shortCode: String
    /// "Abbreviated issue Name", decoded from CP949 (docs/krx.md); `nil` when its bytes are not
    /// well-formed CP949.
    public var koreanName: String?
    /// "Abbreviated issue Name in EN".
    public var englishName: String
    /// "Security Group ID" (`ST` stock, `EF` ETF, …).
    public var securityGroupID: String
    /// "Market Alert_Type Code" (`00` none, `01` warning, `02` alert, `03` risk …); `nil` when blank.
    public var marketAlertType: String?
    /// "Issue for Administration" (Y/N); `nil` when blank.
    public var isAdministrationIssue: Bool?
    /// "Trading Halt" (Y/N); `nil` when blank.
    public var isHalted: Bool?
    /// "Base Price".
    public var basePrice: Int64?
    /// "Yesterday's Closing Price_Type Code"; `nil` when blank.
    public var previousCloseType: KRXClosingPriceType?
    /// "Yesterday's Closing Price".
    public var previousClose: Int64?
    /// "Yesterday's Accumulated Trading Amount" (shares).
    public var previousVolume: Int64?
    /// "Yesterday's Accumulated Trading Value" (won, 3 decimals).
    public var previousValue: KRXDecimal?
    /// "Upper Limit Price".
    public var upperLimit: Int64?
    /// "Lower Limit Price".
    public var lowerLimit: Int64?
    /// "Par Value" (3 decimals).
    public var parValue: KRXDecimal?
    /// "Number of Listed Shares".
    public var listedShares: Int64?
    /// "Unit of Volume in Main Board" (the lot size).
    public var lotSize: Int64?
    /// "Currency ISO Code", e.g. `KRW`.
    public var currency: String

    /// An instrument master record with these fields.
    public init(trCode: TRCode, sequenceNumber: Int64, totalInstruments: Int64?, businessDate: String, isin: ISIN,
                designatedNumber: Int64, shortCode: String, koreanName: String?, englishName: String,
                securityGroupID: String = "ST", marketAlertType: String? = "00", isAdministrationIssue: Bool? = false,
                isHalted: Bool?, basePrice: Int64?, previousCloseType: KRXClosingPriceType?, previousClose: Int64?,
                previousVolume: Int64?, previousValue: KRXDecimal?, upperLimit: Int64?, lowerLimit: Int64?,
                parValue: KRXDecimal?, listedShares: Int64?, lotSize: Int64?, currency: String = "KRW") {
        self.trCode = trCode
        self.sequenceNumber = sequenceNumber
        self.totalInstruments = totalInstruments
        self.businessDate = businessDate
        self.isin = isin
        self.designatedNumber = designatedNumber
        self.shortCode = shortCode
        self.koreanName = koreanName
        self.englishName = englishName
        self.securityGroupID = securityGroupID
        self.marketAlertType = marketAlertType
        self.isAdministrationIssue = isAdministrationIssue
        self.isHalted = isHalted
        self.basePrice = basePrice
        self.previousCloseType = previousCloseType
        self.previousClose = previousClose
        self.previousVolume = previousVolume
        self.previousValue = previousValue
        self.upperLimit = upperLimit
        self.lowerLimit = lowerLimit
        self.parValue = parValue
        self.listedShares = listedShares
        self.lotSize = lotSize
        self.currency = currency
    }
}

/// Equities batch data (`A001S`/`A001Q`/`A001X`, IFMSBTD0001), 632 bytes: a view in place. Only the
/// fields a quote service needs are read (the layout names them); the other 80-odd fields are
/// neither validated nor decoded.
public struct InstrumentMasterRecord: BitwiseCopyable {
    /// The fields quotecast reads (SPEC Details, IFMSBTD0001).
    public enum Layout {
        /// The record's length, end keyword included.
        public static let length = 632
        public static let sequenceNumber = KRXField(5, 8)
        public static let totalInstruments = KRXField(13, 6)
        public static let businessDate = KRXField(19, 8)
        public static let isin = KRXField(27, 12)
        public static let designatedNumber = KRXField(39, 6)
        public static let shortCode = KRXField(45, 9)
        public static let koreanName = KRXField(54, 40)
        public static let englishName = KRXField(94, 40)
        public static let securityGroupID = KRXField(142, 2)
        public static let marketAlertType = KRXField(155, 2)
        public static let administrationIssue = KRXField(158, 1)
        public static let tradingHalt = KRXField(161, 1)
        public static let basePrice = KRXField(175, 11)
        public static let previousCloseType = KRXField(186, 1)
        public static let previousClose = KRXField(187, 11)
        public static let previousVolume = KRXField(198, 12)
        public static let previousValue = KRXField(210, 22, decimals: 3)
        public static let upperLimit = KRXField(232, 11)
        public static let lowerLimit = KRXField(243, 11)
        public static let parValue = KRXField(265, 11, decimals: 3)
        public static let listedShares = KRXField(295, 16)
        public static let lotSize = KRXField(452, 11)
        public static let currency = KRXField(487, 3)
        public static let endKeyword = KRXField(631, 1)

        /// The end-of-batch marker: the TR code, a sequence number, then `99999999` here (Message
        /// List, IFMSBTD0001 remarks). It is accepted as a whole 632-byte record or cut short after
        /// these 8 bytes by the end keyword (22 bytes): the remark's `~` does not say which.
        public static let endOfBatchMark = KRXField(13, 8)
        /// The length of a marker cut short: TR code, sequence number, the mark, the end keyword.
        public static let shortEndOfBatchLength = 22
    }

    /// The record's bytes (a whole, validated instrument master record).
    public let bytes: KRXRecordBytes

    /// The view of a validated instrument master record.
    @inlinable public init(_ bytes: KRXRecordBytes) { self.bytes = bytes }

    /// Whether the record at `r` (at least `shortEndOfBatchLength` bytes) is the end-of-batch marker.
    @inlinable public static func isEndOfBatch(_ r: KRXRecordBytes) -> Bool {
        // "99999999" as one little-endian load.
        r.base.loadUnaligned(fromByteOffset: Layout.endOfBatchMark.offset, as: UInt64.self) == 0x3939_3939_3939_3939
    }

    /// Why `r` (a whole record of this length ending in the end keyword) is refused, `nil` if it is
    /// well-formed.
    public static func validate(_ r: KRXRecordBytes) -> KRXRecordError? {
        guard r.isDigits(Layout.sequenceNumber), r.isDigits(Layout.designatedNumber),
              r.isDigits(Layout.totalInstruments) || r.isBlank(Layout.totalInstruments),
              r.isDigits(Layout.businessDate) || r.isBlank(Layout.businessDate),
              r.isNumberOrBlank(Layout.basePrice), r.isNumberOrBlank(Layout.previousClose),
              r.isNumberOrBlank(Layout.previousVolume), r.isNumberOrBlank(Layout.upperLimit),
              r.isNumberOrBlank(Layout.lowerLimit), r.isNumberOrBlank(Layout.listedShares),
              r.isNumberOrBlank(Layout.lotSize) else { return .nonDigit }
        if let error = r.decimalError(Layout.previousValue) ?? r.decimalError(Layout.parValue) { return error }
        for i in Layout.isin.offset..<Layout.isin.end {
            let b = r.byte(i)
            guard b &- 0x30 <= 9 || (b >= 0x41 && b <= 0x5A) else { return .invalidISIN }
        }
        guard r.isPrintable(Layout.shortCode), r.isPrintable(Layout.englishName), r.isPrintable(Layout.securityGroupID),
              r.isPrintable(Layout.marketAlertType), r.isPrintable(Layout.currency),
              isFlag(r.byte(Layout.administrationIssue.offset)), isFlag(r.byte(Layout.tradingHalt.offset)) else {
            return .invalidCode
        }
        let closeType = r.byte(Layout.previousCloseType.offset)
        guard closeType == 0x20 || KRXClosingPriceType(code: closeType) != nil else { return .invalidCode }
        return nil
    }

    static func isFlag(_ b: UInt8) -> Bool { b == 0x59 || b == 0x4E || b == 0x20 }

    static func flag(_ b: UInt8) -> Bool? { b == 0x59 ? true : b == 0x4E ? false : nil }

    /// The record's TR code.
    @inlinable public var trCode: TRCode { bytes.trCode }
    /// Message sequence number.
    @inlinable public var sequenceNumber: Int64 { bytes.unsigned(Layout.sequenceNumber) }
    /// The instrument.
    @inlinable public var isin: ISIN { ISIN(at: bytes.base + Layout.isin.offset) }
    /// Designated number.
    @inlinable public var designatedNumber: Int64 { bytes.unsigned(Layout.designatedNumber) }
    /// The Korean name's raw CP949 bytes (40, space-padded).
    @inlinable public var koreanNameBytes: UnsafeRawBufferPointer { bytes.bytes(Layout.koreanName) }
    /// The Korean name as UTF-8, `nil` when its bytes are not well-formed CP949 (allocates).
    public var koreanName: String? { KoreanText.decode(koreanNameBytes) }
    /// Base price.
    @inlinable public var basePrice: Int64? { bytes.optionalSigned(Layout.basePrice) }
    /// Yesterday's close.
    @inlinable public var previousClose: Int64? { bytes.optionalSigned(Layout.previousClose) }
    /// Upper limit.
    @inlinable public var upperLimit: Int64? { bytes.optionalSigned(Layout.upperLimit) }
    /// Lower limit.
    @inlinable public var lowerLimit: Int64? { bytes.optionalSigned(Layout.lowerLimit) }
    /// Trading halt flag.
    public var isHalted: Bool? { InstrumentMasterRecord.flag(bytes.byte(Layout.tradingHalt.offset)) }

    /// Everything quotecast reads, as a value (allocates: the names are decoded).
    public var contents: KRXInstrument {
        let b = bytes
        return KRXInstrument(
            trCode: b.trCode, sequenceNumber: sequenceNumber, totalInstruments: b.optionalUnsigned(Layout.totalInstruments),
            businessDate: b.text(Layout.businessDate), isin: isin, designatedNumber: designatedNumber,
            shortCode: b.text(Layout.shortCode), koreanName: koreanName, englishName: b.text(Layout.englishName),
            securityGroupID: b.text(Layout.securityGroupID),
            marketAlertType: b.isBlank(Layout.marketAlertType) ? nil : b.text(Layout.marketAlertType),
            isAdministrationIssue: InstrumentMasterRecord.flag(b.byte(Layout.administrationIssue.offset)),
            isHalted: isHalted, basePrice: basePrice,
            previousCloseType: KRXClosingPriceType(code: b.byte(Layout.previousCloseType.offset)),
            previousClose: previousClose, previousVolume: b.optionalSigned(Layout.previousVolume),
            previousValue: b.decimal(Layout.previousValue), upperLimit: upperLimit, lowerLimit: lowerLimit,
            parValue: b.decimal(Layout.parValue), listedShares: b.optionalSigned(Layout.listedShares),
            lotSize: b.optionalSigned(Layout.lotSize), currency: b.text(Layout.currency))
    }

    /// Writes `value` at `out` (room for `Layout.length` bytes); returns `Layout.length`. The fields
    /// quotecast does not read are written blank; the Korean name is written as CP949 (it must have
    /// a CP949 form of at most 40 bytes).
    @discardableResult
    public static func encode(_ value: KRXInstrument, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableKRXRecordBytes(out)
        w.blank(KRXField(0, Layout.length))
        w.trCode(value.trCode)
        w.unsigned(Layout.sequenceNumber, value.sequenceNumber)
        w.optionalUnsigned(Layout.totalInstruments, value.totalInstruments)
        w.text(Layout.businessDate, Array(value.businessDate.utf8))
        w.text(Layout.isin, (0..<12).map { value.isin.byte($0) })
        w.unsigned(Layout.designatedNumber, value.designatedNumber)
        w.text(Layout.shortCode, Array(value.shortCode.utf8))
        guard let korean = KoreanText.encode(value.koreanName ?? "") else {
            preconditionFailure("Korean name without a CP949 form")
        }
        w.text(Layout.koreanName, korean)
        w.text(Layout.englishName, Array(value.englishName.utf8))
        w.text(Layout.securityGroupID, Array(value.securityGroupID.utf8))
        w.text(Layout.marketAlertType, Array((value.marketAlertType ?? "").utf8))
        w.byte(Layout.administrationIssue.offset, value.isAdministrationIssue.map { $0 ? 0x59 : 0x4E } ?? 0x20)
        w.byte(Layout.tradingHalt.offset, value.isHalted.map { $0 ? 0x59 : 0x4E } ?? 0x20)
        w.optionalSigned(Layout.basePrice, value.basePrice)
        w.byte(Layout.previousCloseType.offset, value.previousCloseType?.rawValue ?? 0x20)
        w.optionalSigned(Layout.previousClose, value.previousClose)
        w.optionalSigned(Layout.previousVolume, value.previousVolume)
        w.decimal(Layout.previousValue, value.previousValue)
        w.optionalSigned(Layout.upperLimit, value.upperLimit)
        w.optionalSigned(Layout.lowerLimit, value.lowerLimit)
        w.decimal(Layout.parValue, value.parValue)
        w.optionalSigned(Layout.listedShares, value.listedShares)
        w.optionalSigned(Layout.lotSize, value.lotSize)
        w.text(Layout.currency, Array(value.currency.utf8))
        w.byte(Layout.endKeyword.offset, krxEndKeyword)
        return Layout.length
    }

    /// Writes the end-of-batch marker of `trCode`'s batch, numbered `sequenceNumber`, at `out`: the
    /// whole 632-byte form (room for `Layout.length` bytes), fields after the mark blank. Returns
    /// `Layout.length`.
    @discardableResult
    public static func encodeEndOfBatch(trCode: TRCode, sequenceNumber: Int64, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableKRXRecordBytes(out)
        w.blank(KRXField(0, Layout.length))
        w.trCode(trCode)
        w.unsigned(Layout.sequenceNumber, sequenceNumber)
        w.unsigned(Layout.endOfBatchMark, 99_999_999)
        w.byte(Layout.endKeyword.offset, krxEndKeyword)
        return Layout.length
    }
}

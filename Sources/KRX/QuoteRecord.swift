/// One price level of a quote: the ask and the bid at the same depth, as the record pairs them.
public struct KRXQuoteLevel: Sendable, Equatable, Hashable {
    /// Ask price (won); `nil` when blank. An empty level is sent as 0.
    public var askPrice: Int64?
    /// Bid price (won); `nil` when blank.
    public var bidPrice: Int64?
    /// Ask volume (shares); `nil` when blank.
    public var askQuantity: Int64?
    /// Bid volume (shares); `nil` when blank.
    public var bidQuantity: Int64?

    /// A level with these values.
    public init(askPrice: Int64?, bidPrice: Int64?, askQuantity: Int64?, bidQuantity: Int64?) {
        self.askPrice = askPrice
        self.bidPrice = bidPrice
        self.askQuantity = askQuantity
        self.bidQuantity = bidQuantity
    }

    /// A level with no orders on either side (prices and volumes 0).
    public static let empty = KRXQuoteLevel(askPrice: 0, bidPrice: 0, askQuantity: 0, bidQuantity: 0)
}

/// The contents of a quote record `B601x`: a full 10-level picture, so a receiver heals at the next
/// one after a loss.
public struct KRXQuote: Sendable, Equatable, Hashable {
    /// Header fields.
    public var header: KRXRecordHeader
    /// Levels 1…10, best first. Always 10 entries.
    public var levels: [KRXQuoteLevel]
    /// "Total ask volume" (mid-price volume excluded).
    public var totalAskQuantity: Int64?
    /// "Total bid volume" (mid-price volume excluded).
    public var totalBidQuantity: Int64?
    /// "Estimated Trading Price" during a single-price auction.
    public var estimatedPrice: Int64?
    /// "Estimated Trading Volume" during a single-price auction.
    public var estimatedVolume: Int64?
    /// "Midpoint" of the best bid and ask.
    public var midpoint: Int64?
    /// "Ask Mid Price Total Volume".
    public var askMidpointQuantity: Int64?
    /// "Bid Mid Price Total Volume".
    public var bidMidpointQuantity: Int64?

    /// A quote with these fields; `levels` must hold 10 entries.
    public init(header: KRXRecordHeader, levels: [KRXQuoteLevel], totalAskQuantity: Int64?, totalBidQuantity: Int64?,
                estimatedPrice: Int64?, estimatedVolume: Int64?, midpoint: Int64?,
                askMidpointQuantity: Int64?, bidMidpointQuantity: Int64?) {
        precondition(levels.count == QuoteRecord.Layout.levelCount, "a quote has 10 levels")
        self.header = header
        self.levels = levels
        self.totalAskQuantity = totalAskQuantity
        self.totalBidQuantity = totalBidQuantity
        self.estimatedPrice = estimatedPrice
        self.estimatedVolume = estimatedVolume
        self.midpoint = midpoint
        self.askMidpointQuantity = askMidpointQuantity
        self.bidMidpointQuantity = bidMidpointQuantity
    }
}

/// Quote, MM/LP quotes excluded (`B601S`/`B601Q`/`B601X`, IFMSRPD0002), 590 bytes: a view in place.
public struct QuoteRecord: KRXRealTimeRecord {
    /// Every field's place (SPEC Details, IFMSRPD0002).
    public enum Layout {
        /// The record's length, end keyword included.
        public static let length = 590
        public static let sequenceNumber = KRXField(5, 8)
        public static let board = KRXField(13, 2)
        public static let session = KRXField(15, 2)
        public static let isin = KRXField(17, 12)
        public static let designatedNumber = KRXField(29, 6)
        public static let processingTime = KRXField(35, 12)
        /// Levels 1…10 follow each other from here, `levelStride` bytes apiece.
        public static let firstLevel = 47
        public static let levelStride = 46
        public static let levelCount = 10
        /// Within a level: ask price, bid price (11 each), ask volume, bid volume (12 each).
        public static let askPriceInLevel = KRXField(0, 11)
        public static let bidPriceInLevel = KRXField(11, 11)
        public static let askQuantityInLevel = KRXField(22, 12)
        public static let bidQuantityInLevel = KRXField(34, 12)
        public static let totalAskQuantity = KRXField(507, 12)
        public static let totalBidQuantity = KRXField(519, 12)
        public static let estimatedPrice = KRXField(531, 11)
        public static let estimatedVolume = KRXField(542, 12)
        public static let midpoint = KRXField(554, 11)
        public static let askMidpointQuantity = KRXField(565, 12)
        public static let bidMidpointQuantity = KRXField(577, 12)
        public static let endKeyword = KRXField(589, 1)

        /// The header fields.
        public static let header = KRXHeaderLayout(sequenceNumber: sequenceNumber, board: board, session: session,
                                                   isin: isin, designatedNumber: designatedNumber,
                                                   processingTime: processingTime)

        /// `field` (one of the `…InLevel` fields) of level `level` (1…10).
        @inlinable public static func field(_ field: KRXField, level: Int) -> KRXField {
            KRXField(firstLevel + (level - 1) * levelStride + field.offset, field.length)
        }
    }

    /// Where the header fields are.
    @inlinable public static var headerLayout: KRXHeaderLayout { Layout.header }

    /// The record's bytes (a whole, validated quote record).
    public let bytes: KRXRecordBytes

    /// The view of a validated quote record.
    @inlinable public init(_ bytes: KRXRecordBytes) { self.bytes = bytes }

    /// Why `r` (a whole record of this length ending in the end keyword) is refused, `nil` if it is
    /// well-formed.
    @inlinable public static func validate(_ r: KRXRecordBytes) -> KRXRecordError? {
        if let error = Layout.header.validate(r) { return error }
        // Every field from the first level to the end keyword is a number: when they are all plain
        // digits (no blank, no sign), one sweep settles it.
        if r.isDigits(from: Layout.firstLevel, to: Layout.endKeyword.offset) { return nil }
        for level in 1...Layout.levelCount {
            guard r.isNumberOrBlank(Layout.field(Layout.askPriceInLevel, level: level)),
                  r.isNumberOrBlank(Layout.field(Layout.bidPriceInLevel, level: level)),
                  r.isNumberOrBlank(Layout.field(Layout.askQuantityInLevel, level: level)),
                  r.isNumberOrBlank(Layout.field(Layout.bidQuantityInLevel, level: level)) else { return .nonDigit }
        }
        guard r.isNumberOrBlank(Layout.totalAskQuantity), r.isNumberOrBlank(Layout.totalBidQuantity), r.isNumberOrBlank(Layout.estimatedPrice),
              r.isNumberOrBlank(Layout.estimatedVolume), r.isNumberOrBlank(Layout.midpoint), r.isNumberOrBlank(Layout.askMidpointQuantity),
              r.isNumberOrBlank(Layout.bidMidpointQuantity) else { return .nonDigit }
        return nil
    }


    /// Ask price at `level` (1…10).
    @inlinable public func askPrice(level: Int) -> Int64? { bytes.optionalSigned(Layout.field(Layout.askPriceInLevel, level: level)) }
    /// Bid price at `level` (1…10).
    @inlinable public func bidPrice(level: Int) -> Int64? { bytes.optionalSigned(Layout.field(Layout.bidPriceInLevel, level: level)) }
    /// Ask volume at `level` (1…10).
    @inlinable public func askQuantity(level: Int) -> Int64? {
        bytes.optionalSigned(Layout.field(Layout.askQuantityInLevel, level: level))
    }
    /// Bid volume at `level` (1…10).
    @inlinable public func bidQuantity(level: Int) -> Int64? {
        bytes.optionalSigned(Layout.field(Layout.bidQuantityInLevel, level: level))
    }
    /// Total ask volume.
    @inlinable public var totalAskQuantity: Int64? { bytes.optionalSigned(Layout.totalAskQuantity) }
    /// Total bid volume.
    @inlinable public var totalBidQuantity: Int64? { bytes.optionalSigned(Layout.totalBidQuantity) }
    /// Estimated trading price (single-price auctions).
    @inlinable public var estimatedPrice: Int64? { bytes.optionalSigned(Layout.estimatedPrice) }
    /// Estimated trading volume (single-price auctions).
    @inlinable public var estimatedVolume: Int64? { bytes.optionalSigned(Layout.estimatedVolume) }
    /// Midpoint.
    @inlinable public var midpoint: Int64? { bytes.optionalSigned(Layout.midpoint) }
    /// Ask mid-price total volume.
    @inlinable public var askMidpointQuantity: Int64? { bytes.optionalSigned(Layout.askMidpointQuantity) }
    /// Bid mid-price total volume.
    @inlinable public var bidMidpointQuantity: Int64? { bytes.optionalSigned(Layout.bidMidpointQuantity) }

    /// Everything, as a value (allocates the level array; for tools and tests).
    public var contents: KRXQuote {
        KRXQuote(header: header,
                 levels: (1...Layout.levelCount).map {
                     KRXQuoteLevel(askPrice: askPrice(level: $0), bidPrice: bidPrice(level: $0),
                                   askQuantity: askQuantity(level: $0), bidQuantity: bidQuantity(level: $0))
                 },
                 totalAskQuantity: totalAskQuantity, totalBidQuantity: totalBidQuantity, estimatedPrice: estimatedPrice,
                 estimatedVolume: estimatedVolume, midpoint: midpoint, askMidpointQuantity: askMidpointQuantity,
                 bidMidpointQuantity: bidMidpointQuantity)
    }

    /// Writes `quote` at `out` (room for `Layout.length` bytes); returns `Layout.length`.
    @discardableResult
    public static func encode(_ quote: KRXQuote, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableKRXRecordBytes(out)
        Layout.header.write(quote.header, w)
        for (i, level) in quote.levels.enumerated() {
            w.optionalSigned(Layout.field(Layout.askPriceInLevel, level: i + 1), level.askPrice)
            w.optionalSigned(Layout.field(Layout.bidPriceInLevel, level: i + 1), level.bidPrice)
            w.optionalSigned(Layout.field(Layout.askQuantityInLevel, level: i + 1), level.askQuantity)
            w.optionalSigned(Layout.field(Layout.bidQuantityInLevel, level: i + 1), level.bidQuantity)
        }
        w.optionalSigned(Layout.totalAskQuantity, quote.totalAskQuantity)
        w.optionalSigned(Layout.totalBidQuantity, quote.totalBidQuantity)
        w.optionalSigned(Layout.estimatedPrice, quote.estimatedPrice)
        w.optionalSigned(Layout.estimatedVolume, quote.estimatedVolume)
        w.optionalSigned(Layout.midpoint, quote.midpoint)
        w.optionalSigned(Layout.askMidpointQuantity, quote.askMidpointQuantity)
        w.optionalSigned(Layout.bidMidpointQuantity, quote.bidMidpointQuantity)
        w.byte(Layout.endKeyword.offset, krxEndKeyword)
        return Layout.length
    }
}

/// The contents of an order-filled record `A301x`: one trade and the day's statistics after it, so
/// a receiver's day statistics heal at the next one after a loss.
public struct KRXTrade: Sendable, Equatable, Hashable {
    /// Header fields.
    public var header: KRXRecordHeader
    /// "Price change against previous day": the sign code; `nil` when blank.
    public var changeSign: KRXChangeSign?
    /// "A Price change against the previous day": the change's magnitude (won); the sign code says
    /// which way.
    public var change: Int64?
    /// "Trading Price".
    public var price: Int64?
    /// "Trading volume" of this trade.
    public var quantity: Int64?
    /// "Opening Price" (0 on the pre- and after-hours boards).
    public var open: Int64?
    /// "Today's High".
    public var high: Int64?
    /// "Today's Low".
    public var low: Int64?
    /// "Accumulated Trading Volume".
    public var accumulatedVolume: Int64?
    /// "Accumulated Trading value" (won, 3 decimals).
    public var accumulatedValue: KRXDecimal?
    /// "Final Ask/Bid Type Code"; `.auction` for a single-price fill.
    public var aggressor: KRXAggressorSide
    /// "LP Holding Quantity" (may be negative, for ETNs).
    public var lpHoldingQuantity: Int64?
    /// "The Best Ask" after the trade.
    public var bestAsk: Int64?
    /// "The Best Bid" after the trade.
    public var bestBid: Int64?

    /// A trade with these fields.
    public init(header: KRXRecordHeader, changeSign: KRXChangeSign?, change: Int64?, price: Int64?, quantity: Int64?,
                open: Int64?, high: Int64?, low: Int64?, accumulatedVolume: Int64?, accumulatedValue: KRXDecimal?,
                aggressor: KRXAggressorSide, lpHoldingQuantity: Int64?, bestAsk: Int64?, bestBid: Int64?) {
        self.header = header
        self.changeSign = changeSign
        self.change = change
        self.price = price
        self.quantity = quantity
        self.open = open
        self.high = high
        self.low = low
        self.accumulatedVolume = accumulatedVolume
        self.accumulatedValue = accumulatedValue
        self.aggressor = aggressor
        self.lpHoldingQuantity = lpHoldingQuantity
        self.bestAsk = bestAsk
        self.bestBid = bestBid
    }
}

/// Order filled (`A301S`/`A301Q`/`A301X`, IFMSRPD0004), 186 bytes: a view in place.
public struct TradeRecord: KRXRealTimeRecord {
    /// Every field's place (SPEC Details, IFMSRPD0004).
    public enum Layout {
        /// The record's length, end keyword included.
        public static let length = 186
        public static let sequenceNumber = KRXField(5, 8)
        public static let board = KRXField(13, 2)
        public static let session = KRXField(15, 2)
        public static let isin = KRXField(17, 12)
        public static let designatedNumber = KRXField(29, 6)
        public static let processingTime = KRXField(35, 12)
        public static let changeSign = KRXField(47, 1)
        public static let change = KRXField(48, 11)
        public static let price = KRXField(59, 11)
        public static let quantity = KRXField(70, 10)
        public static let open = KRXField(80, 11)
        public static let high = KRXField(91, 11)
        public static let low = KRXField(102, 11)
        public static let accumulatedVolume = KRXField(113, 12)
        public static let accumulatedValue = KRXField(125, 22, decimals: 3)
        public static let aggressor = KRXField(147, 1)
        public static let lpHoldingQuantity = KRXField(148, 15)
        public static let bestAsk = KRXField(163, 11)
        public static let bestBid = KRXField(174, 11)
        public static let endKeyword = KRXField(185, 1)

        /// The header fields.
        public static let header = KRXHeaderLayout(sequenceNumber: sequenceNumber, board: board, session: session,
                                                   isin: isin, designatedNumber: designatedNumber,
                                                   processingTime: processingTime)
    }

    /// Where the header fields are.
    @inlinable public static var headerLayout: KRXHeaderLayout { Layout.header }

    /// The record's bytes (a whole, validated trade record).
    public let bytes: KRXRecordBytes

    /// The view of a validated trade record.
    @inlinable public init(_ bytes: KRXRecordBytes) { self.bytes = bytes }

    /// Why `r` (a whole record of this length ending in the end keyword) is refused, `nil` if it is
    /// well-formed.
    @inlinable public static func validate(_ r: KRXRecordBytes) -> KRXRecordError? {
        if let error = Layout.header.validate(r) { return error }
        guard r.isNumberOrBlank(Layout.change), r.isNumberOrBlank(Layout.price), r.isNumberOrBlank(Layout.quantity),
              r.isNumberOrBlank(Layout.open), r.isNumberOrBlank(Layout.high), r.isNumberOrBlank(Layout.low),
              r.isNumberOrBlank(Layout.accumulatedVolume), r.isNumberOrBlank(Layout.lpHoldingQuantity),
              r.isNumberOrBlank(Layout.bestAsk), r.isNumberOrBlank(Layout.bestBid) else { return .nonDigit }
        if let error = r.decimalError(Layout.accumulatedValue) { return error }
        let sign = r.byte(Layout.changeSign.offset)
        guard sign == 0x20 || KRXChangeSign(code: sign) != nil,
              KRXAggressorSide(code: r.byte(Layout.aggressor.offset)) != nil else { return .invalidCode }
        return nil
    }

    /// Change sign code (blank: `nil`).
    @inlinable public var changeSign: KRXChangeSign? { KRXChangeSign(code: bytes.byte(Layout.changeSign.offset)) }
    /// Change against the base price (magnitude).
    @inlinable public var change: Int64? { bytes.optionalSigned(Layout.change) }
    /// Trade price.
    @inlinable public var price: Int64? { bytes.optionalSigned(Layout.price) }
    /// Trade volume.
    @inlinable public var quantity: Int64? { bytes.optionalSigned(Layout.quantity) }
    /// Opening price.
    @inlinable public var open: Int64? { bytes.optionalSigned(Layout.open) }
    /// Day's high.
    @inlinable public var high: Int64? { bytes.optionalSigned(Layout.high) }
    /// Day's low.
    @inlinable public var low: Int64? { bytes.optionalSigned(Layout.low) }
    /// Accumulated volume.
    @inlinable public var accumulatedVolume: Int64? { bytes.optionalSigned(Layout.accumulatedVolume) }
    /// Accumulated value (won, 3 decimals).
    @inlinable public var accumulatedValue: KRXDecimal? { bytes.decimal(Layout.accumulatedValue) }
    /// Which side took liquidity.
    @inlinable public var aggressor: KRXAggressorSide {
        KRXAggressorSide(code: bytes.byte(Layout.aggressor.offset)) ?? .notApplicable
    }
    /// LP holding quantity.
    @inlinable public var lpHoldingQuantity: Int64? { bytes.optionalSigned(Layout.lpHoldingQuantity) }
    /// Best ask after the trade.
    @inlinable public var bestAsk: Int64? { bytes.optionalSigned(Layout.bestAsk) }
    /// Best bid after the trade.
    @inlinable public var bestBid: Int64? { bytes.optionalSigned(Layout.bestBid) }

    /// Everything, as a value.
    public var contents: KRXTrade {
        KRXTrade(header: header, changeSign: changeSign, change: change, price: price, quantity: quantity, open: open,
                 high: high, low: low, accumulatedVolume: accumulatedVolume, accumulatedValue: accumulatedValue,
                 aggressor: aggressor, lpHoldingQuantity: lpHoldingQuantity, bestAsk: bestAsk, bestBid: bestBid)
    }

    /// Writes `trade` at `out` (room for `Layout.length` bytes); returns `Layout.length`.
    @discardableResult
    public static func encode(_ trade: KRXTrade, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableKRXRecordBytes(out)
        Layout.header.write(trade.header, w)
        w.byte(Layout.changeSign.offset, trade.changeSign?.rawValue ?? 0x20)
        w.optionalSigned(Layout.change, trade.change)
        w.optionalSigned(Layout.price, trade.price)
        w.optionalSigned(Layout.quantity, trade.quantity)
        w.optionalSigned(Layout.open, trade.open)
        w.optionalSigned(Layout.high, trade.high)
        w.optionalSigned(Layout.low, trade.low)
        w.optionalSigned(Layout.accumulatedVolume, trade.accumulatedVolume)
        w.decimal(Layout.accumulatedValue, trade.accumulatedValue)
        w.byte(Layout.aggressor.offset, trade.aggressor.rawValue)
        w.optionalSigned(Layout.lpHoldingQuantity, trade.lpHoldingQuantity)
        w.optionalSigned(Layout.bestAsk, trade.bestAsk)
        w.optionalSigned(Layout.bestBid, trade.bestBid)
        w.byte(Layout.endKeyword.offset, krxEndKeyword)
        return Layout.length
    }
}

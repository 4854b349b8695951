import KRX
import Market

/// A decoded (or expected) field value, compared field by field.
enum FieldValue: Equatable, CustomStringConvertible {
    case number(Int64?)
    case decimal(KRXDecimal?)
    case time(Int64?)
    case text(String?)
    case code(UInt8)
    case isin(ISIN)
    case flag(Bool?)

    var description: String {
        switch self {
        case .number(let v): "number(\(v.map(String.init) ?? "nil"))"
        case .decimal(let v): "decimal(\(v.map(\.description) ?? "nil"))"
        case .time(let v): "time(\(v.map(String.init) ?? "nil"))"
        case .text(let v): "text(\(v ?? "nil"))"
        case .code(let v): "code(\(UnicodeScalar(v)))"
        case .isin(let v): "isin(\(v))"
        case .flag(let v): "flag(\(v.map(String.init) ?? "nil"))"
        }
    }
}

/// What a field holds, which says how the tests fill it.
enum ValueKind {
    /// Digits only, never blank (sequence and designated numbers).
    case digits
    /// Digits, or blank.
    case optionalDigits
    /// A whole number: digits, `-` allowed first; or blank.
    case number
    /// A decimal with the field's decimals; or blank.
    case decimal
    /// `HHMMSS` + fraction digits; or blank unless `required`.
    case time(required: Bool)
    /// A board or session: two printable characters.
    case twoCharacters
    /// An ISIN.
    case isin
    /// One byte of a code table.
    case code([UInt8])
    /// Printable ASCII, left-aligned, space-padded.
    case text
    /// CP949 Korean text.
    case koreanText
    /// `Y`, `N` or blank.
    case flag
}

/// A field quotecast decodes: its item name in the specification, where our layout puts it, what
/// it holds, and how to read it from the decoded record.
struct MappedField {
    let item: String
    let field: KRXField
    let kind: ValueKind
    let read: (KRXRecord) -> FieldValue
}

/// Specification items quotecast does not decode, per kind (the TR code's parts, the end keyword,
/// fillers); for the instrument master, every item not mapped is undecoded.
let undecodedItems: Set<String> = ["Data Category", "Information Category", "End Keyword", "Filler11"]

/// The fields each record kind decodes.
func mappedFields(_ kind: KRXRecordKind) -> [MappedField] {
    switch kind {
    case .polling:
        return [MappedField(item: "Current Time (1-minute interval)", field: PollingRecord.Layout.currentTime,
                            kind: .time(required: true)) { r in
            guard case .polling(let p) = r else { return .text("not polling") }
            return .time(Int64(p.minutesSinceMidnight) * 60_000_000)
        }]
    case .quote:
        typealias L = QuoteRecord.Layout
        func quote(_ r: KRXRecord) -> QuoteRecord? { if case .quote(let q) = r { q } else { nil } }
        var fields = header(L.header, session: true, time: true) { quote($0)?.header }
        for level in 1...10 {
            fields += [
                MappedField(item: "Ask Level \(level) price", field: L.field(L.askPriceInLevel, level: level), kind: .number) {
                    .number(quote($0)?.askPrice(level: level))
                },
                MappedField(item: "Bid Level \(level) price", field: L.field(L.bidPriceInLevel, level: level), kind: .number) {
                    .number(quote($0)?.bidPrice(level: level))
                },
                MappedField(item: "Ask Level \(level) volume", field: L.field(L.askQuantityInLevel, level: level),
                            kind: .number) { .number(quote($0)?.askQuantity(level: level)) },
                MappedField(item: "Bid Level \(level) volume", field: L.field(L.bidQuantityInLevel, level: level),
                            kind: .number) { .number(quote($0)?.bidQuantity(level: level)) },
            ]
        }
        return fields + [
            MappedField(item: "Total ask volume", field: L.totalAskQuantity, kind: .number) { .number(quote($0)?.totalAskQuantity) },
            MappedField(item: "Total bid volume", field: L.totalBidQuantity, kind: .number) { .number(quote($0)?.totalBidQuantity) },
            MappedField(item: "Estimated Trading Price", field: L.estimatedPrice, kind: .number) { .number(quote($0)?.estimatedPrice) },
            MappedField(item: "Estimated Trading Volume", field: L.estimatedVolume, kind: .number) {
                .number(quote($0)?.estimatedVolume)
            },
            MappedField(item: "Midpoint", field: L.midpoint, kind: .number) { .number(quote($0)?.midpoint) },
            MappedField(item: "Ask Mid Price Total Volume", field: L.askMidpointQuantity, kind: .number) {
                .number(quote($0)?.askMidpointQuantity)
            },
            MappedField(item: "Bid Mid Price Total Volume", field: L.bidMidpointQuantity, kind: .number) {
                .number(quote($0)?.bidMidpointQuantity)
            },
        ]
    case .trade:
        typealias L = TradeRecord.Layout
        func trade(_ r: KRXRecord) -> TradeRecord? { if case .trade(let t) = r { t } else { nil } }
        return header(L.header, session: true, time: true) { trade($0)?.header } + [
            MappedField(item: "Price change against previous day", field: L.changeSign,
                        kind: .code(KRXChangeSign.allCases.map(\.rawValue))) { .code(trade($0)?.changeSign?.rawValue ?? 0) },
            MappedField(item: "A Price change against the previous day", field: L.change, kind: .number) { .number(trade($0)?.change) },
            MappedField(item: "Trading Price", field: L.price, kind: .number) { .number(trade($0)?.price) },
            MappedField(item: "Trading volume", field: L.quantity, kind: .number) { .number(trade($0)?.quantity) },
            MappedField(item: "Opening Price", field: L.open, kind: .number) { .number(trade($0)?.open) },
            MappedField(item: "Today's High", field: L.high, kind: .number) { .number(trade($0)?.high) },
            MappedField(item: "Today's Low", field: L.low, kind: .number) { .number(trade($0)?.low) },
            MappedField(item: "Accumulated Trading Volume", field: L.accumulatedVolume, kind: .number) {
                .number(trade($0)?.accumulatedVolume)
            },
            MappedField(item: "Accumulated Trading value", field: L.accumulatedValue, kind: .decimal) {
                .decimal(trade($0)?.accumulatedValue)
            },
            MappedField(item: "Final Ask/Bid Type Code", field: L.aggressor,
                        kind: .code(KRXAggressorSide.allCases.map(\.rawValue))) { .code(trade($0)?.aggressor.rawValue ?? 0) },
            MappedField(item: "LP Holding Quantity", field: L.lpHoldingQuantity, kind: .number) {
                .number(trade($0)?.lpHoldingQuantity)
            },
            MappedField(item: "The Best Ask", field: L.bestAsk, kind: .number) { .number(trade($0)?.bestAsk) },
            MappedField(item: "The Best Bid", field: L.bestBid, kind: .number) { .number(trade($0)?.bestBid) },
        ]
    case .marketOperation:
        typealias L = MarketOperationRecord.Layout
        func event(_ r: KRXRecord) -> MarketOperationRecord? { if case .marketOperation(let e) = r { e } else { nil } }
        return header(L.header, session: true, time: true) { event($0)?.header } + [
            MappedField(item: "Board Event ID", field: L.eventID, kind: .text) { .text(event($0)?.eventID.description.trimmedRight) },
            MappedField(item: "Start time of a Board Event", field: L.eventStartTime, kind: .time(required: false)) {
                .time(event($0)?.eventStartTime)
            },
            MappedField(item: "Board Event_Group Code", field: L.groupCode, kind: .optionalDigits) { .number(event($0)?.groupCode) },
            MappedField(item: "Trading Halt Reason Code", field: L.haltReason, kind: .text) { .text(event($0)?.haltReason ?? "") },
        ]
    case .basePrice:
        typealias L = BasePriceRecord.Layout
        func base(_ r: KRXRecord) -> BasePriceRecord? { if case .basePrice(let b) = r { b } else { nil } }
        return header(L.header, session: false, time: false) { base($0)?.header } + [
            MappedField(item: "Base Price", field: L.basePrice, kind: .number) { .number(base($0)?.basePrice) },
            MappedField(item: "Upper Limit of Base Price", field: L.upperLimit, kind: .number) { .number(base($0)?.upperLimit) },
            MappedField(item: "Lower Limit of Base Price", field: L.lowerLimit, kind: .number) { .number(base($0)?.lowerLimit) },
        ]
    case .issueClosing:
        typealias L = IssueClosingRecord.Layout
        func closing(_ r: KRXRecord) -> IssueClosingRecord? { if case .issueClosing(let c) = r { c } else { nil } }
        return header(L.header, session: false, time: false) { closing($0)?.header } + [
            MappedField(item: "Closing Price", field: L.closingPrice, kind: .number) { .number(closing($0)?.closingPrice) },
            MappedField(item: "Closing Price_Type Code", field: L.closingPriceType,
                        kind: .code(KRXClosingPriceType.allCases.map(\.rawValue))) {
                .code(closing($0)?.closingPriceType?.rawValue ?? 0)
            },
            MappedField(item: "Closing Price_Weighted Stock Price Average", field: L.weightedAveragePrice, kind: .number) {
                .number(closing($0)?.weightedAveragePrice)
            },
            MappedField(item: "Closing Price_Base Price of Buy-In", field: L.buyInBasePrice, kind: .number) {
                .number(closing($0)?.buyInBasePrice)
            },
            MappedField(item: "Closing Price_Upper Limit of Buy-In", field: L.buyInUpperLimit, kind: .number) {
                .number(closing($0)?.buyInUpperLimit)
            },
            MappedField(item: "Closing Price_Lower Limit of Buy-In", field: L.buyInLowerLimit, kind: .number) {
                .number(closing($0)?.buyInLowerLimit)
            },
        ]
    case .volatilityInterruption:
        typealias L = VolatilityInterruptionRecord.Layout
        func vi(_ r: KRXRecord) -> VolatilityInterruptionRecord? { if case .volatilityInterruption(let v) = r { v } else { nil } }
        return header(L.header, session: false, time: true) { vi($0)?.header } + [
            MappedField(item: "The time ending VI", field: L.endTime, kind: .time(required: false)) { .time(vi($0)?.endTime) },
            MappedField(item: "VI Status code", field: L.status, kind: .code(KRXVIStatus.allCases.map(\.rawValue))) {
                .code(vi($0)?.status.rawValue ?? 0)
            },
            MappedField(item: "VI Type code", field: L.type, kind: .code(KRXVIType.allCases.map(\.rawValue))) {
                .code(vi($0)?.type.rawValue ?? 0)
            },
            MappedField(item: "A Base Price to trigger Static VI", field: L.staticBasePrice, kind: .number) {
                .number(vi($0)?.staticBasePrice)
            },
            MappedField(item: "A Base Price to trigger dynamic VI", field: L.dynamicBasePrice, kind: .number) {
                .number(vi($0)?.dynamicBasePrice)
            },
            MappedField(item: "VI triggering price", field: L.triggerPrice, kind: .number) { .number(vi($0)?.triggerPrice) },
            MappedField(item: "Disparate ratio to trigger Static VI", field: L.staticDisparity, kind: .decimal) {
                .decimal(vi($0)?.staticDisparity)
            },
            MappedField(item: "Disparate ratio to trigger Dynamic VI", field: L.dynamicDisparity, kind: .decimal) {
                .decimal(vi($0)?.dynamicDisparity)
            },
        ]
    case .instrumentMaster:
        typealias L = InstrumentMasterRecord.Layout
        func master(_ r: KRXRecord) -> KRXInstrument? { if case .instrumentMaster(let m) = r { m.contents } else { nil } }
        return [
            MappedField(item: "Message sequence number", field: L.sequenceNumber, kind: .digits) { .number(master($0)?.sequenceNumber) },
            MappedField(item: "Total number of instruments of the Contract", field: L.totalInstruments, kind: .optionalDigits) {
                .number(master($0)?.totalInstruments)
            },
            MappedField(item: "Business Date", field: L.businessDate, kind: .digits) {
                .number(master($0).flatMap { Int64($0.businessDate) })
            },
            MappedField(item: "ISIN Code", field: L.isin, kind: .isin) { r in master(r).map { .isin($0.isin) } ?? .text(nil) },
            MappedField(item: "A designated number for an issue", field: L.designatedNumber, kind: .digits) {
                .number(master($0)?.designatedNumber)
            },
            MappedField(item: "Abbreviated Issue Code", field: L.shortCode, kind: .text) { .text(master($0)?.shortCode) },
            MappedField(item: "Abbreviated issue Name", field: L.koreanName, kind: .koreanText) { .text(master($0)?.koreanName) },
            MappedField(item: "Abbreviated issue Name in EN", field: L.englishName, kind: .text) { .text(master($0)?.englishName) },
            MappedField(item: "Security Group ID", field: L.securityGroupID, kind: .text) { .text(master($0)?.securityGroupID) },
            MappedField(item: "Market Alert_Type Code", field: L.marketAlertType, kind: .text) {
                .text(master($0).map { $0.marketAlertType ?? "" })
            },
            MappedField(item: "Issue for Administration", field: L.administrationIssue, kind: .flag) {
                .flag(master($0)?.isAdministrationIssue)
            },
            MappedField(item: "Trading Halt", field: L.tradingHalt, kind: .flag) { .flag(master($0)?.isHalted) },
            MappedField(item: "Base Price", field: L.basePrice, kind: .number) { .number(master($0)?.basePrice) },
            MappedField(item: "Yesterday's Closing Price_Type Code", field: L.previousCloseType,
                        kind: .code(KRXClosingPriceType.allCases.map(\.rawValue))) {
                .code(master($0)?.previousCloseType?.rawValue ?? 0)
            },
            MappedField(item: "Yesterday's Closing Price", field: L.previousClose, kind: .number) { .number(master($0)?.previousClose) },
            MappedField(item: "Yesterday's Accumulated Trading Amount", field: L.previousVolume, kind: .number) {
                .number(master($0)?.previousVolume)
            },
            MappedField(item: "Yesterday's Accumulated Trading Value", field: L.previousValue, kind: .decimal) {
                .decimal(master($0)?.previousValue)
            },
            MappedField(item: "Upper Limit Price", field: L.upperLimit, kind: .number) { .number(master($0)?.upperLimit) },
            MappedField(item: "Lower Limit Price", field: L.lowerLimit, kind: .number) { .number(master($0)?.lowerLimit) },
            MappedField(item: "Par Value", field: L.parValue, kind: .decimal) { .decimal(master($0)?.parValue) },
            MappedField(item: "Number of Listed Shares", field: L.listedShares, kind: .number) { .number(master($0)?.listedShares) },
            MappedField(item: "Unit of Volume in Main Board", field: L.lotSize, kind: .number) { .number(master($0)?.lotSize) },
            MappedField(item: "Currency ISO Code", field: L.currency, kind: .text) { .text(master($0)?.currency) },
        ]
    }
}

/// The header fields of a real-time layout.
private func header(_ layout: KRXHeaderLayout, session: Bool, time: Bool,
                    _ read: @escaping (KRXRecord) -> KRXRecordHeader?) -> [MappedField] {
    var fields = [
        MappedField(item: "Message sequence number", field: layout.sequenceNumber, kind: .digits) { .number(read($0)?.sequenceNumber) },
        MappedField(item: "Board ID", field: layout.board, kind: .twoCharacters) { .text(read($0)?.board.description) },
        MappedField(item: "ISIN Code", field: layout.isin, kind: .isin) { r in read(r).map { .isin($0.isin) } ?? .text(nil) },
        MappedField(item: "A designated number for an issue", field: layout.designatedNumber, kind: .digits) {
            .number(read($0)?.designatedNumber)
        },
    ]
    if session, let field = layout.session {
        fields.append(MappedField(item: "Session ID", field: field, kind: .twoCharacters) { .text(read($0)?.session?.description) })
    }
    if time, let field = layout.processingTime {
        fields.append(MappedField(item: "Processing Time of Trading System", field: field, kind: .time(required: false)) {
            .time(read($0)?.processingTime)
        })
    }
    return fields
}

extension String {
    var trimmedRight: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

import Foundation
import Market
@testable import ITCH

/// One row of `Fixtures/itch/spec-fields.csv`: a field of an ITCH 5.0 message as Nasdaq's
/// specification lays it out, read from the PDF by `scripts/itch-spec-fields` (not typed in here).
struct SpecField: Equatable, CustomStringConvertible {
    /// The message type letter.
    let type: UInt8
    /// The field name as the specification prints it.
    let name: String
    let offset: Int
    let length: Int
    /// `integer`, `alpha`, `price4` or `price8`.
    let kind: String

    /// `type/name`, the key of `SpecFieldAccessor.table`.
    var key: String { "\(Character(UnicodeScalar(type)))/\(name)" }
    var description: String { "\(key) (offset \(offset), length \(length), \(kind))" }

    /// The field read straight from message bytes as the specification says: a big-endian unsigned
    /// integer of `length` bytes, or the `length` ASCII bytes of an alpha field. Shares nothing with
    /// `WireBytes` or the layouts.
    func read(_ message: UnsafeRawBufferPointer) -> DecodedField {
        let bytes = Array(message[offset..<offset + length])
        guard kind != "alpha" else { return .alpha(bytes) }
        return .integer(bytes.reduce(0) { $0 << 8 | UInt64($1) })
    }
}

/// A field's value, widened so that the specification's reader and our decoder can be compared.
enum DecodedField: Equatable, CustomStringConvertible {
    case integer(UInt64)
    case alpha([UInt8])

    /// A 1-byte alpha.
    static func byte(_ value: UInt8) -> DecodedField { .alpha([value]) }
    /// A 2- or 4-byte alpha our decoder packs big-endian into an integer (issue sub-type, MPID, reason).
    static func packed<T: FixedWidthInteger>(_ value: T) -> DecodedField {
        .alpha(withUnsafeBytes(of: value.bigEndian) { Array($0) })
    }
    /// An 8-byte symbol, padding included, in wire order.
    static func symbol(_ value: Symbol) -> DecodedField {
        .alpha(withUnsafeBytes(of: value.raw.littleEndian) { Array($0) })
    }
    static func int<T: BinaryInteger>(_ value: T) -> DecodedField { .integer(UInt64(value)) }

    var description: String {
        switch self {
        case .integer(let v): "\(v)"
        case .alpha(let bytes): "\"\(String(decoding: bytes, as: UTF8.self))\" \(bytes)"
        }
    }
}

/// The specification's fields, from the committed CSV.
enum SpecFields {
    static let csv = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/itch/spec-fields.csv")

    /// Every row, in the specification's order; throws when the file is missing or a row is malformed.
    static func load() throws -> [SpecField] {
        let text = try String(contentsOf: csv, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first == "type,message,field,offset,length,kind" else { throw SpecFieldsError.header }
        lines.removeFirst()
        return try lines.map { line in
            // Fields hold no quotes or commas except the message title, which may be quoted: the
            // columns used here are the first and the last four.
            let columns = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard columns.count >= 6, let type = columns[0].utf8.first, columns[0].utf8.count == 1,
                  let offset = Int(columns[columns.count - 3]), let length = Int(columns[columns.count - 2])
            else { throw SpecFieldsError.row(String(line)) }
            return SpecField(type: type, name: columns[columns.count - 4], offset: offset, length: length,
                             kind: columns[columns.count - 1])
        }
    }

    /// The rows grouped by message type.
    static func byType(_ fields: [SpecField]) -> [UInt8: [SpecField]] {
        Dictionary(grouping: fields, by: \.type)
    }
}

enum SpecFieldsError: Error {
    case header
    case row(String)
}

extension ITCHMessage {
    /// The view inside, whatever its type.
    var view: any ITCHMessageView {
        switch self {
        case .systemEvent(let m): m
        case .stockDirectory(let m): m
        case .stockTradingAction(let m): m
        case .regSHORestriction(let m): m
        case .marketParticipantPosition(let m): m
        case .mWCBDeclineLevel(let m): m
        case .mWCBStatus(let m): m
        case .iPOQuotingPeriodUpdate(let m): m
        case .lULDAuctionCollar(let m): m
        case .operationalHalt(let m): m
        case .addOrder(let m): m
        case .addOrderMPID(let m): m
        case .orderExecuted(let m): m
        case .orderExecutedWithPrice(let m): m
        case .orderCancel(let m): m
        case .orderDelete(let m): m
        case .orderReplace(let m): m
        case .nonCrossTrade(let m): m
        case .crossTrade(let m): m
        case .brokenTrade(let m): m
        case .netOrderImbalance(let m): m
        case .retailPriceImprovement(let m): m
        case .directListingPriceDiscovery(let m): m
        }
    }
}

/// How our code reaches one specification field: the layout constant that names its offset (nil for the
/// common header, whose offsets are `CommonLayout`'s) and the decoder's accessor.
///
/// This table is the one hand-written part of the check: it pairs the specification's field names with
/// our accessors. Offsets and lengths are never typed here; they come from the CSV, and which bytes an
/// accessor really reads is measured (`SpecFieldTests`).
struct SpecFieldAccessor: Sendable {
    let layoutOffset: Int
    let read: @Sendable (ITCHMessage) -> DecodedField?

    init<V: ITCHMessageView & SendableMetatype>(_: V.Type, _ layoutOffset: Int, _ read: @escaping @Sendable (V) -> DecodedField) {
        self.layoutOffset = layoutOffset
        self.read = { message in (message.view as? V).map(read) }
    }

    /// The common header's fields, the same in every message (the specification calls the locate
    /// "Locate Code" in the Reg SHO table).
    static func header(_ name: String) -> SpecFieldAccessor? {
        func common(_ offset: Int, _ read: @escaping @Sendable (any ITCHMessageView) -> DecodedField) -> SpecFieldAccessor {
            SpecFieldAccessor(layoutOffset: offset) { read($0.view) }
        }
        switch name {
        case "Message Type": return common(CommonLayout.type) { .byte($0.messageType) }
        case "Stock Locate", "Locate Code": return common(CommonLayout.stockLocate) { .int($0.stockLocate) }
        case "Tracking Number": return common(CommonLayout.trackingNumber) { .int($0.trackingNumber) }
        case "Timestamp": return common(CommonLayout.timestamp) { .int($0.timestamp) }
        default: return nil
        }
    }

    private init(layoutOffset: Int, read: @escaping @Sendable (ITCHMessage) -> DecodedField?) {
        self.layoutOffset = layoutOffset
        self.read = read
    }

    /// The accessor for `field`, or nil when our code has none.
    static func of(_ field: SpecField) -> SpecFieldAccessor? { header(field.name) ?? table[field.key] }

    typealias SD = StockDirectory
    typealias OE = OrderExecutedWithPrice
    typealias NOII = NetOrderImbalance
    typealias DL = DirectListingPriceDiscovery

    /// Every field after the common header, keyed `type/specification name`.
    static let table: [String: SpecFieldAccessor] = [
        "S/Event Code": .init(SystemEvent.self, SystemEvent.Layout.eventCode) { .byte($0.eventCode) },

        "R/Stock": .init(SD.self, SD.Layout.stock) { .symbol($0.stock) },
        "R/Market Category": .init(SD.self, SD.Layout.marketCategory) { .byte($0.marketCategory) },
        "R/FinancialStatus Indicator": .init(SD.self, SD.Layout.financialStatusIndicator) { .byte($0.financialStatusIndicator) },
        "R/Round Lot Size": .init(SD.self, SD.Layout.roundLotSize) { .int($0.roundLotSize) },
        "R/Round Lots Only": .init(SD.self, SD.Layout.roundLotsOnly) { .byte($0.roundLotsOnly) },
        "R/Issue Classification": .init(SD.self, SD.Layout.issueClassification) { .byte($0.issueClassification) },
        "R/Issue Sub-Type": .init(SD.self, SD.Layout.issueSubType) { .packed($0.issueSubType) },
        "R/Authenticity": .init(SD.self, SD.Layout.authenticity) { .byte($0.authenticity) },
        "R/Short Sale Threshold Indicator": .init(SD.self, SD.Layout.shortSaleThresholdIndicator) { .byte($0.shortSaleThresholdIndicator) },
        "R/IPO Flag": .init(SD.self, SD.Layout.ipoFlag) { .byte($0.ipoFlag) },
        "R/LULDReference Price Tier": .init(SD.self, SD.Layout.luldReferencePriceTier) { .byte($0.luldReferencePriceTier) },
        "R/ETP Flag": .init(SD.self, SD.Layout.etpFlag) { .byte($0.etpFlag) },
        "R/ETP Leverage Factor": .init(SD.self, SD.Layout.etpLeverageFactor) { .int($0.etpLeverageFactor) },
        "R/Inverse Indicator": .init(SD.self, SD.Layout.inverseIndicator) { .byte($0.inverseIndicator) },

        "H/Stock": .init(StockTradingAction.self, StockTradingAction.Layout.stock) { .symbol($0.stock) },
        "H/Trading State": .init(StockTradingAction.self, StockTradingAction.Layout.tradingState) { .byte($0.tradingState) },
        "H/Reserved": .init(StockTradingAction.self, StockTradingAction.Layout.reserved) { .byte($0.reserved) },
        "H/Reason": .init(StockTradingAction.self, StockTradingAction.Layout.reason) { .packed($0.reason) },

        "Y/Stock": .init(RegSHORestriction.self, RegSHORestriction.Layout.stock) { .symbol($0.stock) },
        "Y/Reg SHO Action": .init(RegSHORestriction.self, RegSHORestriction.Layout.regSHOAction) { .byte($0.regSHOAction) },

        "L/MPID": .init(MarketParticipantPosition.self, MarketParticipantPosition.Layout.mpid) { .packed($0.mpid) },
        "L/Stock": .init(MarketParticipantPosition.self, MarketParticipantPosition.Layout.stock) { .symbol($0.stock) },
        "L/Primary Market Maker": .init(MarketParticipantPosition.self, MarketParticipantPosition.Layout.primaryMarketMaker) {
            .byte($0.primaryMarketMaker)
        },
        "L/Market Maker Mode": .init(MarketParticipantPosition.self, MarketParticipantPosition.Layout.marketMakerMode) {
            .byte($0.marketMakerMode)
        },
        "L/Market Participant State": .init(MarketParticipantPosition.self,
                                            MarketParticipantPosition.Layout.marketParticipantState) {
            .byte($0.marketParticipantState)
        },

        "V/Level 1": .init(MWCBDeclineLevel.self, MWCBDeclineLevel.Layout.level1) { .int($0.level1) },
        "V/Level 2": .init(MWCBDeclineLevel.self, MWCBDeclineLevel.Layout.level2) { .int($0.level2) },
        "V/Level 3": .init(MWCBDeclineLevel.self, MWCBDeclineLevel.Layout.level3) { .int($0.level3) },

        "W/Breached Level": .init(MWCBStatus.self, MWCBStatus.Layout.breachedLevel) { .byte($0.breachedLevel) },

        "K/Stock": .init(IPOQuotingPeriodUpdate.self, IPOQuotingPeriodUpdate.Layout.stock) { .symbol($0.stock) },
        "K/IPO Quotation Release Time": .init(IPOQuotingPeriodUpdate.self,
                                              IPOQuotingPeriodUpdate.Layout.ipoQuotationReleaseTime) {
            .int($0.ipoQuotationReleaseTime)
        },
        "K/IPO Quotation Release Qualifier": .init(IPOQuotingPeriodUpdate.self,
                                                   IPOQuotingPeriodUpdate.Layout.ipoQuotationReleaseQualifier) {
            .byte($0.ipoQuotationReleaseQualifier)
        },
        "K/IPO Price": .init(IPOQuotingPeriodUpdate.self, IPOQuotingPeriodUpdate.Layout.ipoPrice) { .int($0.ipoPrice) },

        "J/Stock": .init(LULDAuctionCollar.self, LULDAuctionCollar.Layout.stock) { .symbol($0.stock) },
        "J/Auction Collar Reference Price": .init(LULDAuctionCollar.self, LULDAuctionCollar.Layout.auctionCollarReferencePrice) {
            .int($0.auctionCollarReferencePrice)
        },
        "J/Upper Auction Collar Price": .init(LULDAuctionCollar.self, LULDAuctionCollar.Layout.upperAuctionCollarPrice) {
            .int($0.upperAuctionCollarPrice)
        },
        "J/Lower Auction Collar Price": .init(LULDAuctionCollar.self, LULDAuctionCollar.Layout.lowerAuctionCollarPrice) {
            .int($0.lowerAuctionCollarPrice)
        },
        "J/Auction Collar Extension": .init(LULDAuctionCollar.self, LULDAuctionCollar.Layout.auctionCollarExtension) {
            .int($0.auctionCollarExtension)
        },

        "h/Stock": .init(OperationalHalt.self, OperationalHalt.Layout.stock) { .symbol($0.stock) },
        "h/Market Code": .init(OperationalHalt.self, OperationalHalt.Layout.marketCode) { .byte($0.marketCode) },
        "h/Operational Halt Action": .init(OperationalHalt.self, OperationalHalt.Layout.operationalHaltAction) {
            .byte($0.operationalHaltAction)
        },

        "A/Order Reference Number": .init(AddOrder.self, AddOrder.Layout.orderReference) { .int($0.orderReference) },
        "A/Buy/Sell Indicator": .init(AddOrder.self, AddOrder.Layout.side) { .byte($0.side) },
        "A/Shares": .init(AddOrder.self, AddOrder.Layout.shares) { .int($0.shares) },
        "A/Stock": .init(AddOrder.self, AddOrder.Layout.stock) { .symbol($0.stock) },
        "A/Price": .init(AddOrder.self, AddOrder.Layout.price) { .int($0.price) },

        "F/Order Reference Number": .init(AddOrderMPID.self, AddOrderMPID.Layout.orderReference) { .int($0.orderReference) },
        "F/Buy/Sell Indicator": .init(AddOrderMPID.self, AddOrderMPID.Layout.side) { .byte($0.side) },
        "F/Shares": .init(AddOrderMPID.self, AddOrderMPID.Layout.shares) { .int($0.shares) },
        "F/Stock": .init(AddOrderMPID.self, AddOrderMPID.Layout.stock) { .symbol($0.stock) },
        "F/Price": .init(AddOrderMPID.self, AddOrderMPID.Layout.price) { .int($0.price) },
        "F/Attribution": .init(AddOrderMPID.self, AddOrderMPID.Layout.attribution) { .packed($0.attribution) },

        "E/Order Reference Number": .init(OrderExecuted.self, OrderExecuted.Layout.orderReference) { .int($0.orderReference) },
        "E/Executed Shares": .init(OrderExecuted.self, OrderExecuted.Layout.executedShares) { .int($0.executedShares) },
        "E/Match Number": .init(OrderExecuted.self, OrderExecuted.Layout.matchNumber) { .int($0.matchNumber) },

        "C/Order Reference Number": .init(OE.self, OE.Layout.orderReference) { .int($0.orderReference) },
        "C/Executed Shares": .init(OE.self, OE.Layout.executedShares) { .int($0.executedShares) },
        "C/Match Number": .init(OE.self, OE.Layout.matchNumber) { .int($0.matchNumber) },
        "C/Printable": .init(OE.self, OE.Layout.printable) { .byte($0.printable) },
        "C/Execution Price": .init(OE.self, OE.Layout.executionPrice) { .int($0.executionPrice) },

        "X/Order Reference Number": .init(OrderCancel.self, OrderCancel.Layout.orderReference) { .int($0.orderReference) },
        "X/Cancelled Shares": .init(OrderCancel.self, OrderCancel.Layout.cancelledShares) { .int($0.cancelledShares) },

        "D/Order Reference Number": .init(OrderDelete.self, OrderDelete.Layout.orderReference) { .int($0.orderReference) },

        "U/Original Order Reference Number": .init(OrderReplace.self, OrderReplace.Layout.originalOrderReference) {
            .int($0.originalOrderReference)
        },
        "U/New Order Reference Number": .init(OrderReplace.self, OrderReplace.Layout.newOrderReference) {
            .int($0.newOrderReference)
        },
        "U/Shares": .init(OrderReplace.self, OrderReplace.Layout.shares) { .int($0.shares) },
        "U/Price": .init(OrderReplace.self, OrderReplace.Layout.price) { .int($0.price) },

        "P/Order Reference Number": .init(NonCrossTrade.self, NonCrossTrade.Layout.orderReference) { .int($0.orderReference) },
        "P/Buy/Sell Indicator": .init(NonCrossTrade.self, NonCrossTrade.Layout.side) { .byte($0.side) },
        "P/Shares": .init(NonCrossTrade.self, NonCrossTrade.Layout.shares) { .int($0.shares) },
        "P/Stock": .init(NonCrossTrade.self, NonCrossTrade.Layout.stock) { .symbol($0.stock) },
        "P/Price": .init(NonCrossTrade.self, NonCrossTrade.Layout.price) { .int($0.price) },
        "P/Match Number": .init(NonCrossTrade.self, NonCrossTrade.Layout.matchNumber) { .int($0.matchNumber) },

        "Q/Shares": .init(CrossTrade.self, CrossTrade.Layout.shares) { .int($0.shares) },
        "Q/Stock": .init(CrossTrade.self, CrossTrade.Layout.stock) { .symbol($0.stock) },
        "Q/Cross Price": .init(CrossTrade.self, CrossTrade.Layout.crossPrice) { .int($0.crossPrice) },
        "Q/Match Number": .init(CrossTrade.self, CrossTrade.Layout.matchNumber) { .int($0.matchNumber) },
        "Q/Cross Type": .init(CrossTrade.self, CrossTrade.Layout.crossType) { .byte($0.crossType) },

        "B/Match Number": .init(BrokenTrade.self, BrokenTrade.Layout.matchNumber) { .int($0.matchNumber) },

        "I/Paired Shares": .init(NOII.self, NOII.Layout.pairedShares) { .int($0.pairedShares) },
        "I/Imbalance Shares": .init(NOII.self, NOII.Layout.imbalanceShares) { .int($0.imbalanceShares) },
        "I/Imbalance Direction": .init(NOII.self, NOII.Layout.imbalanceDirection) { .byte($0.imbalanceDirection) },
        "I/Stock": .init(NOII.self, NOII.Layout.stock) { .symbol($0.stock) },
        "I/Far Price": .init(NOII.self, NOII.Layout.farPrice) { .int($0.farPrice) },
        "I/Near Price": .init(NOII.self, NOII.Layout.nearPrice) { .int($0.nearPrice) },
        "I/Current Reference Price": .init(NOII.self, NOII.Layout.currentReferencePrice) { .int($0.currentReferencePrice) },
        "I/Cross Type": .init(NOII.self, NOII.Layout.crossType) { .byte($0.crossType) },
        "I/Price Variation Indicator": .init(NOII.self, NOII.Layout.priceVariationIndicator) { .byte($0.priceVariationIndicator) },

        "N/Stock": .init(RetailPriceImprovement.self, RetailPriceImprovement.Layout.stock) { .symbol($0.stock) },
        "N/Interest Flag": .init(RetailPriceImprovement.self, RetailPriceImprovement.Layout.interestFlag) { .byte($0.interestFlag) },

        "O/Stock": .init(DL.self, DL.Layout.stock) { .symbol($0.stock) },
        "O/Open Eligibility Status": .init(DL.self, DL.Layout.openEligibilityStatus) { .byte($0.openEligibilityStatus) },
        "O/Minimum Allowable Price": .init(DL.self, DL.Layout.minimumAllowablePrice) { .int($0.minimumAllowablePrice) },
        "O/Maximum Allowable Price": .init(DL.self, DL.Layout.maximumAllowablePrice) { .int($0.maximumAllowablePrice) },
        "O/Near Execution Price": .init(DL.self, DL.Layout.nearExecutionPrice) { .int($0.nearExecutionPrice) },
        "O/Near Execution Time": .init(DL.self, DL.Layout.nearExecutionTime) { .int($0.nearExecutionTime) },
        "O/Lower Price Range Collar": .init(DL.self, DL.Layout.lowerPriceRangeCollar) { .int($0.lowerPriceRangeCollar) },
        "O/Upper Price Range Collar": .init(DL.self, DL.Layout.upperPriceRangeCollar) { .int($0.upperPriceRangeCollar) },
    ]
}

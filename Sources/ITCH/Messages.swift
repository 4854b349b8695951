import Market

// The ITCH 5.0 messages: one view type per message, each with its byte layout named once
// (offsets and length straight from the specification's tables) and an encoder that writes it.
// Every view reads in place from the message bytes; nothing is copied or allocated.

/// System Event (`S`), 12 bytes.
public struct SystemEvent: ITCHMessageView {
    /// The message type byte, `S`.
    public static let type: UInt8 = 0x53
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 12
        public static let eventCode = 11
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 1-byte alpha at offset 11.
    @inlinable public var eventCode: UInt8 { bytes.u8(Layout.eventCode) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, eventCode: UInt8, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u8(Layout.eventCode, eventCode)
        return Layout.length
    }
}

/// Stock Directory (`R`), 39 bytes.
public struct StockDirectory: ITCHMessageView {
    /// The message type byte, `R`.
    public static let type: UInt8 = 0x52
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 39
        public static let stock = 11
        public static let marketCategory = 19
        public static let financialStatusIndicator = 20
        public static let roundLotSize = 21
        public static let roundLotsOnly = 25
        public static let issueClassification = 26
        public static let issueSubType = 27
        public static let authenticity = 29
        public static let shortSaleThresholdIndicator = 30
        public static let ipoFlag = 31
        public static let luldReferencePriceTier = 32
        public static let etpFlag = 33
        public static let etpLeverageFactor = 34
        public static let inverseIndicator = 38
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte stock symbol at offset 11.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// 1-byte alpha at offset 19.
    @inlinable public var marketCategory: UInt8 { bytes.u8(Layout.marketCategory) }
    /// 1-byte alpha at offset 20.
    @inlinable public var financialStatusIndicator: UInt8 { bytes.u8(Layout.financialStatusIndicator) }
    /// 4-byte integer at offset 21.
    @inlinable public var roundLotSize: UInt32 { bytes.u32(Layout.roundLotSize) }
    /// 1-byte alpha at offset 25.
    @inlinable public var roundLotsOnly: UInt8 { bytes.u8(Layout.roundLotsOnly) }
    /// 1-byte alpha at offset 26.
    @inlinable public var issueClassification: UInt8 { bytes.u8(Layout.issueClassification) }
    /// 2-byte alpha at offset 27.
    @inlinable public var issueSubType: UInt16 { bytes.u16(Layout.issueSubType) }
    /// 1-byte alpha at offset 29.
    @inlinable public var authenticity: UInt8 { bytes.u8(Layout.authenticity) }
    /// 1-byte alpha at offset 30.
    @inlinable public var shortSaleThresholdIndicator: UInt8 { bytes.u8(Layout.shortSaleThresholdIndicator) }
    /// 1-byte alpha at offset 31.
    @inlinable public var ipoFlag: UInt8 { bytes.u8(Layout.ipoFlag) }
    /// 1-byte alpha at offset 32.
    @inlinable public var luldReferencePriceTier: UInt8 { bytes.u8(Layout.luldReferencePriceTier) }
    /// 1-byte alpha at offset 33.
    @inlinable public var etpFlag: UInt8 { bytes.u8(Layout.etpFlag) }
    /// 4-byte integer at offset 34.
    @inlinable public var etpLeverageFactor: UInt32 { bytes.u32(Layout.etpLeverageFactor) }
    /// 1-byte alpha at offset 38.
    @inlinable public var inverseIndicator: UInt8 { bytes.u8(Layout.inverseIndicator) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, stock: Symbol, marketCategory: UInt8, financialStatusIndicator: UInt8, roundLotSize: UInt32, roundLotsOnly: UInt8, issueClassification: UInt8, issueSubType: UInt16, authenticity: UInt8, shortSaleThresholdIndicator: UInt8, ipoFlag: UInt8, luldReferencePriceTier: UInt8, etpFlag: UInt8, etpLeverageFactor: UInt32, inverseIndicator: UInt8, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.symbol(Layout.stock, stock)
        w.u8(Layout.marketCategory, marketCategory)
        w.u8(Layout.financialStatusIndicator, financialStatusIndicator)
        w.u32(Layout.roundLotSize, roundLotSize)
        w.u8(Layout.roundLotsOnly, roundLotsOnly)
        w.u8(Layout.issueClassification, issueClassification)
        w.u16(Layout.issueSubType, issueSubType)
        w.u8(Layout.authenticity, authenticity)
        w.u8(Layout.shortSaleThresholdIndicator, shortSaleThresholdIndicator)
        w.u8(Layout.ipoFlag, ipoFlag)
        w.u8(Layout.luldReferencePriceTier, luldReferencePriceTier)
        w.u8(Layout.etpFlag, etpFlag)
        w.u32(Layout.etpLeverageFactor, etpLeverageFactor)
        w.u8(Layout.inverseIndicator, inverseIndicator)
        return Layout.length
    }
}

/// Stock Trading Action (`H`), 25 bytes.
public struct StockTradingAction: ITCHMessageView {
    /// The message type byte, `H`.
    public static let type: UInt8 = 0x48
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 25
        public static let stock = 11
        public static let tradingState = 19
        public static let reserved = 20
        public static let reason = 21
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte stock symbol at offset 11.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// 1-byte alpha at offset 19.
    @inlinable public var tradingState: UInt8 { bytes.u8(Layout.tradingState) }
    /// 1-byte alpha at offset 20.
    @inlinable public var reserved: UInt8 { bytes.u8(Layout.reserved) }
    /// 4-byte alpha (big-endian packed) at offset 21.
    @inlinable public var reason: UInt32 { bytes.alpha4(Layout.reason) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, stock: Symbol, tradingState: UInt8, reserved: UInt8, reason: UInt32, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.symbol(Layout.stock, stock)
        w.u8(Layout.tradingState, tradingState)
        w.u8(Layout.reserved, reserved)
        w.u32(Layout.reason, reason)
        return Layout.length
    }
}

/// Reg SHO Short Sale Price Test Restricted Indicator (`Y`), 20 bytes.
public struct RegSHORestriction: ITCHMessageView {
    /// The message type byte, `Y`.
    public static let type: UInt8 = 0x59
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 20
        public static let stock = 11
        public static let regSHOAction = 19
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte stock symbol at offset 11.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// 1-byte alpha at offset 19.
    @inlinable public var regSHOAction: UInt8 { bytes.u8(Layout.regSHOAction) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, stock: Symbol, regSHOAction: UInt8, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.symbol(Layout.stock, stock)
        w.u8(Layout.regSHOAction, regSHOAction)
        return Layout.length
    }
}

/// Market Participant Position (`L`), 26 bytes.
public struct MarketParticipantPosition: ITCHMessageView {
    /// The message type byte, `L`.
    public static let type: UInt8 = 0x4C
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 26
        public static let mpid = 11
        public static let stock = 15
        public static let primaryMarketMaker = 23
        public static let marketMakerMode = 24
        public static let marketParticipantState = 25
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 4-byte alpha (big-endian packed) at offset 11.
    @inlinable public var mpid: UInt32 { bytes.alpha4(Layout.mpid) }
    /// 8-byte stock symbol at offset 15.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// 1-byte alpha at offset 23.
    @inlinable public var primaryMarketMaker: UInt8 { bytes.u8(Layout.primaryMarketMaker) }
    /// 1-byte alpha at offset 24.
    @inlinable public var marketMakerMode: UInt8 { bytes.u8(Layout.marketMakerMode) }
    /// 1-byte alpha at offset 25.
    @inlinable public var marketParticipantState: UInt8 { bytes.u8(Layout.marketParticipantState) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, mpid: UInt32, stock: Symbol, primaryMarketMaker: UInt8, marketMakerMode: UInt8, marketParticipantState: UInt8, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u32(Layout.mpid, mpid)
        w.symbol(Layout.stock, stock)
        w.u8(Layout.primaryMarketMaker, primaryMarketMaker)
        w.u8(Layout.marketMakerMode, marketMakerMode)
        w.u8(Layout.marketParticipantState, marketParticipantState)
        return Layout.length
    }
}

/// MWCB Decline Level (`V`), 35 bytes.
public struct MWCBDeclineLevel: ITCHMessageView {
    /// The message type byte, `V`.
    public static let type: UInt8 = 0x56
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 35
        public static let level1 = 11
        public static let level2 = 19
        public static let level3 = 27
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// Price(8) at offset 11.
    @inlinable public var level1: UInt64 { bytes.u64(Layout.level1) }
    /// Price(8) at offset 19.
    @inlinable public var level2: UInt64 { bytes.u64(Layout.level2) }
    /// Price(8) at offset 27.
    @inlinable public var level3: UInt64 { bytes.u64(Layout.level3) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, level1: UInt64, level2: UInt64, level3: UInt64, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.level1, level1)
        w.u64(Layout.level2, level2)
        w.u64(Layout.level3, level3)
        return Layout.length
    }
}

/// MWCB Status (`W`), 12 bytes.
public struct MWCBStatus: ITCHMessageView {
    /// The message type byte, `W`.
    public static let type: UInt8 = 0x57
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 12
        public static let breachedLevel = 11
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 1-byte alpha at offset 11.
    @inlinable public var breachedLevel: UInt8 { bytes.u8(Layout.breachedLevel) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, breachedLevel: UInt8, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u8(Layout.breachedLevel, breachedLevel)
        return Layout.length
    }
}

/// IPO Quoting Period Update (`K`), 28 bytes.
public struct IPOQuotingPeriodUpdate: ITCHMessageView {
    /// The message type byte, `K`.
    public static let type: UInt8 = 0x4B
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 28
        public static let stock = 11
        public static let ipoQuotationReleaseTime = 19
        public static let ipoQuotationReleaseQualifier = 23
        public static let ipoPrice = 24
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte stock symbol at offset 11.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// 4-byte integer at offset 19.
    @inlinable public var ipoQuotationReleaseTime: UInt32 { bytes.u32(Layout.ipoQuotationReleaseTime) }
    /// 1-byte alpha at offset 23.
    @inlinable public var ipoQuotationReleaseQualifier: UInt8 { bytes.u8(Layout.ipoQuotationReleaseQualifier) }
    /// Price(4) at offset 24.
    @inlinable public var ipoPrice: UInt32 { bytes.u32(Layout.ipoPrice) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, stock: Symbol, ipoQuotationReleaseTime: UInt32, ipoQuotationReleaseQualifier: UInt8, ipoPrice: UInt32, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.symbol(Layout.stock, stock)
        w.u32(Layout.ipoQuotationReleaseTime, ipoQuotationReleaseTime)
        w.u8(Layout.ipoQuotationReleaseQualifier, ipoQuotationReleaseQualifier)
        w.u32(Layout.ipoPrice, ipoPrice)
        return Layout.length
    }
}

/// LULD Auction Collar (`J`), 35 bytes.
public struct LULDAuctionCollar: ITCHMessageView {
    /// The message type byte, `J`.
    public static let type: UInt8 = 0x4A
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 35
        public static let stock = 11
        public static let auctionCollarReferencePrice = 19
        public static let upperAuctionCollarPrice = 23
        public static let lowerAuctionCollarPrice = 27
        public static let auctionCollarExtension = 31
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte stock symbol at offset 11.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// Price(4) at offset 19.
    @inlinable public var auctionCollarReferencePrice: UInt32 { bytes.u32(Layout.auctionCollarReferencePrice) }
    /// Price(4) at offset 23.
    @inlinable public var upperAuctionCollarPrice: UInt32 { bytes.u32(Layout.upperAuctionCollarPrice) }
    /// Price(4) at offset 27.
    @inlinable public var lowerAuctionCollarPrice: UInt32 { bytes.u32(Layout.lowerAuctionCollarPrice) }
    /// 4-byte integer at offset 31.
    @inlinable public var auctionCollarExtension: UInt32 { bytes.u32(Layout.auctionCollarExtension) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, stock: Symbol, auctionCollarReferencePrice: UInt32, upperAuctionCollarPrice: UInt32, lowerAuctionCollarPrice: UInt32, auctionCollarExtension: UInt32, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.symbol(Layout.stock, stock)
        w.u32(Layout.auctionCollarReferencePrice, auctionCollarReferencePrice)
        w.u32(Layout.upperAuctionCollarPrice, upperAuctionCollarPrice)
        w.u32(Layout.lowerAuctionCollarPrice, lowerAuctionCollarPrice)
        w.u32(Layout.auctionCollarExtension, auctionCollarExtension)
        return Layout.length
    }
}

/// Operational Halt (`h`), 21 bytes.
public struct OperationalHalt: ITCHMessageView {
    /// The message type byte, `h`.
    public static let type: UInt8 = 0x68
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 21
        public static let stock = 11
        public static let marketCode = 19
        public static let operationalHaltAction = 20
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte stock symbol at offset 11.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// 1-byte alpha at offset 19.
    @inlinable public var marketCode: UInt8 { bytes.u8(Layout.marketCode) }
    /// 1-byte alpha at offset 20.
    @inlinable public var operationalHaltAction: UInt8 { bytes.u8(Layout.operationalHaltAction) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, stock: Symbol, marketCode: UInt8, operationalHaltAction: UInt8, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.symbol(Layout.stock, stock)
        w.u8(Layout.marketCode, marketCode)
        w.u8(Layout.operationalHaltAction, operationalHaltAction)
        return Layout.length
    }
}

/// Add Order (no MPID attribution) (`A`), 36 bytes.
public struct AddOrder: ITCHMessageView {
    /// The message type byte, `A`.
    public static let type: UInt8 = 0x41
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 36
        public static let orderReference = 11
        public static let side = 19
        public static let shares = 20
        public static let stock = 24
        public static let price = 32
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte integer at offset 11.
    @inlinable public var orderReference: UInt64 { bytes.u64(Layout.orderReference) }
    /// 1-byte alpha at offset 19.
    @inlinable public var side: UInt8 { bytes.u8(Layout.side) }
    /// 4-byte integer at offset 20.
    @inlinable public var shares: UInt32 { bytes.u32(Layout.shares) }
    /// 8-byte stock symbol at offset 24.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// Price(4) at offset 32.
    @inlinable public var price: UInt32 { bytes.u32(Layout.price) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, orderReference: UInt64, side: UInt8, shares: UInt32, stock: Symbol, price: UInt32, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.orderReference, orderReference)
        w.u8(Layout.side, side)
        w.u32(Layout.shares, shares)
        w.symbol(Layout.stock, stock)
        w.u32(Layout.price, price)
        return Layout.length
    }
}

/// Add Order with MPID Attribution (`F`), 40 bytes.
public struct AddOrderMPID: ITCHMessageView {
    /// The message type byte, `F`.
    public static let type: UInt8 = 0x46
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 40
        public static let orderReference = 11
        public static let side = 19
        public static let shares = 20
        public static let stock = 24
        public static let price = 32
        public static let attribution = 36
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte integer at offset 11.
    @inlinable public var orderReference: UInt64 { bytes.u64(Layout.orderReference) }
    /// 1-byte alpha at offset 19.
    @inlinable public var side: UInt8 { bytes.u8(Layout.side) }
    /// 4-byte integer at offset 20.
    @inlinable public var shares: UInt32 { bytes.u32(Layout.shares) }
    /// 8-byte stock symbol at offset 24.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// Price(4) at offset 32.
    @inlinable public var price: UInt32 { bytes.u32(Layout.price) }
    /// 4-byte alpha (big-endian packed) at offset 36.
    @inlinable public var attribution: UInt32 { bytes.alpha4(Layout.attribution) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, orderReference: UInt64, side: UInt8, shares: UInt32, stock: Symbol, price: UInt32, attribution: UInt32, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.orderReference, orderReference)
        w.u8(Layout.side, side)
        w.u32(Layout.shares, shares)
        w.symbol(Layout.stock, stock)
        w.u32(Layout.price, price)
        w.u32(Layout.attribution, attribution)
        return Layout.length
    }
}

/// Order Executed (`E`), 31 bytes.
public struct OrderExecuted: ITCHMessageView {
    /// The message type byte, `E`.
    public static let type: UInt8 = 0x45
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 31
        public static let orderReference = 11
        public static let executedShares = 19
        public static let matchNumber = 23
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte integer at offset 11.
    @inlinable public var orderReference: UInt64 { bytes.u64(Layout.orderReference) }
    /// 4-byte integer at offset 19.
    @inlinable public var executedShares: UInt32 { bytes.u32(Layout.executedShares) }
    /// 8-byte integer at offset 23.
    @inlinable public var matchNumber: UInt64 { bytes.u64(Layout.matchNumber) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, orderReference: UInt64, executedShares: UInt32, matchNumber: UInt64, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.orderReference, orderReference)
        w.u32(Layout.executedShares, executedShares)
        w.u64(Layout.matchNumber, matchNumber)
        return Layout.length
    }
}

/// Order Executed With Price (`C`), 36 bytes.
public struct OrderExecutedWithPrice: ITCHMessageView {
    /// The message type byte, `C`.
    public static let type: UInt8 = 0x43
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 36
        public static let orderReference = 11
        public static let executedShares = 19
        public static let matchNumber = 23
        public static let printable = 31
        public static let executionPrice = 32
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte integer at offset 11.
    @inlinable public var orderReference: UInt64 { bytes.u64(Layout.orderReference) }
    /// 4-byte integer at offset 19.
    @inlinable public var executedShares: UInt32 { bytes.u32(Layout.executedShares) }
    /// 8-byte integer at offset 23.
    @inlinable public var matchNumber: UInt64 { bytes.u64(Layout.matchNumber) }
    /// 1-byte alpha at offset 31.
    @inlinable public var printable: UInt8 { bytes.u8(Layout.printable) }
    /// Price(4) at offset 32.
    @inlinable public var executionPrice: UInt32 { bytes.u32(Layout.executionPrice) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, orderReference: UInt64, executedShares: UInt32, matchNumber: UInt64, printable: UInt8, executionPrice: UInt32, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.orderReference, orderReference)
        w.u32(Layout.executedShares, executedShares)
        w.u64(Layout.matchNumber, matchNumber)
        w.u8(Layout.printable, printable)
        w.u32(Layout.executionPrice, executionPrice)
        return Layout.length
    }
}

/// Order Cancel (`X`), 23 bytes.
public struct OrderCancel: ITCHMessageView {
    /// The message type byte, `X`.
    public static let type: UInt8 = 0x58
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 23
        public static let orderReference = 11
        public static let cancelledShares = 19
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte integer at offset 11.
    @inlinable public var orderReference: UInt64 { bytes.u64(Layout.orderReference) }
    /// 4-byte integer at offset 19.
    @inlinable public var cancelledShares: UInt32 { bytes.u32(Layout.cancelledShares) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, orderReference: UInt64, cancelledShares: UInt32, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.orderReference, orderReference)
        w.u32(Layout.cancelledShares, cancelledShares)
        return Layout.length
    }
}

/// Order Delete (`D`), 19 bytes.
public struct OrderDelete: ITCHMessageView {
    /// The message type byte, `D`.
    public static let type: UInt8 = 0x44
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 19
        public static let orderReference = 11
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte integer at offset 11.
    @inlinable public var orderReference: UInt64 { bytes.u64(Layout.orderReference) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, orderReference: UInt64, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.orderReference, orderReference)
        return Layout.length
    }
}

/// Order Replace (`U`), 35 bytes.
public struct OrderReplace: ITCHMessageView {
    /// The message type byte, `U`.
    public static let type: UInt8 = 0x55
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 35
        public static let originalOrderReference = 11
        public static let newOrderReference = 19
        public static let shares = 27
        public static let price = 31
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte integer at offset 11.
    @inlinable public var originalOrderReference: UInt64 { bytes.u64(Layout.originalOrderReference) }
    /// 8-byte integer at offset 19.
    @inlinable public var newOrderReference: UInt64 { bytes.u64(Layout.newOrderReference) }
    /// 4-byte integer at offset 27.
    @inlinable public var shares: UInt32 { bytes.u32(Layout.shares) }
    /// Price(4) at offset 31.
    @inlinable public var price: UInt32 { bytes.u32(Layout.price) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, originalOrderReference: UInt64, newOrderReference: UInt64, shares: UInt32, price: UInt32, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.originalOrderReference, originalOrderReference)
        w.u64(Layout.newOrderReference, newOrderReference)
        w.u32(Layout.shares, shares)
        w.u32(Layout.price, price)
        return Layout.length
    }
}

/// Trade (non-cross) (`P`), 44 bytes.
public struct NonCrossTrade: ITCHMessageView {
    /// The message type byte, `P`.
    public static let type: UInt8 = 0x50
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 44
        public static let orderReference = 11
        public static let side = 19
        public static let shares = 20
        public static let stock = 24
        public static let price = 32
        public static let matchNumber = 36
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte integer at offset 11.
    @inlinable public var orderReference: UInt64 { bytes.u64(Layout.orderReference) }
    /// 1-byte alpha at offset 19.
    @inlinable public var side: UInt8 { bytes.u8(Layout.side) }
    /// 4-byte integer at offset 20.
    @inlinable public var shares: UInt32 { bytes.u32(Layout.shares) }
    /// 8-byte stock symbol at offset 24.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// Price(4) at offset 32.
    @inlinable public var price: UInt32 { bytes.u32(Layout.price) }
    /// 8-byte integer at offset 36.
    @inlinable public var matchNumber: UInt64 { bytes.u64(Layout.matchNumber) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, orderReference: UInt64, side: UInt8, shares: UInt32, stock: Symbol, price: UInt32, matchNumber: UInt64, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.orderReference, orderReference)
        w.u8(Layout.side, side)
        w.u32(Layout.shares, shares)
        w.symbol(Layout.stock, stock)
        w.u32(Layout.price, price)
        w.u64(Layout.matchNumber, matchNumber)
        return Layout.length
    }
}

/// Cross Trade (`Q`), 40 bytes.
public struct CrossTrade: ITCHMessageView {
    /// The message type byte, `Q`.
    public static let type: UInt8 = 0x51
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 40
        public static let shares = 11
        public static let stock = 19
        public static let crossPrice = 27
        public static let matchNumber = 31
        public static let crossType = 39
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte integer at offset 11.
    @inlinable public var shares: UInt64 { bytes.u64(Layout.shares) }
    /// 8-byte stock symbol at offset 19.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// Price(4) at offset 27.
    @inlinable public var crossPrice: UInt32 { bytes.u32(Layout.crossPrice) }
    /// 8-byte integer at offset 31.
    @inlinable public var matchNumber: UInt64 { bytes.u64(Layout.matchNumber) }
    /// 1-byte alpha at offset 39.
    @inlinable public var crossType: UInt8 { bytes.u8(Layout.crossType) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, shares: UInt64, stock: Symbol, crossPrice: UInt32, matchNumber: UInt64, crossType: UInt8, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.shares, shares)
        w.symbol(Layout.stock, stock)
        w.u32(Layout.crossPrice, crossPrice)
        w.u64(Layout.matchNumber, matchNumber)
        w.u8(Layout.crossType, crossType)
        return Layout.length
    }
}

/// Broken Trade / Order Execution (`B`), 19 bytes.
public struct BrokenTrade: ITCHMessageView {
    /// The message type byte, `B`.
    public static let type: UInt8 = 0x42
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 19
        public static let matchNumber = 11
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte integer at offset 11.
    @inlinable public var matchNumber: UInt64 { bytes.u64(Layout.matchNumber) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, matchNumber: UInt64, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.matchNumber, matchNumber)
        return Layout.length
    }
}

/// Net Order Imbalance Indicator (NOII) (`I`), 50 bytes.
public struct NetOrderImbalance: ITCHMessageView {
    /// The message type byte, `I`.
    public static let type: UInt8 = 0x49
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 50
        public static let pairedShares = 11
        public static let imbalanceShares = 19
        public static let imbalanceDirection = 27
        public static let stock = 28
        public static let farPrice = 36
        public static let nearPrice = 40
        public static let currentReferencePrice = 44
        public static let crossType = 48
        public static let priceVariationIndicator = 49
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte integer at offset 11.
    @inlinable public var pairedShares: UInt64 { bytes.u64(Layout.pairedShares) }
    /// 8-byte integer at offset 19.
    @inlinable public var imbalanceShares: UInt64 { bytes.u64(Layout.imbalanceShares) }
    /// 1-byte alpha at offset 27.
    @inlinable public var imbalanceDirection: UInt8 { bytes.u8(Layout.imbalanceDirection) }
    /// 8-byte stock symbol at offset 28.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// Price(4) at offset 36.
    @inlinable public var farPrice: UInt32 { bytes.u32(Layout.farPrice) }
    /// Price(4) at offset 40.
    @inlinable public var nearPrice: UInt32 { bytes.u32(Layout.nearPrice) }
    /// Price(4) at offset 44.
    @inlinable public var currentReferencePrice: UInt32 { bytes.u32(Layout.currentReferencePrice) }
    /// 1-byte alpha at offset 48.
    @inlinable public var crossType: UInt8 { bytes.u8(Layout.crossType) }
    /// 1-byte alpha at offset 49.
    @inlinable public var priceVariationIndicator: UInt8 { bytes.u8(Layout.priceVariationIndicator) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, pairedShares: UInt64, imbalanceShares: UInt64, imbalanceDirection: UInt8, stock: Symbol, farPrice: UInt32, nearPrice: UInt32, currentReferencePrice: UInt32, crossType: UInt8, priceVariationIndicator: UInt8, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.u64(Layout.pairedShares, pairedShares)
        w.u64(Layout.imbalanceShares, imbalanceShares)
        w.u8(Layout.imbalanceDirection, imbalanceDirection)
        w.symbol(Layout.stock, stock)
        w.u32(Layout.farPrice, farPrice)
        w.u32(Layout.nearPrice, nearPrice)
        w.u32(Layout.currentReferencePrice, currentReferencePrice)
        w.u8(Layout.crossType, crossType)
        w.u8(Layout.priceVariationIndicator, priceVariationIndicator)
        return Layout.length
    }
}

/// Retail Price Improvement Indicator (RPII) (`N`), 20 bytes.
public struct RetailPriceImprovement: ITCHMessageView {
    /// The message type byte, `N`.
    public static let type: UInt8 = 0x4E
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 20
        public static let stock = 11
        public static let interestFlag = 19
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte stock symbol at offset 11.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// 1-byte alpha at offset 19.
    @inlinable public var interestFlag: UInt8 { bytes.u8(Layout.interestFlag) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, stock: Symbol, interestFlag: UInt8, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.symbol(Layout.stock, stock)
        w.u8(Layout.interestFlag, interestFlag)
        return Layout.length
    }
}

/// Direct Listing with Capital Raise Price Discovery (`O`), 48 bytes.
public struct DirectListingPriceDiscovery: ITCHMessageView {
    /// The message type byte, `O`.
    public static let type: UInt8 = 0x4F
    /// Offsets of the fields after the common header, and the whole message length.
    public enum Layout {
        public static let length = 48
        public static let stock = 11
        public static let openEligibilityStatus = 19
        public static let minimumAllowablePrice = 20
        public static let maximumAllowablePrice = 24
        public static let nearExecutionPrice = 28
        public static let nearExecutionTime = 32
        public static let lowerPriceRangeCollar = 40
        public static let upperPriceRangeCollar = 44
    }
    /// The message bytes; at least `Layout.length` of them are readable.
    public let bytes: WireBytes
    @inlinable public init(_ bytes: WireBytes) { self.bytes = bytes }
    /// 8-byte stock symbol at offset 11.
    @inlinable public var stock: Symbol { bytes.symbol(Layout.stock) }
    /// 1-byte alpha at offset 19.
    @inlinable public var openEligibilityStatus: UInt8 { bytes.u8(Layout.openEligibilityStatus) }
    /// Price(4) at offset 20.
    @inlinable public var minimumAllowablePrice: UInt32 { bytes.u32(Layout.minimumAllowablePrice) }
    /// Price(4) at offset 24.
    @inlinable public var maximumAllowablePrice: UInt32 { bytes.u32(Layout.maximumAllowablePrice) }
    /// Price(4) at offset 28.
    @inlinable public var nearExecutionPrice: UInt32 { bytes.u32(Layout.nearExecutionPrice) }
    /// 8-byte integer at offset 32.
    @inlinable public var nearExecutionTime: UInt64 { bytes.u64(Layout.nearExecutionTime) }
    /// Price(4) at offset 40.
    @inlinable public var lowerPriceRangeCollar: UInt32 { bytes.u32(Layout.lowerPriceRangeCollar) }
    /// Price(4) at offset 44.
    @inlinable public var upperPriceRangeCollar: UInt32 { bytes.u32(Layout.upperPriceRangeCollar) }
    /// Writes this message with `header` and the given fields at `out`; returns `Layout.length`.
    @discardableResult @inlinable
    public static func encode(_ header: ITCHHeader, stock: Symbol, openEligibilityStatus: UInt8, minimumAllowablePrice: UInt32, maximumAllowablePrice: UInt32, nearExecutionPrice: UInt32, nearExecutionTime: UInt64, lowerPriceRangeCollar: UInt32, upperPriceRangeCollar: UInt32, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableWireBytes(out)
        header.write(type: type, to: w)
        w.symbol(Layout.stock, stock)
        w.u8(Layout.openEligibilityStatus, openEligibilityStatus)
        w.u32(Layout.minimumAllowablePrice, minimumAllowablePrice)
        w.u32(Layout.maximumAllowablePrice, maximumAllowablePrice)
        w.u32(Layout.nearExecutionPrice, nearExecutionPrice)
        w.u64(Layout.nearExecutionTime, nearExecutionTime)
        w.u32(Layout.lowerPriceRangeCollar, lowerPriceRangeCollar)
        w.u32(Layout.upperPriceRangeCollar, upperPriceRangeCollar)
        return Layout.length
    }
}

/// A decoded ITCH message: the view of the type its first byte names.
public enum ITCHMessage {
    /// `S`: System Event.
    case systemEvent(SystemEvent)
    /// `R`: Stock Directory.
    case stockDirectory(StockDirectory)
    /// `H`: Stock Trading Action.
    case stockTradingAction(StockTradingAction)
    /// `Y`: Reg SHO Short Sale Price Test Restricted Indicator.
    case regSHORestriction(RegSHORestriction)
    /// `L`: Market Participant Position.
    case marketParticipantPosition(MarketParticipantPosition)
    /// `V`: MWCB Decline Level.
    case mWCBDeclineLevel(MWCBDeclineLevel)
    /// `W`: MWCB Status.
    case mWCBStatus(MWCBStatus)
    /// `K`: IPO Quoting Period Update.
    case iPOQuotingPeriodUpdate(IPOQuotingPeriodUpdate)
    /// `J`: LULD Auction Collar.
    case lULDAuctionCollar(LULDAuctionCollar)
    /// `h`: Operational Halt.
    case operationalHalt(OperationalHalt)
    /// `A`: Add Order (no MPID attribution).
    case addOrder(AddOrder)
    /// `F`: Add Order with MPID Attribution.
    case addOrderMPID(AddOrderMPID)
    /// `E`: Order Executed.
    case orderExecuted(OrderExecuted)
    /// `C`: Order Executed With Price.
    case orderExecutedWithPrice(OrderExecutedWithPrice)
    /// `X`: Order Cancel.
    case orderCancel(OrderCancel)
    /// `D`: Order Delete.
    case orderDelete(OrderDelete)
    /// `U`: Order Replace.
    case orderReplace(OrderReplace)
    /// `P`: Trade (non-cross).
    case nonCrossTrade(NonCrossTrade)
    /// `Q`: Cross Trade.
    case crossTrade(CrossTrade)
    /// `B`: Broken Trade / Order Execution.
    case brokenTrade(BrokenTrade)
    /// `I`: Net Order Imbalance Indicator (NOII).
    case netOrderImbalance(NetOrderImbalance)
    /// `N`: Retail Price Improvement Indicator (RPII).
    case retailPriceImprovement(RetailPriceImprovement)
    /// `O`: Direct Listing with Capital Raise Price Discovery.
    case directListingPriceDiscovery(DirectListingPriceDiscovery)
}

extension ITCHMessage {
    /// The view for a message whose type and length were already checked (see `ITCHDecoder`).
    @inlinable
    static func view(type: UInt8, bytes: WireBytes) -> ITCHMessage? {
        switch type {
        case SystemEvent.type: .systemEvent(SystemEvent(bytes))
        case StockDirectory.type: .stockDirectory(StockDirectory(bytes))
        case StockTradingAction.type: .stockTradingAction(StockTradingAction(bytes))
        case RegSHORestriction.type: .regSHORestriction(RegSHORestriction(bytes))
        case MarketParticipantPosition.type: .marketParticipantPosition(MarketParticipantPosition(bytes))
        case MWCBDeclineLevel.type: .mWCBDeclineLevel(MWCBDeclineLevel(bytes))
        case MWCBStatus.type: .mWCBStatus(MWCBStatus(bytes))
        case IPOQuotingPeriodUpdate.type: .iPOQuotingPeriodUpdate(IPOQuotingPeriodUpdate(bytes))
        case LULDAuctionCollar.type: .lULDAuctionCollar(LULDAuctionCollar(bytes))
        case OperationalHalt.type: .operationalHalt(OperationalHalt(bytes))
        case AddOrder.type: .addOrder(AddOrder(bytes))
        case AddOrderMPID.type: .addOrderMPID(AddOrderMPID(bytes))
        case OrderExecuted.type: .orderExecuted(OrderExecuted(bytes))
        case OrderExecutedWithPrice.type: .orderExecutedWithPrice(OrderExecutedWithPrice(bytes))
        case OrderCancel.type: .orderCancel(OrderCancel(bytes))
        case OrderDelete.type: .orderDelete(OrderDelete(bytes))
        case OrderReplace.type: .orderReplace(OrderReplace(bytes))
        case NonCrossTrade.type: .nonCrossTrade(NonCrossTrade(bytes))
        case CrossTrade.type: .crossTrade(CrossTrade(bytes))
        case BrokenTrade.type: .brokenTrade(BrokenTrade(bytes))
        case NetOrderImbalance.type: .netOrderImbalance(NetOrderImbalance(bytes))
        case RetailPriceImprovement.type: .retailPriceImprovement(RetailPriceImprovement(bytes))
        case DirectListingPriceDiscovery.type: .directListingPriceDiscovery(DirectListingPriceDiscovery(bytes))
        default: nil
        }
    }
}

/// Every ITCH 5.0 message type with its specified length.
public let itchMessageLengths: [(type: UInt8, length: Int)] = [
    (SystemEvent.type, SystemEvent.Layout.length),
    (StockDirectory.type, StockDirectory.Layout.length),
    (StockTradingAction.type, StockTradingAction.Layout.length),
    (RegSHORestriction.type, RegSHORestriction.Layout.length),
    (MarketParticipantPosition.type, MarketParticipantPosition.Layout.length),
    (MWCBDeclineLevel.type, MWCBDeclineLevel.Layout.length),
    (MWCBStatus.type, MWCBStatus.Layout.length),
    (IPOQuotingPeriodUpdate.type, IPOQuotingPeriodUpdate.Layout.length),
    (LULDAuctionCollar.type, LULDAuctionCollar.Layout.length),
    (OperationalHalt.type, OperationalHalt.Layout.length),
    (AddOrder.type, AddOrder.Layout.length),
    (AddOrderMPID.type, AddOrderMPID.Layout.length),
    (OrderExecuted.type, OrderExecuted.Layout.length),
    (OrderExecutedWithPrice.type, OrderExecutedWithPrice.Layout.length),
    (OrderCancel.type, OrderCancel.Layout.length),
    (OrderDelete.type, OrderDelete.Layout.length),
    (OrderReplace.type, OrderReplace.Layout.length),
    (NonCrossTrade.type, NonCrossTrade.Layout.length),
    (CrossTrade.type, CrossTrade.Layout.length),
    (BrokenTrade.type, BrokenTrade.Layout.length),
    (NetOrderImbalance.type, NetOrderImbalance.Layout.length),
    (RetailPriceImprovement.type, RetailPriceImprovement.Layout.length),
    (DirectListingPriceDiscovery.type, DirectListingPriceDiscovery.Layout.length),
]

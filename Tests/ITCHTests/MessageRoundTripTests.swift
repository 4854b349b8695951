import Testing
import Market
@testable import ITCH

/// Round trips every message type: random field values are encoded, decoded by `ITCHDecoder`,
/// and every accessor must give back what was written. Generated from the same table as the code,
/// but checked against the specification's byte counts in `LayoutTests`.
@Suite struct MessageRoundTripTests {
    @Test func roundTripSystemEvent() throws {
        var rng = SplitMix64(seed: 0x301A6999)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let eventCode = UInt8.random(in: 0x20...0x7E, using: &rng)
            let bytes = encodeMessage(length: SystemEvent.Layout.length) { SystemEvent.encode(header, eventCode: eventCode, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .systemEvent(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.eventCode == eventCode)
            }
        }
    }

    @Test func roundTripStockDirectory() throws {
        var rng = SplitMix64(seed: 0x68EBAF83)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let stock = randomSymbol(using: &rng)
            let marketCategory = UInt8.random(in: 0x20...0x7E, using: &rng)
            let financialStatusIndicator = UInt8.random(in: 0x20...0x7E, using: &rng)
            let roundLotSize = UInt32.random(in: .min ... .max, using: &rng)
            let roundLotsOnly = UInt8.random(in: 0x20...0x7E, using: &rng)
            let issueClassification = UInt8.random(in: 0x20...0x7E, using: &rng)
            let issueSubType = UInt16.random(in: .min ... .max, using: &rng)
            let authenticity = UInt8.random(in: 0x20...0x7E, using: &rng)
            let shortSaleThresholdIndicator = UInt8.random(in: 0x20...0x7E, using: &rng)
            let ipoFlag = UInt8.random(in: 0x20...0x7E, using: &rng)
            let luldReferencePriceTier = UInt8.random(in: 0x20...0x7E, using: &rng)
            let etpFlag = UInt8.random(in: 0x20...0x7E, using: &rng)
            let etpLeverageFactor = UInt32.random(in: .min ... .max, using: &rng)
            let inverseIndicator = UInt8.random(in: 0x20...0x7E, using: &rng)
            let bytes = encodeMessage(length: StockDirectory.Layout.length) { StockDirectory.encode(header, stock: stock, marketCategory: marketCategory, financialStatusIndicator: financialStatusIndicator, roundLotSize: roundLotSize, roundLotsOnly: roundLotsOnly, issueClassification: issueClassification, issueSubType: issueSubType, authenticity: authenticity, shortSaleThresholdIndicator: shortSaleThresholdIndicator, ipoFlag: ipoFlag, luldReferencePriceTier: luldReferencePriceTier, etpFlag: etpFlag, etpLeverageFactor: etpLeverageFactor, inverseIndicator: inverseIndicator, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .stockDirectory(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.stock == stock)
                #expect(m.marketCategory == marketCategory)
                #expect(m.financialStatusIndicator == financialStatusIndicator)
                #expect(m.roundLotSize == roundLotSize)
                #expect(m.roundLotsOnly == roundLotsOnly)
                #expect(m.issueClassification == issueClassification)
                #expect(m.issueSubType == issueSubType)
                #expect(m.authenticity == authenticity)
                #expect(m.shortSaleThresholdIndicator == shortSaleThresholdIndicator)
                #expect(m.ipoFlag == ipoFlag)
                #expect(m.luldReferencePriceTier == luldReferencePriceTier)
                #expect(m.etpFlag == etpFlag)
                #expect(m.etpLeverageFactor == etpLeverageFactor)
                #expect(m.inverseIndicator == inverseIndicator)
            }
        }
    }

    @Test func roundTripStockTradingAction() throws {
        var rng = SplitMix64(seed: 0xEB04D66C)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let stock = randomSymbol(using: &rng)
            let tradingState = UInt8.random(in: 0x20...0x7E, using: &rng)
            let reserved = UInt8.random(in: 0x20...0x7E, using: &rng)
            let reason = UInt32.random(in: .min ... .max, using: &rng)
            let bytes = encodeMessage(length: StockTradingAction.Layout.length) { StockTradingAction.encode(header, stock: stock, tradingState: tradingState, reserved: reserved, reason: reason, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .stockTradingAction(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.stock == stock)
                #expect(m.tradingState == tradingState)
                #expect(m.reserved == reserved)
                #expect(m.reason == reason)
            }
        }
    }

    @Test func roundTripRegSHORestriction() throws {
        var rng = SplitMix64(seed: 0xA472A66F)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let stock = randomSymbol(using: &rng)
            let regSHOAction = UInt8.random(in: 0x20...0x7E, using: &rng)
            let bytes = encodeMessage(length: RegSHORestriction.Layout.length) { RegSHORestriction.encode(header, stock: stock, regSHOAction: regSHOAction, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .regSHORestriction(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.stock == stock)
                #expect(m.regSHOAction == regSHOAction)
            }
        }
    }

    @Test func roundTripMarketParticipantPosition() throws {
        var rng = SplitMix64(seed: 0x92678F55)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let mpid = UInt32.random(in: .min ... .max, using: &rng)
            let stock = randomSymbol(using: &rng)
            let primaryMarketMaker = UInt8.random(in: 0x20...0x7E, using: &rng)
            let marketMakerMode = UInt8.random(in: 0x20...0x7E, using: &rng)
            let marketParticipantState = UInt8.random(in: 0x20...0x7E, using: &rng)
            let bytes = encodeMessage(length: MarketParticipantPosition.Layout.length) { MarketParticipantPosition.encode(header, mpid: mpid, stock: stock, primaryMarketMaker: primaryMarketMaker, marketMakerMode: marketMakerMode, marketParticipantState: marketParticipantState, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .marketParticipantPosition(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.mpid == mpid)
                #expect(m.stock == stock)
                #expect(m.primaryMarketMaker == primaryMarketMaker)
                #expect(m.marketMakerMode == marketMakerMode)
                #expect(m.marketParticipantState == marketParticipantState)
            }
        }
    }

    @Test func roundTripMWCBDeclineLevel() throws {
        var rng = SplitMix64(seed: 0x7D629FE9)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let level1 = UInt64.random(in: .min ... .max, using: &rng)
            let level2 = UInt64.random(in: .min ... .max, using: &rng)
            let level3 = UInt64.random(in: .min ... .max, using: &rng)
            let bytes = encodeMessage(length: MWCBDeclineLevel.Layout.length) { MWCBDeclineLevel.encode(header, level1: level1, level2: level2, level3: level3, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .mWCBDeclineLevel(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.level1 == level1)
                #expect(m.level2 == level2)
                #expect(m.level3 == level3)
            }
        }
    }

    @Test func roundTripMWCBStatus() throws {
        var rng = SplitMix64(seed: 0x2715A80E)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let breachedLevel = UInt8.random(in: 0x20...0x7E, using: &rng)
            let bytes = encodeMessage(length: MWCBStatus.Layout.length) { MWCBStatus.encode(header, breachedLevel: breachedLevel, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .mWCBStatus(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.breachedLevel == breachedLevel)
            }
        }
    }

    @Test func roundTripIPOQuotingPeriodUpdate() throws {
        var rng = SplitMix64(seed: 0x67137B5E)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let stock = randomSymbol(using: &rng)
            let ipoQuotationReleaseTime = UInt32.random(in: .min ... .max, using: &rng)
            let ipoQuotationReleaseQualifier = UInt8.random(in: 0x20...0x7E, using: &rng)
            let ipoPrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let bytes = encodeMessage(length: IPOQuotingPeriodUpdate.Layout.length) { IPOQuotingPeriodUpdate.encode(header, stock: stock, ipoQuotationReleaseTime: ipoQuotationReleaseTime, ipoQuotationReleaseQualifier: ipoQuotationReleaseQualifier, ipoPrice: ipoPrice, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .iPOQuotingPeriodUpdate(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.stock == stock)
                #expect(m.ipoQuotationReleaseTime == ipoQuotationReleaseTime)
                #expect(m.ipoQuotationReleaseQualifier == ipoQuotationReleaseQualifier)
                #expect(m.ipoPrice == ipoPrice)
            }
        }
    }

    @Test func roundTripLULDAuctionCollar() throws {
        var rng = SplitMix64(seed: 0xCC30320F)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let stock = randomSymbol(using: &rng)
            let auctionCollarReferencePrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let upperAuctionCollarPrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let lowerAuctionCollarPrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let auctionCollarExtension = UInt32.random(in: .min ... .max, using: &rng)
            let bytes = encodeMessage(length: LULDAuctionCollar.Layout.length) { LULDAuctionCollar.encode(header, stock: stock, auctionCollarReferencePrice: auctionCollarReferencePrice, upperAuctionCollarPrice: upperAuctionCollarPrice, lowerAuctionCollarPrice: lowerAuctionCollarPrice, auctionCollarExtension: auctionCollarExtension, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .lULDAuctionCollar(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.stock == stock)
                #expect(m.auctionCollarReferencePrice == auctionCollarReferencePrice)
                #expect(m.upperAuctionCollarPrice == upperAuctionCollarPrice)
                #expect(m.lowerAuctionCollarPrice == lowerAuctionCollarPrice)
                #expect(m.auctionCollarExtension == auctionCollarExtension)
            }
        }
    }

    @Test func roundTripOperationalHalt() throws {
        var rng = SplitMix64(seed: 0x22E7A6D6)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let stock = randomSymbol(using: &rng)
            let marketCode = UInt8.random(in: 0x20...0x7E, using: &rng)
            let operationalHaltAction = UInt8.random(in: 0x20...0x7E, using: &rng)
            let bytes = encodeMessage(length: OperationalHalt.Layout.length) { OperationalHalt.encode(header, stock: stock, marketCode: marketCode, operationalHaltAction: operationalHaltAction, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .operationalHalt(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.stock == stock)
                #expect(m.marketCode == marketCode)
                #expect(m.operationalHaltAction == operationalHaltAction)
            }
        }
    }

    @Test func roundTripAddOrder() throws {
        var rng = SplitMix64(seed: 0x9E437321)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let orderReference = UInt64.random(in: .min ... .max, using: &rng)
            let side = UInt8.random(in: 0x20...0x7E, using: &rng)
            let shares = UInt32.random(in: .min ... .max, using: &rng)
            let stock = randomSymbol(using: &rng)
            let price = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let bytes = encodeMessage(length: AddOrder.Layout.length) { AddOrder.encode(header, orderReference: orderReference, side: side, shares: shares, stock: stock, price: price, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .addOrder(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.orderReference == orderReference)
                #expect(m.side == side)
                #expect(m.shares == shares)
                #expect(m.stock == stock)
                #expect(m.price == price)
            }
        }
    }

    @Test func roundTripAddOrderMPID() throws {
        var rng = SplitMix64(seed: 0xF656BC5E)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let orderReference = UInt64.random(in: .min ... .max, using: &rng)
            let side = UInt8.random(in: 0x20...0x7E, using: &rng)
            let shares = UInt32.random(in: .min ... .max, using: &rng)
            let stock = randomSymbol(using: &rng)
            let price = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let attribution = UInt32.random(in: .min ... .max, using: &rng)
            let bytes = encodeMessage(length: AddOrderMPID.Layout.length) { AddOrderMPID.encode(header, orderReference: orderReference, side: side, shares: shares, stock: stock, price: price, attribution: attribution, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .addOrderMPID(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.orderReference == orderReference)
                #expect(m.side == side)
                #expect(m.shares == shares)
                #expect(m.stock == stock)
                #expect(m.price == price)
                #expect(m.attribution == attribution)
            }
        }
    }

    @Test func roundTripOrderExecuted() throws {
        var rng = SplitMix64(seed: 0x3173B79A)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let orderReference = UInt64.random(in: .min ... .max, using: &rng)
            let executedShares = UInt32.random(in: .min ... .max, using: &rng)
            let matchNumber = UInt64.random(in: .min ... .max, using: &rng)
            let bytes = encodeMessage(length: OrderExecuted.Layout.length) { OrderExecuted.encode(header, orderReference: orderReference, executedShares: executedShares, matchNumber: matchNumber, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .orderExecuted(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.orderReference == orderReference)
                #expect(m.executedShares == executedShares)
                #expect(m.matchNumber == matchNumber)
            }
        }
    }

    @Test func roundTripOrderExecutedWithPrice() throws {
        var rng = SplitMix64(seed: 0x9F1B09EE)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let orderReference = UInt64.random(in: .min ... .max, using: &rng)
            let executedShares = UInt32.random(in: .min ... .max, using: &rng)
            let matchNumber = UInt64.random(in: .min ... .max, using: &rng)
            let printable = UInt8.random(in: 0x20...0x7E, using: &rng)
            let executionPrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let bytes = encodeMessage(length: OrderExecutedWithPrice.Layout.length) { OrderExecutedWithPrice.encode(header, orderReference: orderReference, executedShares: executedShares, matchNumber: matchNumber, printable: printable, executionPrice: executionPrice, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .orderExecutedWithPrice(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.orderReference == orderReference)
                #expect(m.executedShares == executedShares)
                #expect(m.matchNumber == matchNumber)
                #expect(m.printable == printable)
                #expect(m.executionPrice == executionPrice)
            }
        }
    }

    @Test func roundTripOrderCancel() throws {
        var rng = SplitMix64(seed: 0xDE80D7F2)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let orderReference = UInt64.random(in: .min ... .max, using: &rng)
            let cancelledShares = UInt32.random(in: .min ... .max, using: &rng)
            let bytes = encodeMessage(length: OrderCancel.Layout.length) { OrderCancel.encode(header, orderReference: orderReference, cancelledShares: cancelledShares, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .orderCancel(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.orderReference == orderReference)
                #expect(m.cancelledShares == cancelledShares)
            }
        }
    }

    @Test func roundTripOrderDelete() throws {
        var rng = SplitMix64(seed: 0xB2846E07)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let orderReference = UInt64.random(in: .min ... .max, using: &rng)
            let bytes = encodeMessage(length: OrderDelete.Layout.length) { OrderDelete.encode(header, orderReference: orderReference, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .orderDelete(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.orderReference == orderReference)
            }
        }
    }

    @Test func roundTripOrderReplace() throws {
        var rng = SplitMix64(seed: 0xE1AD3177)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let originalOrderReference = UInt64.random(in: .min ... .max, using: &rng)
            let newOrderReference = UInt64.random(in: .min ... .max, using: &rng)
            let shares = UInt32.random(in: .min ... .max, using: &rng)
            let price = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let bytes = encodeMessage(length: OrderReplace.Layout.length) { OrderReplace.encode(header, originalOrderReference: originalOrderReference, newOrderReference: newOrderReference, shares: shares, price: price, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .orderReplace(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.originalOrderReference == originalOrderReference)
                #expect(m.newOrderReference == newOrderReference)
                #expect(m.shares == shares)
                #expect(m.price == price)
            }
        }
    }

    @Test func roundTripNonCrossTrade() throws {
        var rng = SplitMix64(seed: 0x9BA75E9F)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let orderReference = UInt64.random(in: .min ... .max, using: &rng)
            let side = UInt8.random(in: 0x20...0x7E, using: &rng)
            let shares = UInt32.random(in: .min ... .max, using: &rng)
            let stock = randomSymbol(using: &rng)
            let price = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let matchNumber = UInt64.random(in: .min ... .max, using: &rng)
            let bytes = encodeMessage(length: NonCrossTrade.Layout.length) { NonCrossTrade.encode(header, orderReference: orderReference, side: side, shares: shares, stock: stock, price: price, matchNumber: matchNumber, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .nonCrossTrade(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.orderReference == orderReference)
                #expect(m.side == side)
                #expect(m.shares == shares)
                #expect(m.stock == stock)
                #expect(m.price == price)
                #expect(m.matchNumber == matchNumber)
            }
        }
    }

    @Test func roundTripCrossTrade() throws {
        var rng = SplitMix64(seed: 0x6856A337)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let shares = UInt64.random(in: .min ... .max, using: &rng)
            let stock = randomSymbol(using: &rng)
            let crossPrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let matchNumber = UInt64.random(in: .min ... .max, using: &rng)
            let crossType = UInt8.random(in: 0x20...0x7E, using: &rng)
            let bytes = encodeMessage(length: CrossTrade.Layout.length) { CrossTrade.encode(header, shares: shares, stock: stock, crossPrice: crossPrice, matchNumber: matchNumber, crossType: crossType, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .crossTrade(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.shares == shares)
                #expect(m.stock == stock)
                #expect(m.crossPrice == crossPrice)
                #expect(m.matchNumber == matchNumber)
                #expect(m.crossType == crossType)
            }
        }
    }

    @Test func roundTripBrokenTrade() throws {
        var rng = SplitMix64(seed: 0x8BCD20E8)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let matchNumber = UInt64.random(in: .min ... .max, using: &rng)
            let bytes = encodeMessage(length: BrokenTrade.Layout.length) { BrokenTrade.encode(header, matchNumber: matchNumber, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .brokenTrade(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.matchNumber == matchNumber)
            }
        }
    }

    @Test func roundTripNetOrderImbalance() throws {
        var rng = SplitMix64(seed: 0x271CF157)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let pairedShares = UInt64.random(in: .min ... .max, using: &rng)
            let imbalanceShares = UInt64.random(in: .min ... .max, using: &rng)
            let imbalanceDirection = UInt8.random(in: 0x20...0x7E, using: &rng)
            let stock = randomSymbol(using: &rng)
            let farPrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let nearPrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let currentReferencePrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let crossType = UInt8.random(in: 0x20...0x7E, using: &rng)
            let priceVariationIndicator = UInt8.random(in: 0x20...0x7E, using: &rng)
            let bytes = encodeMessage(length: NetOrderImbalance.Layout.length) { NetOrderImbalance.encode(header, pairedShares: pairedShares, imbalanceShares: imbalanceShares, imbalanceDirection: imbalanceDirection, stock: stock, farPrice: farPrice, nearPrice: nearPrice, currentReferencePrice: currentReferencePrice, crossType: crossType, priceVariationIndicator: priceVariationIndicator, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .netOrderImbalance(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.pairedShares == pairedShares)
                #expect(m.imbalanceShares == imbalanceShares)
                #expect(m.imbalanceDirection == imbalanceDirection)
                #expect(m.stock == stock)
                #expect(m.farPrice == farPrice)
                #expect(m.nearPrice == nearPrice)
                #expect(m.currentReferencePrice == currentReferencePrice)
                #expect(m.crossType == crossType)
                #expect(m.priceVariationIndicator == priceVariationIndicator)
            }
        }
    }

    @Test func roundTripRetailPriceImprovement() throws {
        var rng = SplitMix64(seed: 0xC5A5C7D3)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let stock = randomSymbol(using: &rng)
            let interestFlag = UInt8.random(in: 0x20...0x7E, using: &rng)
            let bytes = encodeMessage(length: RetailPriceImprovement.Layout.length) { RetailPriceImprovement.encode(header, stock: stock, interestFlag: interestFlag, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .retailPriceImprovement(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.stock == stock)
                #expect(m.interestFlag == interestFlag)
            }
        }
    }

    @Test func roundTripDirectListingPriceDiscovery() throws {
        var rng = SplitMix64(seed: 0x4C708BCD)
        for _ in 0..<200 {
            let header = ITCHHeader.random(using: &rng)
            let stock = randomSymbol(using: &rng)
            let openEligibilityStatus = UInt8.random(in: 0x20...0x7E, using: &rng)
            let minimumAllowablePrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let maximumAllowablePrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let nearExecutionPrice = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let nearExecutionTime = UInt64.random(in: .min ... .max, using: &rng)
            let lowerPriceRangeCollar = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let upperPriceRangeCollar = UInt32.random(in: 0...2_000_000_000, using: &rng)
            let bytes = encodeMessage(length: DirectListingPriceDiscovery.Layout.length) { DirectListingPriceDiscovery.encode(header, stock: stock, openEligibilityStatus: openEligibilityStatus, minimumAllowablePrice: minimumAllowablePrice, maximumAllowablePrice: maximumAllowablePrice, nearExecutionPrice: nearExecutionPrice, nearExecutionTime: nearExecutionTime, lowerPriceRangeCollar: lowerPriceRangeCollar, upperPriceRangeCollar: upperPriceRangeCollar, into: $0) }
            try decodeMessage(bytes) { message in
                guard case .directListingPriceDiscovery(let m) = message else { Issue.record("wrong case \(message)"); return }
                #expect(m.header == header)
                #expect(m.stock == stock)
                #expect(m.openEligibilityStatus == openEligibilityStatus)
                #expect(m.minimumAllowablePrice == minimumAllowablePrice)
                #expect(m.maximumAllowablePrice == maximumAllowablePrice)
                #expect(m.nearExecutionPrice == nearExecutionPrice)
                #expect(m.nearExecutionTime == nearExecutionTime)
                #expect(m.lowerPriceRangeCollar == lowerPriceRangeCollar)
                #expect(m.upperPriceRangeCollar == upperPriceRangeCollar)
            }
        }
    }

}

import Foundation
import Market
import Testing
@testable import KRX

/// The record layouts against KOSCOM's field table (the committed `Fixtures/krx/spec-fields.csv`,
/// regenerated from the spreadsheet by `scripts/krx-spec-table`), and every decoded field against
/// records laid out from that table.
@Suite struct SpecConformanceTests {
    @Test(arguments: KRXRecordKind.allCases)
    func layoutMatchesTheSpecTable(kind: KRXRecordKind) {
        let rows = SpecTable.fields(of: kind)
        #expect(!rows.isEmpty, "no rows for \(kind.interfaceID)")
        #expect(rows.map { $0.start + $0.length }.max() == kind.length, "\(kind) length")
        #expect(rows.last?.item == "End Keyword" && rows.last?.length == 1)
        let byItem = Dictionary(grouping: rows, by: \.item)
        for mapped in mappedFields(kind) {
            guard let row = byItem[mapped.item]?.first else {
                Issue.record("\(kind): '\(mapped.item)' is not an item of \(kind.interfaceID)")
                continue
            }
            #expect(mapped.field == KRXField(row.start, row.length, decimals: row.decimals),
                    "\(kind) '\(mapped.item)': layout \(mapped.field), spec start \(row.start) length \(row.length) decimals \(row.decimals)")
        }
        if kind != .instrumentMaster {
            let mappedItems = Set(mappedFields(kind).map(\.item))
            for row in rows where !mappedItems.contains(row.item) && !undecodedItems.contains(row.item) {
                Issue.record("\(kind): spec item '\(row.item)' is neither decoded nor listed as undecoded")
            }
        }
    }

    @Test func trCodesOfTheMessageListDispatchToTheirKind() {
        var seen = Set<String>()
        for kind in KRXRecordKind.allCases {
            let codes = SpecTable.fields(of: kind).first!.trCodes
            #expect(!codes.isEmpty)
            for code in codes {
                seen.insert(code)
                #expect(TRCode(code)?.kind == kind, "\(code)")
                if let market = TRCode(code)?.market, kind != .polling { #expect(TRCode(kind, market) == TRCode(code)) }
            }
        }
        #expect(seen.contains("B601S") && seen.contains("B601Q") && seen.contains("B601X") && seen.contains("I2000"))
        #expect(!seen.contains("R801X") && TRCode("R801X")?.kind == nil, "no VI records on KONEX")
        for other in ["B602S", "A302S", "A001F", "I2001", "B601F", "ABCDE", "A701G"] {
            #expect(TRCode(other)?.kind == nil, "\(other) is not decoded")
        }
    }

    /// Property: for every TR code of every kind, records built from the spec table with random
    /// well-formed values decode to exactly those values, field by field.
    @Test func everyDecodedFieldReadsWhatTheSpecLayoutHolds() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for kind in KRXRecordKind.allCases {
            for code in SpecTable.fields(of: kind).first!.trCodes {
                for _ in 0..<150 {
                    let built = buildSpecRecord(kind, trCode: code, using: &rng)
                    var records: [KRXRecord] = []
                    let statistics = decodeAll(built.bytes) { records.append($0) }
                    guard records.count == 1, statistics.refusedTotal == 0 else {
                        Issue.record("seed \(seed): \(code) not accepted: \(statistics), bytes \(String(decoding: built.bytes.map { $0 == 0xFF ? 0x7E : $0 }, as: UTF8.self))")
                        return
                    }
                    for field in mappedFields(kind) {
                        let decoded = field.read(records[0])
                        if decoded != built.expected[field.item] {
                            Issue.record("seed \(seed): \(code) '\(field.item)': decoded \(decoded), wrote \(built.expected[field.item].map(\.description) ?? "nothing")")
                            return
                        }
                    }
                }
            }
        }
    }

    @Test func eachRecordEncoderRoundTripsThroughTheDecoder() throws {
        let isin = try #require(ISIN("KR7005930003"))
        let header = KRXRecordHeader(trCode: TRCode(.quote, .kospi), sequenceNumber: 42, session: .continuous, isin: isin,
                                     designatedNumber: 1234, processingTime: 32_400_123_456)
        let quote = KRXQuote(header: header,
                             levels: (1...10).map {
                                 KRXQuoteLevel(askPrice: 71_000 + 100 * Int64($0), bidPrice: 71_000 - 100 * Int64($0 - 1),
                                               askQuantity: 10 * Int64($0), bidQuantity: nil)
                             },
                             totalAskQuantity: 550, totalBidQuantity: 0, estimatedPrice: nil, estimatedVolume: nil,
                             midpoint: 71_050, askMidpointQuantity: 0, bidMidpointQuantity: 0)
        var trade = KRXTrade(header: header, changeSign: .up, change: 500, price: 71_100, quantity: 17, open: 70_500,
                             high: 71_200, low: 70_400, accumulatedVolume: 1_234_567,
                             accumulatedValue: KRXDecimal(scaled: 87_654_321_000_000, decimals: 3), aggressor: .bid,
                             lpHoldingQuantity: -3, bestAsk: 71_200, bestBid: 71_100)
        trade.header.trCode = TRCode(.trade, .kospi)
        var closingHeader = header
        closingHeader.trCode = TRCode(.issueClosing, .kosdaq)
        closingHeader.session = nil
        closingHeader.processingTime = nil
        let closing = KRXIssueClosing(header: closingHeader, closingPrice: 70_900, closingPriceType: .closingPrice,
                                      weightedAveragePrice: 70_950, buyInBasePrice: nil, buyInUpperLimit: nil,
                                      buyInLowerLimit: nil)
        var viHeader = closingHeader
        viHeader.trCode = TRCode(.volatilityInterruption, .kospi)
        viHeader.processingTime = 36_000_000_000
        let vi = KRXVolatilityInterruption(header: viHeader, endTime: 36_120_500_000, status: .triggered, type: .dynamicVI,
                                           staticBasePrice: 70_000, dynamicBasePrice: 71_000, triggerPrice: 73_200,
                                           staticDisparity: KRXDecimal(scaled: 4_571_428, decimals: 6),
                                           dynamicDisparity: KRXDecimal(scaled: 3_098_591, decimals: 6))
        var eventHeader = header
        eventHeader.trCode = TRCode(.marketOperation, .konex)
        let event = KRXMarketOperation(header: eventHeader, eventID: KRXBoardEventID("TH1")!, eventStartTime: 36_000_000_000,
                                       groupCode: 5, haltReason: "101")
        var baseHeader = closingHeader
        baseHeader.trCode = TRCode(.basePrice, .kospi)
        let base = KRXBasePrice(header: baseHeader, basePrice: 70_000, upperLimit: 91_000, lowerLimit: 49_000)
        let master = KRXInstrument(trCode: TRCode(.instrumentMaster, .kospi), sequenceNumber: 1, totalInstruments: 2,
                                   businessDate: "20260105", isin: isin, designatedNumber: 1234, shortCode: "A005930",
                                   koreanName: "삼성전자", englishName: "SAMSUNG ELECTRONICS", isHalted: false,
                                   basePrice: 70_000, previousCloseType: .closingPrice, previousClose: 70_000,
                                   previousVolume: 9_876_543, previousValue: KRXDecimal(scaled: 691_358_010_000_000, decimals: 3),
                                   upperLimit: 91_000, lowerLimit: 49_000, parValue: KRXDecimal(scaled: 100_000, decimals: 3),
                                   listedShares: 5_969_782_550, lotSize: 1)

        var payload = [UInt8](repeating: 0, count: 4096)
        var length = 0
        payload.withUnsafeMutableBytes { out in
            let base0 = out.baseAddress!
            length += QuoteRecord.encode(quote, into: base0 + length)
            length += TradeRecord.encode(trade, into: base0 + length)
            length += IssueClosingRecord.encode(closing, into: base0 + length)
            length += VolatilityInterruptionRecord.encode(vi, into: base0 + length)
            length += MarketOperationRecord.encode(event, into: base0 + length)
            length += BasePriceRecord.encode(base, into: base0 + length)
            length += PollingRecord.encode(minutesSinceMidnight: 9 * 60 + 30, into: base0 + length)
            length += InstrumentMasterRecord.encode(master, into: base0 + length)
            length += InstrumentMasterRecord.encodeEndOfBatch(trCode: master.trCode, sequenceNumber: 2, into: base0 + length)
        }
        var seen: [String] = []
        let statistics = decodeAll(Array(payload[0..<length])) { record in
            switch record {
            case .quote(let q): #expect(q.contents == quote); seen.append("B6")
            case .trade(let t): #expect(t.contents == trade); seen.append("A3")
            case .issueClosing(let c): #expect(c.contents == closing); seen.append("A6")
            case .volatilityInterruption(let v): #expect(v.contents == vi); seen.append("R8")
            case .marketOperation(let e): #expect(e.contents == event); seen.append("A7")
            case .basePrice(let b): #expect(b.contents == base); seen.append("A4")
            case .polling(let p): #expect(p.minutesSinceMidnight == 570); seen.append("I2")
            case .instrumentMaster(let m): #expect(m.contents == master); seen.append("A0")
            case .endOfBatch(let code, let sequence): #expect(code == master.trCode && sequence == 2); seen.append("end")
            }
        }
        #expect(seen == ["B6", "A3", "A6", "R8", "A7", "A4", "I2", "A0", "end"])
        #expect(statistics.refusedTotal == 0 && statistics.acceptedTotal == 9)
    }

    @Test func theShortEndOfBatchMarkerIsAcceptedToo() {
        let short = Array("A001Q0000004399999999".utf8) + [0xFF]
        var payload = short
        var master = [UInt8](repeating: 0, count: InstrumentMasterRecord.Layout.length)
        master.withUnsafeMutableBytes {
            _ = InstrumentMasterRecord.encodeEndOfBatch(trCode: TRCode("A001S")!, sequenceNumber: 7, into: $0.baseAddress!)
        }
        payload += master
        var ends: [(String, Int64)] = []
        let statistics = decodeAll(payload) { if case .endOfBatch(let c, let s) = $0 { ends.append((c.description, s)) } }
        #expect(ends.map(\.0) == ["A001Q", "A001S"] && ends.map(\.1) == [43, 7])
        #expect(statistics.endOfBatch == 2 && statistics.refusedTotal == 0)
    }
}

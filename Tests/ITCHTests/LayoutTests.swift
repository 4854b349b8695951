import Testing
@testable import ITCH

/// The message lengths of the ITCH 5.0 specification (section 1), typed in from its tables
/// independently of `Messages.swift`.
@Suite struct LayoutTests {
    static let specified: [Character: Int] = [
        "S": 12, "R": 39, "H": 25, "Y": 20, "L": 26, "V": 35, "W": 12, "K": 28, "J": 35, "h": 21,
        "A": 36, "F": 40, "E": 31, "C": 36, "X": 23, "D": 19, "U": 35, "P": 44, "Q": 40, "B": 19,
        "I": 50, "N": 20, "O": 48,
    ]

    @Test func everySpecifiedTypeHasItsLength() {
        #expect(itchMessageLengths.count == Self.specified.count)
        for (char, length) in Self.specified {
            #expect(ITCHDecoder.expectedLength(of: char.asciiValue!) == length, "type \(char)")
        }
    }

    @Test func keyOffsetsMatchTheSpecification() {
        #expect(AddOrder.Layout.orderReference == 11 && AddOrder.Layout.price == 32)
        #expect(AddOrderMPID.Layout.attribution == 36)
        #expect(OrderExecutedWithPrice.Layout.printable == 31 && OrderExecutedWithPrice.Layout.executionPrice == 32)
        #expect(OrderReplace.Layout.newOrderReference == 19 && OrderReplace.Layout.price == 31)
        #expect(NonCrossTrade.Layout.matchNumber == 36)
        #expect(CrossTrade.Layout.shares == 11 && CrossTrade.Layout.crossType == 39)
        #expect(StockDirectory.Layout.inverseIndicator == 38)
        #expect(MarketParticipantPosition.Layout.stock == 15)
        #expect(NetOrderImbalance.Layout.stock == 28 && NetOrderImbalance.Layout.priceVariationIndicator == 49)
        #expect(DirectListingPriceDiscovery.Layout.nearExecutionTime == 32)
    }

    @Test func unknownTypesAndBadLengthsAreReported() {
        var bytes = [UInt8](repeating: 0, count: 36)
        bytes[0] = UInt8(ascii: "z")
        bytes.withUnsafeBytes { raw in
            guard case .unknownType(let t) = ITCHDecoder.decode(raw) else { Issue.record("not unknown"); return }
            #expect(t == UInt8(ascii: "z"))
        }
        bytes[0] = UInt8(ascii: "A")
        bytes.withUnsafeBytes { raw in
            guard case .badLength(let t, let n, let e) = ITCHDecoder.decode(UnsafeRawBufferPointer(rebasing: raw[0..<35]))
            else { Issue.record("not bad length"); return }
            #expect(t == UInt8(ascii: "A") && n == 35 && e == 36)
        }
        [UInt8]().withUnsafeBytes { raw in
            guard case .empty = ITCHDecoder.decode(raw) else { Issue.record("not empty"); return }
        }
    }
}

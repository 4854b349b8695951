import Feed
import Foundation
import Market
import Testing

/// `--reference-prices FILE`: CSV `symbol,price`, errors naming the line.
@Suite struct ReferencePriceFileTests {
    @Test func parsesSymbolsAndDecimalPrices() throws {
        let prices = try ReferencePriceFile.parse("symbol,price\n# previous closes\nAAPL,189.25\n\n MSFT , 410\nQQQ,0.0001\n")
        #expect(prices == [Symbol("AAPL")!: 1_892_500, Symbol("MSFT")!: 4_100_000, Symbol("QQQ")!: 1])
    }

    @Test(arguments: [
        ("AAPL", "line 1: expected 'symbol,price'"),
        ("AAPL,1.23456", "line 1: '1.23456' is not a price"),
        ("AAPL,-1", "line 1: '-1' is not a price"),
        ("AAPL,0", "line 1: '0' is not a price"),
        ("AAPL,500000", "line 1: '500000' is not a price"),
        ("TOOLONGXX,1", "line 1: 'TOOLONGXX' is not a symbol"),
        ("AAPL,1\nAAPL,2", "line 2: AAPL is given twice"),
    ])
    func refusesBadLinesNamingThem(text: String, message: String) {
        #expect {
            _ = try ReferencePriceFile.parse(text)
        } throws: { error in
            (error as? ReferencePriceFile.Error)?.description.hasPrefix(message) == true
        }
    }

    @Test func aMissingFileIsAnError() {
        #expect(throws: ReferencePriceFile.Error.self) {
            _ = try ReferencePriceFile.load(path: "/nonexistent/\(UUID().uuidString).csv")
        }
    }
}

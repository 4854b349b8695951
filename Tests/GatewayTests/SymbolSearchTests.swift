import Foundation
import Market
import Testing
@testable import Gateway

/// `GET /v1/symbols?q=TEXT&limit=N` on a real loopback gateway: the code, the Korean name and the
/// English name are searched; reference data is listed; bad parameters are refused with 400.
@Suite struct SymbolSearchTests {
    /// Three KRX instruments with names and one Nasdaq symbol without reference data.
    func harness() throws -> GatewayHarness {
        let h = try GatewayHarness()
        h.write(.instrument, "005930", locate: 1, instrument: InstrumentReference(
            market: .krx, decimals: 0, referencePrice: 71_000, upperLimit: 92_300, lowerLimit: 49_700,
            isin: "KR7005930003", name: "삼성전자", englishName: "SamsungElec"))
        h.write(.instrument, "028260", locate: 2, instrument: InstrumentReference(
            market: .krx, decimals: 0, referencePrice: 150_000, name: "삼성물산", englishName: "SAMSUNG C&T"))
        h.write(.instrument, "000660", locate: 3, instrument: InstrumentReference(
            market: .krx, decimals: 0, referencePrice: 180_000, name: "SK하이닉스", englishName: "SK hynix"))
        h.write(.quote, "AAPL", locate: 4, bids: [(1_892_500, 300)], asks: [])
        try h.waitForGateway()
        return h
    }

    func symbols(_ h: GatewayHarness, _ target: String) throws -> (list: [[String: Any]], object: [String: Any]) {
        let answer = try httpGet(h.address, target)
        #expect(answer.status == 200, "\(target): \(answer.head)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
        return (object["symbols"] as? [[String: Any]] ?? [], object)
    }

    @Test func searchesTheCodeTheKoreanNameAndTheEnglishName() throws {
        let h = try harness()
        defer { h.stop() }
        // 삼성 (percent-encoded UTF-8): both Samsung companies, sorted by code, with their reference data.
        let samsung = try symbols(h, "/v1/symbols?q=%EC%82%BC%EC%84%B1").list
        #expect(samsung.map { $0["symbol"] as? String } == ["005930", "028260"])
        #expect(samsung.first?["name"] as? String == "삼성전자" && samsung.first?["english_name"] as? String == "SamsungElec")
        #expect(samsung.first?["market"] as? String == "krx" && samsung.first?["decimals"] as? Int == 0)
        #expect(samsung.first?["status"] != nil && samsung.first?["seq"] as? Int == 1)
        // 하이닉스 inside a name, the English name in any case, the code's digits, a space sent as '+'.
        #expect(try symbols(h, "/v1/symbols?q=%ED%95%98%EC%9D%B4%EB%8B%89%EC%8A%A4").list.map { $0["symbol"] as? String } == ["000660"])
        #expect(try symbols(h, "/v1/symbols?q=HYNIX").list.map { $0["symbol"] as? String } == ["000660"])
        #expect(try symbols(h, "/v1/symbols?q=c%26t").list.map { $0["symbol"] as? String } == ["028260"])
        #expect(try symbols(h, "/v1/symbols?q=sk+hy").list.map { $0["symbol"] as? String } == ["000660"])
        #expect(try symbols(h, "/v1/symbols?q=0059").list.map { $0["symbol"] as? String } == ["005930"])
        #expect(try symbols(h, "/v1/symbols?q=aapl").list.map { $0["symbol"] as? String } == ["AAPL"])
        // An unknown name (없는회사): an empty list, not an error.
        let none = try symbols(h, "/v1/symbols?q=%EC%97%86%EB%8A%94%ED%9A%8C%EC%82%AC")
        #expect(none.list.isEmpty && none.object["truncated"] == nil)
        // Without q: every symbol, as before; the Nasdaq symbol without reference data has no names.
        let all = try symbols(h, "/v1/symbols").list
        #expect(all.map { $0["symbol"] as? String } == ["000660", "005930", "028260", "AAPL"])
        #expect(all.last?["name"] == nil && all.last?["market"] == nil)
    }

    @Test func theAnswerIsBoundedByLimit() throws {
        let h = try harness()
        defer { h.stop() }
        let cut = try symbols(h, "/v1/symbols?q=0&limit=2")
        #expect(cut.list.map { $0["symbol"] as? String } == ["000660", "005930"])
        #expect(cut.object["truncated"] as? Bool == true)
        let whole = try symbols(h, "/v1/symbols?q=0&limit=3")
        #expect(whole.list.count == 3 && whole.object["truncated"] == nil)
        #expect(try symbols(h, "/v1/symbols?limit=1").list.map { $0["symbol"] as? String } == ["000660"])
    }

    @Test func badQueriesAndLimitsAreRefusedWith400() throws {
        let h = try harness()
        defer { h.stop() }
        let refused: [(String, String)] = [
            ("q=", "bad_query"), ("q=%E", "bad_query"), ("q=%ZZ", "bad_query"), ("q=%FF", "bad_query"),
            ("q=%0A", "bad_query"), ("q=a&q=b", "bad_query"), ("q=" + String(repeating: "a", count: 65), "bad_query"),
            ("limit=0", "bad_limit"), ("limit=1001", "bad_limit"), ("limit=-1", "bad_limit"), ("limit=abc", "bad_limit"),
            ("q=a&limit=", "bad_limit"), ("limit=1&limit=2", "bad_limit"),
        ]
        for (query, code) in refused {
            let answer = try httpGet(h.address, "/v1/symbols?" + query)
            #expect(answer.status == 400, "\(query)")
            let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
            #expect(object?["type"] as? String == "error" && object?["code"] as? String == code, "\(query): \(answer.body)")
        }
        #expect(try httpGet(h.address, "/v1/symbols?q=" + String(repeating: "a", count: 64)).status == 200)
        #expect(try httpGet(h.address, "/v1/symbols?limit=1000").status == 200)
    }

    @Test func parsingDefaultsAndIgnoresOtherParameters() {
        #expect(SymbolSearch.parse(query: "") == .success(SymbolSearch()))
        #expect(SymbolSearch.parse(query: "q=Sam") == .success(SymbolSearch(text: "sam", limit: SymbolSearch.defaultLimit)))
        #expect(SymbolSearch.parse(query: "access_token=x.y.z&q=a&limit=7") == .success(SymbolSearch(text: "a", limit: 7)))
    }

    /// A trade of an instrument with a reference price carries its sign against the instrument's
    /// limits; a trade without a reference price is encoded as before (no `sign`).
    @Test func tradesCarryTheirChangeSign() throws {
        let h = try harness()
        defer { h.stop() }
        h.write(.trade, "AAPL", locate: 4, price: 1_892_600, size: 100)
        let c = try TestClient(h.address)
        try c.send(#"{"op":"subscribe","symbols":["005930","AAPL"]}"#)
        #expect(c.next()?.type == "subscribed")
        #expect(c.next()?.type == "snapshot")
        #expect(c.next()?.type == "snapshot")
        for (price, sign) in [(92_300 as UInt32, "upper_limit"), (92_200, "up"), (71_000, "unchanged"), (70_900, "down"), (49_700, "lower_limit")] {
            h.write(.trade, "005930", locate: 1, price: price, size: 1, statistics: DayStatistics(reference: 71_000))
            let trade = try #require(c.next())
            #expect(trade.type == "trade" && trade["price"] as? String == "\(price)" && trade["sign"] as? String == sign)
        }
        h.write(.trade, "AAPL", locate: 4, price: 1_892_700, size: 100)
        let nasdaq = try #require(c.next())
        #expect(nasdaq.type == "trade" && nasdaq["sign"] == nil)
    }
}

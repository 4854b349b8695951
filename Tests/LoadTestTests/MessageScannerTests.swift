import Foundation
import LoadTest
import Market
import Testing

/// The scanner must pick out the fields of every message shape of contract section 2, and reject
/// anything that is not one valid JSON object — with JSONSerialization as the referee.
@Suite struct MessageScannerTests {
    func scan(_ text: String) -> ServerMessage? { MessageScanner.scan(Array(text.utf8)) }

    @Test func readsTheContractsMessageShapes() throws {
        let quote = try #require(scan(#"{"type":"quote","symbol":"AAPL","seq":42,"ts":34200000000000,"rt":1764079200123456789,"bids":[["189.2500",300],["189.2400",100]],"asks":[["189.2600",100]]}"#))
        #expect(quote.type == .quote && quote.hasType)
        #expect(quote.symbol == SymbolKey.make("AAPL"))
        #expect(quote.seq == 42 && quote.hasSeq)
        #expect(quote.rt == 1_764_079_200_123_456_789 && quote.hasRT)
        #expect(!quote.conflated)

        let conflated = try #require(scan(#"{"type":"quote","symbol":"MSFT","seq":7,"ts":1,"rt":2,"bids":[],"asks":[],"conflated":true}"#))
        #expect(conflated.conflated && conflated.symbol == SymbolKey.make("MSFT"))

        let trade = try #require(scan(#"{"type":"trade","symbol":"AAPL","seq":43,"ts":1,"rt":2,"price":"189.2600","size":100,"side":null}"#))
        #expect(trade.type == .trade && trade.seq == 43)
        #expect(!trade.hasPrev && !quote.hasPrev)
        let chained = try #require(scan(#"{"type":"trade","symbol":"AAPL","seq":43,"prev":40,"ts":1,"rt":2,"price":"189.2600","size":100,"side":null}"#))
        #expect(chained.seq == 43 && chained.hasPrev && chained.prev == 40)

        let snapshot = try #require(scan(#"{"type":"snapshot","symbol":"AAPL","seq":41,"ts":1,"rt":2,"status":"trading","bids":[["1.0000",1]],"asks":[],"last":{"price":"189.2600","size":100,"seq":999},"volume":123400}"#))
        #expect(snapshot.type == .snapshot && snapshot.seq == 41, "a nested seq must not count")

        let gap = try #require(scan(#"{"type":"gap","symbol":"AAPL","from":44,"to":47}"#))
        #expect(gap.type == .gap && gap.hasRange && gap.from == 44 && gap.to == 47)
        let reversed = try #require(scan(#"{"to":9,"symbol":"X","from":5,"type":"gap"}"#))
        #expect(reversed.hasRange && reversed.from == 5 && reversed.to == 9)

        #expect(scan(#"{"type":"subscribed","symbols":["AAPL","MSFT"]}"#)?.type == .subscribed)
        #expect(scan(#"{"type":"unsubscribed","symbols":["AAPL"]}"#)?.type == .unsubscribed)
        #expect(scan(#"{"type":"status","symbol":"AAPL","seq":44,"ts":1,"rt":2,"status":"halted"}"#)?.type == .status)
        #expect(scan(#"{"type":"trade_break","symbol":"AAPL","seq":45,"ts":1,"rt":2,"match":7}"#)?.type == .tradeBreak)
        let instrument = scan(#"{"type":"instrument","symbol":"AAPL","seq":1,"ts":1,"rt":2,"market":"nasdaq","decimals":4,"reference":null,"upper_limit":null,"lower_limit":null,"isin":null,"name":"","english_name":""}"#)
        #expect(instrument?.type == .instrument && instrument?.seq == 1 && instrument?.type.isUpdate == true)
        #expect(scan(#"{"type":"pong","id":7}"#)?.type == .pong)
        #expect(scan(#"{"type":"error","code":"unknown_symbol","message":"no \"NOPE\"","symbols":["NOPE"]}"#)?.type == .error)
        #expect(scan(#"{"type":"news","symbol":"AAPL"}"#)?.type == .other)
        #expect(scan(#"{"type":"quotes"}"#)?.type == .other)
        #expect(scan(" { \"seq\" : 5 ,\n\"type\":\t\"quote\" } ")?.seq == 5)
    }

    @Test func fieldsOfAnotherTypeAreValidButAbsent() throws {
        let m = try #require(scan(#"{"type":"quote","symbol":"AAPL","seq":"42","rt":-5,"conflated":"yes"}"#))
        #expect(!m.hasSeq && !m.hasRT && !m.conflated)
        #expect(scan(#"{"seq":1.5}"#)?.hasSeq == false)
        #expect(scan(#"{"seq":1e3}"#)?.hasSeq == false)
        #expect(scan(#"{"seq":99999999999999999999999}"#)?.hasSeq == false, "overflow is not a seq")
        #expect(scan(#"{"symbol":"TOOLONGNAME"}"#)?.symbol == 0)
        #expect(scan(#"{"type":"snapshot","symbol":"A"}"#)?.hasSeq == false)
    }

    @Test(arguments: [
        "", " ", "{", "}", "[]", "42", "\"quote\"", "null",
        #"{"type":"quote""#, #"{"type":"quote",}"#, #"{"type" "quote"}"#, #"{type:"quote"}"#,
        #"{"type":'quote'}"#, #"{"seq":01}"#, #"{"seq":-}"#, #"{"seq":1.}"#, #"{"seq":.5}"#, #"{"seq":1e}"#,
        #"{"seq":+1}"#, #"{"a":tru}"#, #"{"a":nul}"#, #"{"a":[1,2,]}"#, #"{"a":[1 2]}"#, #"{"a":{"b"}}"#,
        #"{"a":{"b":1,}}"#, #"{"a":"\x"}"#, #"{"a":"\u12G4"}"#, "{\"a\":\"tab\there\"}", #"{"a":1}{"b":2}"#,
        #"{"a":1} x"#, #"{"a":[}"#, #"{"a":]}"#, #"{"a":"unterminated}"#, #"{"a":NaN}"#, #"{"a":Infinity}"#,
        #"{"a":[[[[]]]]"#, #"{"type":"quote","symbol":"AAPL","seq":42,"rt":1,"bids":[["1.0",1],"asks":[]}"#,
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(scan(text) == nil, "accepted: \(text)")
    }

    @Test func agreesWithJSONSerializationOnRandomMutations() throws {
        // Mutate a real message byte by byte; whenever Foundation's parser says valid object, so
        // must the scanner, and the other way round (except Foundation's trailing-comma leniency).
        let base = Array(#"{"type":"quote","symbol":"AAPL","seq":42,"ts":1,"rt":2,"bids":[["189.2500",300],["189.2400",1e2]],"asks":[],"x":{"y":[true,false,null,-0.5E+3,"\u00e9\n"]}}"#.utf8)
        var random = SplitMix64(seed: 9)
        let alphabet = Array("{}[]\":,0123456789-+.eEtrufalsn \\x".utf8)
        var disagreements: [String] = []
        for _ in 0..<20_000 {
            var bytes = base
            for _ in 0..<Int(random.next() % 3 + 1) {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                }
            }
            let ours = MessageScanner.scan(bytes) != nil
            let text = String(decoding: bytes, as: UTF8.self)
            if text.contains(",]") || text.contains(",}") {
                // Foundation on Linux accepts trailing commas; RFC 8259 does not, nor do we.
                if ours { disagreements.append(text) }
                continue
            }
            let reference = (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any]
            if reference != ours { disagreements.append(String(decoding: bytes, as: UTF8.self)) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, e.g. \(disagreements.prefix(3))")
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        #expect(scan("{\"a\":\(deep)}") == nil)
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(scan("{\"a\":\(fine)}") != nil)
    }

    @Test func readsWhatTickJSONWrites() throws {
        var tick = Tick()
        tick.kind = .quote
        tick.symbol = Symbol("ZVZZT")!
        tick.seq = 123_456
        tick.receiveTime = 1_764_079_200_000_000_001
        var buffer = [UInt8](repeating: 0, count: TickJSON.maxLength)
        let n = buffer.withUnsafeMutableBufferPointer { TickJSON.encode(tick, into: $0.baseAddress!) }
        let m = try #require(MessageScanner.scan(Array(buffer[0..<n])))
        #expect(m.type == .quote && m.seq == 123_456 && m.rt == 1_764_079_200_000_000_001)
        #expect(m.symbol == SymbolKey.make("ZVZZT"))
    }
}

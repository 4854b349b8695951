import Foundation
import Market
import Testing
@testable import Codecs

/// The strict JSON reader: RFC 8259 documents read exactly, everything a lenient reader would let
/// through refused with the right problem, limits enforced; then seeded properties against
/// Foundation's JSONSerialization as the oracle (documents it writes are read to the same values,
/// and the reader never accepts anything Foundation refuses).
@Suite struct JSONReaderTests {
    func parse(_ text: String, limits: JSONReader.Limits = JSONReader.Limits()) -> Result<JSONValue, JSONParseError> {
        JSONReader.parse(Array(text.utf8), limits: limits)
    }

    @Test func readsAnObjectWithEveryKindOfValue() throws {
        let value = try parse(#" { "a" : [1, -0.5e+2, 0, true, false, null], "b": {"c": "d\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"} } "#).get()
        #expect(value["a"] == .array([.number(JSONNumber(1)), .number(JSONNumber(literal: "-0.5e+2", isInteger: false)!),
                                      .number(JSONNumber(0)), .bool(true), .bool(false), .null]))
        #expect(value["b"]?["c"] == .string("d\"\\/\u{8}\u{c}\n\r\té😀"))
        #expect(value["missing"] == nil)
        if case .number(let n)? = value["a"].flatMap({ if case .array(let a) = $0 { a[1] } else { nil } }) {
            #expect(n.value == -50 && n.integer == nil)
        } else {
            Issue.record("no number")
        }
    }

    @Test func integersAreExactUpTo64Bits() throws {
        guard case .number(let n) = try parse("9223372036854775807").get() else { Issue.record("not a number"); return }
        #expect(n.integer == Int64.max)
        guard case .number(let big) = try parse("9223372036854775808").get() else { Issue.record("not a number"); return }
        #expect(big.integer == nil && big.value == 9.223372036854775808e18)
    }

    @Test(arguments: [
        ("", JSONProblem.unexpectedEnd), ("\u{FEFF}{}", .unexpectedByte), ("{} x", .trailingData), ("[1,]", .unexpectedByte),
        ("{\"a\":1,}", .unexpectedByte), ("{'a':1}", .unexpectedByte), ("// c\n{}", .unexpectedByte), ("01", .badNumber),
        ("-", .badNumber), ("1.", .badNumber), (".5", .unexpectedByte), ("1e", .badNumber), ("+1", .unexpectedByte),
        ("NaN", .unexpectedByte), ("Infinity", .unexpectedByte), ("1e400", .numberOutOfRange), ("\"a\u{1}\"", .controlCharacter),
        ("\"\\x\"", .badEscape), ("\"\\u12G4\"", .badEscape), ("\"\\ud800\"", .loneSurrogate), ("\"\\udc00\"", .loneSurrogate),
        ("\"\\ud800\\u0041\"", .loneSurrogate), ("{\"a\":1,\"a\":2}", .duplicateKey), ("tru", .unexpectedEnd), ("nul!", .unexpectedByte),
        ("\"abc", .unexpectedEnd), ("{\"a\" 1}", .unexpectedByte), ("[1 2]", .unexpectedByte),
    ])
    func refusesWhatLenientReadersAccept(text: String, problem: JSONProblem) {
        guard case .failure(let error) = parse(text) else {
            Issue.record("accepted \(text.debugDescription)")
            return
        }
        #expect(error.problem == problem, "\(text.debugDescription): \(error)")
    }

    @Test(arguments: [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xE2, 0x82]] as [[UInt8]])
    func refusesInvalidUTF8InStrings(bytes: [UInt8]) {
        let document = [UInt8(ascii: "\"")] + bytes + [UInt8(ascii: "\"")]
        guard case .failure(let error) = JSONReader.parse(document) else { Issue.record("accepted \(bytes)"); return }
        #expect(error.problem == .invalidUTF8)
    }

    @Test func limitsBoundSizeAndNesting() {
        let deep = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect((try? parse(deep).get()) != nil)
        #expect(parse("[" + deep + "]") == .failure(JSONParseError(offset: 32, problem: .tooDeep)))
        // Far deeper than any stack allows: refused at the limit, not a crash.
        #expect((try? parse(String(repeating: "[", count: 100_000)).get()) == nil)
        #expect(parse("[1,2]", limits: JSONReader.Limits(maxBytes: 4)) == .failure(JSONParseError(offset: 0, problem: .tooLarge)))
    }

    @Test func serializedTextReadsBackToTheSameValue() throws {
        let value = JSONValue.object([JSONMember("s\"\n", .string("\u{1}é\\")), JSONMember("n", .array([.number(JSONNumber(-7)), .null]))])
        #expect(value.serialized == #"{"s\"\n":"\u0001é\\","n":[-7,null]}"#)
        #expect(try parse(value.serialized).get() == value)
    }

    // MARK: properties against Foundation

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func documentsFoundationWritesAreReadToTheSameValues(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for _ in 0..<300 {
            let tree = Self.randomTree(&random, depth: 0)
            let options: JSONSerialization.WritingOptions = Bool.random(using: &random) ? [.prettyPrinted, .fragmentsAllowed] : [.fragmentsAllowed]
            let data = try JSONSerialization.data(withJSONObject: tree, options: options)
            let text = String(decoding: data, as: UTF8.self)
            guard case .success(let ours) = JSONReader.parse(Array(data)) else {
                Issue.record("seed \(seed): refused \(text)")
                continue
            }
            let oracle = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            #expect(Self.same(ours, oracle), "seed \(seed): \(text)")
            #expect(try JSONReader.parse(Array(ours.serialized.utf8)).get() == ours, "seed \(seed): round trip of \(text)")
        }
    }

    @Test(arguments: [21, 22, 23, 24, 25] as [UInt64])
    func neverAcceptsWhatFoundationRefusesAndNeverCrashes(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let noise = Array("{}[]\",:\\/0123456789.eE+-tfnu \n\t".utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xED, 0xFF]
        var accepted = 0
        for _ in 0..<2000 {
            let tree = Self.randomTree(&random, depth: 0)
            var bytes = Array(try JSONSerialization.data(withJSONObject: tree, options: [.fragmentsAllowed]))
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0...bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.insert(noise.randomElement(using: &random)!, at: at)
                case 1: if at < bytes.count { bytes.remove(at: at) }
                default: if at < bytes.count { bytes[at] = noise.randomElement(using: &random)! }
                }
            }
            guard case .success(let ours) = JSONReader.parse(bytes) else { continue }
            accepted += 1
            let text = String(decoding: bytes, as: UTF8.self).debugDescription
            guard let oracle = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
                Issue.record("seed \(seed): accepted what Foundation refuses: \(text)")
                continue
            }
            #expect(Self.same(ours, oracle), "seed \(seed): \(text)")
        }
        #expect(accepted > 100, "seed \(seed): the mutations should leave many documents valid")
    }

    /// A random Foundation JSON tree: objects, arrays, strings with escapes and non-ASCII, integers
    /// and doubles, booleans, null.
    static func randomTree(_ random: inout SplitMix64, depth: Int) -> Any {
        let pieces = ["a", "Z", "\"", "\\", "/", "\n", "\u{1}", "é", "😀", "€", " ", "sym", "\u{7F}"]
        func string() -> String { (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined() }
        switch Int.random(in: 0..<(depth >= 3 ? 5 : 7), using: &random) {
        case 0: return NSNull()
        case 1: return Bool.random(using: &random)
        case 2: return Int.random(in: -1_000_000_000_000...1_000_000_000_000, using: &random)
        case 3: return Double.random(in: -1e6...1e6, using: &random)
        case 4: return string()
        case 5: return (0..<Int.random(in: 0...4, using: &random)).map { _ in randomTree(&random, depth: depth + 1) }
        default:
            var object: [String: Any] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) { object[string()] = randomTree(&random, depth: depth + 1) }
            return object
        }
    }

    /// Whether our value equals what Foundation read (booleans told from numbers by their type).
    static func same(_ value: JSONValue, _ other: Any) -> Bool {
        switch value {
        case .null: return other is NSNull
        case .bool(let b):
            guard let n = other as? NSNumber, isBoolean(n) else { return false }
            return n.boolValue == b
        case .number(let n):
            guard let o = other as? NSNumber, !isBoolean(o) else { return false }
            // Nearly equal: Foundation on Linux reads long decimals as NSDecimalNumber, whose
            // doubleValue is a few ulps off; the reader uses strtod (correctly rounded).
            return abs(o.doubleValue - n.value) <= max(abs(o.doubleValue), abs(n.value)) * 1e-14
        case .string(let s): return (other as? String) == s
        case .array(let items):
            guard let o = other as? [Any], o.count == items.count else { return false }
            return zip(items, o).allSatisfy { same($0, $1) }
        case .object(let members):
            guard let o = other as? [String: Any], o.count == members.count else { return false }
            return members.allSatisfy { m in o[m.key].map { same(m.value, $0) } ?? false }
        }
    }

    static func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }
}

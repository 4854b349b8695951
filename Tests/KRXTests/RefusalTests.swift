import Market
import Testing
@testable import KRX

/// Every damaged record is refused, counted under its reason and dropped whole, and the record
/// after it still decodes. Property tests: random records from the spec table, random damage, a
/// printed seed.
@Suite struct RefusalTests {
    /// A well-formed polling record that follows the damaged one: it must survive.
    static let witness = Array("I20000930".utf8) + [0xFF]

    static func randomRecord(_ rng: inout SplitMix64) -> SpecRecord {
        let kind = KRXRecordKind.allCases.randomElement(using: &rng)!
        let code = SpecTable.fields(of: kind).first!.trCodes.randomElement(using: &rng)!
        return buildSpecRecord(kind, trCode: code, using: &rng)
    }

    /// `statistics` shows exactly one refusal, for `reason`, and `witnesses` accepted polling records.
    static func expectRefused(_ statistics: KRXDecodeStatistics, _ reason: KRXRecordError, witnesses: Int,
                              _ context: @autoclosure () -> String) -> Bool {
        let ok = statistics.refused(reason) == 1 && statistics.refusedTotal == 1
            && statistics.accepted(.polling) == witnesses && statistics.acceptedTotal == witnesses
        if !ok { Issue.record("\(context()): expected one \(reason.label) and \(witnesses) witness, got \(statistics)") }
        return ok
    }

    @Test func everyTruncationIsRefusedAsTruncated() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<200 {
            let record = Self.randomRecord(&rng)
            let cut = Int.random(in: 1..<record.bytes.count, using: &rng)
            let statistics = decodeAll(Array(record.bytes[0..<cut]))
            guard Self.expectRefused(statistics, .truncated, witnesses: 0, "seed \(seed): \(record.kind) cut at \(cut)") else { return }
        }
        // Every cut of one record of each kind, exhaustively.
        for kind in KRXRecordKind.allCases {
            let record = buildSpecRecord(kind, trCode: SpecTable.fields(of: kind).first!.trCodes[0], using: &rng)
            for cut in 1..<record.bytes.count {
                let statistics = decodeAll(Array(record.bytes[0..<cut]))
                guard Self.expectRefused(statistics, .truncated, witnesses: 0, "seed \(seed): \(kind) cut at \(cut)") else { return }
            }
        }
    }

    @Test func aRecordOfTheWrongLengthIsRefusedAndTheNextOneSurvives() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<300 {
            var record = Self.randomRecord(&rng)
            let at = Int.random(in: 5..<(record.bytes.count - 1), using: &rng)
            let shorter = Bool.random(using: &rng)
            if shorter { record.bytes.remove(at: at) } else { record.bytes.insert(0x30, at: at) }
            let statistics = decodeAll(record.bytes + Self.witness)
            guard Self.expectRefused(statistics, .missingEndKeyword, witnesses: 1,
                                     "seed \(seed): \(record.kind) \(shorter ? "without" : "with an extra") byte at \(at)") else { return }
        }
    }

    @Test func aMissingEndKeywordIsRefusedAndTheNextOneSurvives() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<200 {
            var record = Self.randomRecord(&rng)
            record.bytes[record.bytes.count - 1] = [0x20, 0x30, 0x41].randomElement(using: &rng)!
            let statistics = decodeAll(record.bytes + Self.witness + Self.witness)
            guard Self.expectRefused(statistics, .missingEndKeyword, witnesses: 2, "seed \(seed): \(record.kind)") else { return }
        }
        // The end keyword missing from the last record of a payload: nothing to resynchronise on.
        var last = buildSpecRecord(.trade, trCode: "A301S", using: &rng)
        last.bytes[last.bytes.count - 1] = 0x20
        #expect(Self.expectRefused(decodeAll(Self.witness + last.bytes), .missingEndKeyword, witnesses: 1, "last record"))
    }

    @Test func aNonDigitInAnyNumericFieldIsRefusedAndTheNextOneSurvives() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        var checked = 0
        for _ in 0..<600 {
            var record = Self.randomRecord(&rng)
            let numeric = mappedFields(record.kind).filter {
                switch $0.kind {
                case .digits, .optionalDigits, .number, .decimal, .time: true
                default: false
                }
            }
            let target = numeric.randomElement(using: &rng)!
            // Not the decimal point of a decimal, which may be there: anything else in the field.
            let at = target.field.offset + Int.random(in: 0..<target.field.length, using: &rng)
            if case .decimal = target.kind, at == target.field.end - target.field.decimals - 1 { continue }
            // A '-' is allowed in the first position of a signed number.
            let junk: [UInt8] = [0x58, 0x2B, 0x2E, 0x2F, 0x3A, 0x00, 0x80, 0x41]
            record.bytes[at] = junk.randomElement(using: &rng)!
            if record.bytes[at] == 0x2E, case .decimal = target.kind { continue }
            let statistics = decodeAll(record.bytes + Self.witness)
            guard Self.expectRefused(statistics, .nonDigit, witnesses: 1,
                                     "seed \(seed): \(record.kind) '\(target.item)' byte \(at) = \(record.bytes[at])") else { return }
            checked += 1
        }
        #expect(checked > 400)
    }

    @Test func outOfRangeTimesInvalidCodesAndUnknownTRCodesAreRefused() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<300 {
            var record = Self.randomRecord(&rng)
            let fields = mappedFields(record.kind)
            let reason: KRXRecordError
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                guard let time = fields.first(where: { if case .time = $0.kind { true } else { false } }) else { continue }
                let hour = [UInt8(ascii: "2"), UInt8(ascii: "4")]  // 24 o'clock
                record.bytes.replaceSubrange(time.field.offset..<time.field.offset + 2, with: hour)
                for i in (time.field.offset + 2)..<time.field.end where record.bytes[i] == 0x20 { record.bytes[i] = 0x30 }
                reason = .invalidTime
            case 1:
                guard let code = fields.first(where: { if case .code = $0.kind { true } else { false } }) else { continue }
                record.bytes[code.field.offset] = 0x5A
                reason = .invalidCode
            default:
                record.bytes[0] = [0x5A, 0x20, 0x00, 0x39].randomElement(using: &rng)!
                reason = .unknownTRCode
            }
            let statistics = decodeAll(record.bytes + Self.witness)
            guard Self.expectRefused(statistics, reason, witnesses: 1, "seed \(seed): \(record.kind) \(reason)") else { return }
        }
    }

    @Test func aDecimalTooWideForSixtyFourBitsIsRefused() {
        var rng = SplitMix64(seed: 11)
        var record = buildSpecRecord(.trade, trCode: "A301Q", using: &rng)
        let field = TradeRecord.Layout.accumulatedValue
        record.bytes.replaceSubrange(field.offset..<field.end, with: Array("9999999999999999999999".utf8))
        #expect(Self.expectRefused(decodeAll(record.bytes + Self.witness), .numberOutOfRange, witnesses: 1, "22 nines"))
        record.bytes.replaceSubrange(field.offset..<field.end, with: Array("000009223372036854.775".utf8))
        #expect(decodeAll(record.bytes).refusedTotal == 0, "Int64.max thousandths fits")
    }

    /// The record `scripts/fuzz krx` crashed on (CI, main): a VI record whose dynamic disparity
    /// `2890000000120` is written with the point implied and uses the digit the point's byte frees.
    /// It was accepted, and writing it back trapped in the encoder; now it is refused.
    static let fuzzCrashRecord = Array(("R801Q00000008G1KR7593780000000002090000048163090200048120000007550000000"
        + "0755000037000000001144000000012890000000120").utf8) + [0xFF]

    @Test func aDecimalWiderThanItsPointedLayoutIsRefused() throws {
        #expect(Self.expectRefused(decodeAll(Self.fuzzCrashRecord + Self.witness), .numberOutOfRange, witnesses: 1,
                                   "the fuzz crash's VI record"))
        // One digit narrower, the same record is accepted and survives an encode and a second decode.
        var record = Self.fuzzCrashRecord
        let field = VolatilityInterruptionRecord.Layout.dynamicDisparity
        record[field.offset] = 0x30
        var decoded: KRXVolatilityInterruption?
        #expect(decodeAll(record) { if case .volatilityInterruption(let v) = $0 { decoded = v.contents } }.refusedTotal == 0)
        let vi = try #require(decoded)
        #expect(vi.dynamicDisparity == KRXDecimal(scaled: 890_000_000_120, decimals: 6))
        var again = [UInt8](repeating: 0, count: VolatilityInterruptionRecord.Layout.length)
        let length = again.withUnsafeMutableBytes { VolatilityInterruptionRecord.encode(vi, into: $0.baseAddress!) }
        var redecoded: KRXVolatilityInterruption?
        _ = decodeAll(Array(again[0..<length])) { if case .volatilityInterruption(let v) = $0 { redecoded = v.contents } }
        #expect(redecoded == vi)
        // The same holds after a sign.
        record[field.offset] = 0x2D
        record[field.offset + 1] = 0x31
        #expect(Self.expectRefused(decodeAll(record + Self.witness), .numberOutOfRange, witnesses: 1, "-189000000012"))
    }

    @Test func aPayloadOfManyRecordsDecodesInOrder() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<50 {
            let records = (0..<Int.random(in: 1...12, using: &rng)).map { _ in Self.randomRecord(&rng) }
            var kinds: [KRXRecordKind] = []
            let statistics = decodeAll(records.flatMap(\.bytes)) { record in
                switch record {
                case .polling: kinds.append(.polling)
                case .quote: kinds.append(.quote)
                case .trade: kinds.append(.trade)
                case .marketOperation: kinds.append(.marketOperation)
                case .basePrice: kinds.append(.basePrice)
                case .issueClosing: kinds.append(.issueClosing)
                case .volatilityInterruption: kinds.append(.volatilityInterruption)
                case .instrumentMaster: kinds.append(.instrumentMaster)
                case .endOfBatch: break
                }
            }
            #expect(kinds == records.map(\.kind), "seed \(seed)")
            #expect(statistics.refusedTotal == 0, "seed \(seed)")
        }
    }
}

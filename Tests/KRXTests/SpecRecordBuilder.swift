import KRX
import Market

/// A record laid out from the committed spec table (offsets and widths from the CSV, never from
/// quotecast's layouts), with the value each decoded field must have.
struct SpecRecord {
    let kind: KRXRecordKind
    var bytes: [UInt8]
    /// Item name → expected decoded value, for every mapped field.
    var expected: [String: FieldValue]
}

/// Korean names for the generated master records (CP949, at most 40 bytes).
let sampleKoreanNames = ["삼성전자", "SK하이닉스", "현대자동차", "카카오", "셀트리온", "한국전력공사", "네이버", "에코프로비엠",
                         "똠방각하", "LG에너지솔루션"]

/// Items whose code may be blank (their decoded value is optional).
let blankableCodes: Set<String> = ["Price change against previous day", "Closing Price_Type Code",
                                   "Yesterday's Closing Price_Type Code"]

/// Builds `kind`'s record with TR code `trCode`: every mapped field random but well-formed (about
/// one numeric field in seven blank, one signed number in four negative, decimals written with and
/// without their point), the TR code's parts and the end keyword in place, the rest blank.
func buildSpecRecord(_ kind: KRXRecordKind, trCode: String, using rng: inout SplitMix64) -> SpecRecord {
    let rows = SpecTable.fields(of: kind)
    let length = rows.map { $0.start + $0.length }.max()!
    var bytes = [UInt8](repeating: 0x20, count: length)
    var expected: [String: FieldValue] = [:]
    let mapped = Dictionary(uniqueKeysWithValues: mappedFields(kind).map { ($0.item, $0) })
    let tr = Array(trCode.utf8)
    func put(_ row: SpecField, _ text: [UInt8]) {
        precondition(text.count <= row.length, "\(row.item): \(text.count) bytes in \(row.length)")
        for (i, b) in text.enumerated() { bytes[row.start + i] = b }
    }
    func digits(_ value: UInt64, width: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0x30, count: width)
        var v = value
        for i in stride(from: width - 1, through: 0, by: -1) { out[i] = UInt8(v % 10) + 0x30; v /= 10 }
        return out
    }
    func below(powerOf10 n: Int) -> UInt64 {
        var limit: UInt64 = 1
        for _ in 0..<min(n, 18) { limit *= 10 }
        return UInt64.random(in: 0..<limit, using: &rng)
    }
    let blank = { (rng: inout SplitMix64) in Int.random(in: 0..<7, using: &rng) == 0 }
    for row in rows {
        switch row.item {
        case "Data Category": put(row, Array(tr[0..<2])); continue
        case "Information Category": put(row, Array(tr[2..<5])); continue
        case "End Keyword": put(row, [0xFF]); continue
        case "Filler11": put(row, digits(0, width: row.length)); continue
        default: break
        }
        guard let field = mapped[row.item] else { continue }
        var value: FieldValue
        switch field.kind {
        case .digits:
            let v = below(powerOf10: row.length)
            put(row, digits(v, width: row.length))
            value = .number(Int64(v))
        case .optionalDigits:
            if blank(&rng) { value = .number(nil); break }
            let v = below(powerOf10: row.length)
            put(row, digits(v, width: row.length))
            value = .number(Int64(v))
        case .number:
            if blank(&rng) { value = .number(nil); break }
            let negative = Int.random(in: 0..<4, using: &rng) == 0
            let v = below(powerOf10: row.length - 1)
            put(row, negative ? [0x2D] + digits(v, width: row.length - 1) : digits(v, width: row.length))
            value = .number(negative ? -Int64(v) : Int64(v))
        case .decimal:
            if blank(&rng) { value = .decimal(nil); break }
            let negative = Int.random(in: 0..<4, using: &rng) == 0
            let v = below(powerOf10: row.length - 2)
            var divisor: UInt64 = 1
            for _ in 0..<row.decimals { divisor *= 10 }
            if Bool.random(using: &rng) {
                let integerWidth = row.length - row.decimals - 1 - (negative ? 1 : 0)
                put(row, (negative ? [0x2D] : []) + digits(v / divisor, width: integerWidth) + [0x2E]
                        + digits(v % divisor, width: row.decimals))
            } else {
                put(row, negative ? [0x2D] + digits(v, width: row.length - 1) : digits(v, width: row.length))
            }
            value = .decimal(KRXDecimal(scaled: negative ? -Int64(v) : Int64(v), decimals: row.decimals))
        case .time(let required):
            if !required, blank(&rng) { value = .time(nil); break }
            let h = UInt64.random(in: 0..<24, using: &rng), m = UInt64.random(in: 0..<60, using: &rng)
            let s = row.length >= 6 ? UInt64.random(in: 0..<60, using: &rng) : 0
            let fractionWidth = max(0, row.length - 6)
            let fraction = below(powerOf10: fractionWidth)
            var text = digits(h, width: 2) + digits(m, width: 2)
            if row.length >= 6 { text += digits(s, width: 2) + digits(fraction, width: fractionWidth) }
            put(row, text)
            var micros = fraction
            for _ in fractionWidth..<6 { micros *= 10 }
            value = .time(Int64((h * 3600 + m * 60 + s) * 1_000_000 + micros))
        case .twoCharacters:
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
            let text = [alphabet.randomElement(using: &rng)!, alphabet.randomElement(using: &rng)!]
            put(row, text)
            value = .text(String(decoding: text, as: UTF8.self))
        case .isin:
            let code = String(format6(Int.random(in: 0..<1_000_000, using: &rng)))
            let isin = ISIN.completing("KR7" + code + "00")!
            put(row, Array(isin.description.utf8))
            value = .isin(isin)
        case .code(let allowed):
            if blankableCodes.contains(row.item), blank(&rng) { value = .code(0); break }
            let code = allowed.randomElement(using: &rng)!
            put(row, [code])
            value = .code(code)
        case .text:
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-&".utf8)
            let count = Int.random(in: 0...row.length, using: &rng)
            let text = (0..<count).map { _ in alphabet.randomElement(using: &rng)! }
            put(row, text)
            value = .text(String(decoding: text, as: UTF8.self))
        case .koreanText:
            let name = sampleKoreanNames.randomElement(using: &rng)!
            put(row, KoreanText.encode(name)!)
            value = .text(name)
        case .flag:
            let flag = [UInt8(ascii: "Y"), UInt8(ascii: "N"), 0x20].randomElement(using: &rng)!
            put(row, [flag])
            value = .flag(flag == 0x59 ? true : flag == 0x4E ? false : nil)
        }
        expected[row.item] = value
    }
    return SpecRecord(kind: kind, bytes: bytes, expected: expected)
}

/// `n` as six digits.
func format6(_ n: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, 6 - s.count)) + s
}

/// Decodes `bytes` as one payload, returning the records and the reader's counts.
func decodeAll(_ bytes: [UInt8], _ body: (KRXRecord) -> Void = { _ in }) -> KRXDecodeStatistics {
    bytes.withUnsafeBytes { raw in
        var reader = KRXRecordReader(payload: raw)
        while let record = reader.next() { body(record) }
        return reader.statistics
    }
}

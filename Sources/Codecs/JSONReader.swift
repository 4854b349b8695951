/// A small, strict, bounded JSON reader (RFC 8259) for input that must be read exactly one way,
/// such as a token's header and claims. It refuses what lenient readers let through: a byte-order
/// mark, comments, trailing commas, single quotes, leading zeros, `NaN`/`Infinity`, numbers outside
/// a double's range, control characters and invalid escapes in strings, lone UTF-16 surrogates,
/// invalid UTF-8, duplicate keys in an object, and anything after the value. It is total: every
/// input ends in a value or a `JSONParseError`, within `Limits` (nesting is bounded, so is the
/// recursion).
public enum JSONReader {
    /// How much one document may hold.
    public struct Limits: Sendable {
        /// The most bytes read (more: `.tooLarge` before anything is parsed).
        public var maxBytes: Int
        /// The deepest nesting of arrays and objects (deeper: `.tooDeep`).
        public var maxDepth: Int

        /// Limits of `maxBytes` bytes and `maxDepth` levels.
        public init(maxBytes: Int = 1 << 20, maxDepth: Int = 32) {
            self.maxBytes = maxBytes
            self.maxDepth = maxDepth
        }
    }

    /// The value `bytes` hold.
    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: Limits = Limits()) -> Result<JSONValue, JSONParseError> {
        guard bytes.count <= limits.maxBytes else { return .failure(JSONParseError(offset: 0, problem: .tooLarge)) }
        var cursor = JSONCursor(bytes: bytes, maxDepth: limits.maxDepth)
        do throws(JSONParseError) {
            cursor.skipWhitespace()
            let value = try cursor.readValue(depth: 0)
            cursor.skipWhitespace()
            guard cursor.atEnd else { throw cursor.error(.trailingData) }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    /// The value `bytes` hold.
    public static func parse<Bytes: Collection>(_ bytes: Bytes, limits: Limits = Limits()) -> Result<JSONValue, JSONParseError>
    where Bytes.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ parse(UnsafeRawBufferPointer($0), limits: limits) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { parse($0, limits: limits) }
    }
}

/// Why a document was refused, and where (byte offset).
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The byte offset where reading stopped.
    public let offset: Int
    /// What was wrong there.
    public let problem: JSONProblem

    /// `PROBLEM at byte N`.
    public var description: String { "\(problem) at byte \(offset)" }
}

/// What can be wrong with a JSON document.
public enum JSONProblem: String, Sendable {
    case tooLarge = "document too large"
    case tooDeep = "nesting too deep"
    case unexpectedEnd = "unexpected end"
    case unexpectedByte = "unexpected byte"
    case badNumber = "malformed number"
    case numberOutOfRange = "number out of range"
    case badEscape = "invalid escape"
    case controlCharacter = "control character in string"
    case loneSurrogate = "lone UTF-16 surrogate"
    case invalidUTF8 = "invalid UTF-8"
    case duplicateKey = "duplicate key"
    case trailingData = "data after the value"
}

/// The reader's position in the document. Every read checks the end first; recursion is bounded by
/// `maxDepth`.
private struct JSONCursor {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var offset = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    var atEnd: Bool { offset >= bytes.count }

    func error(_ problem: JSONProblem) -> JSONParseError { JSONParseError(offset: offset, problem: problem) }

    func peek() throws(JSONParseError) -> UInt8 {
        guard offset < bytes.count else { throw error(.unexpectedEnd) }
        return bytes[offset]
    }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8) throws(JSONParseError) {
        guard try peek() == byte else { throw error(.unexpectedByte) }
        offset += 1
    }

    mutating func readValue(depth: Int) throws(JSONParseError) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return try readObject(depth: depth + 1)
        case UInt8(ascii: "["): return try readArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try readLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try readLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try readLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try readNumber())
        default: throw error(.unexpectedByte)
        }
    }

    mutating func readLiteral(_ word: StaticString) throws(JSONParseError) {
        let n = word.utf8CodeUnitCount
        guard offset + n <= bytes.count else { throw error(.unexpectedEnd) }
        for i in 0..<n where bytes[offset + i] != word.utf8Start[i] {
            offset += i
            throw error(.unexpectedByte)
        }
        offset += n
    }

    mutating func readObject(depth: Int) throws(JSONParseError) -> JSONValue {
        var members: [JSONMember] = []
        var keys: Set<String> = []
        try readElements(closing: UInt8(ascii: "}"), depth: depth) { cursor throws(JSONParseError) in
            guard try cursor.peek() == UInt8(ascii: "\"") else { throw cursor.error(.unexpectedByte) }
            let keyOffset = cursor.offset
            let key = try cursor.readString()
            guard keys.insert(key).inserted else { throw JSONParseError(offset: keyOffset, problem: .duplicateKey) }
            cursor.skipWhitespace()
            try cursor.expect(UInt8(ascii: ":"))
            cursor.skipWhitespace()
            members.append(JSONMember(key, try cursor.readValue(depth: depth)))
        }
        return .object(members)
    }

    mutating func readArray(depth: Int) throws(JSONParseError) -> JSONValue {
        var items: [JSONValue] = []
        try readElements(closing: UInt8(ascii: "]"), depth: depth) { cursor throws(JSONParseError) in
            items.append(try cursor.readValue(depth: depth))
        }
        return .array(items)
    }

    /// Reads `[` or `{` (at the cursor), then elements separated by commas up to `closing`; `element`
    /// reads one (a value, or a key, colon and value) from where the whitespace before it ends.
    mutating func readElements(closing: UInt8, depth: Int,
                               _ element: (inout JSONCursor) throws(JSONParseError) -> Void) throws(JSONParseError) {
        guard depth <= maxDepth else { throw error(.tooDeep) }
        offset += 1
        skipWhitespace()
        if try peek() == closing {
            offset += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): offset += 1
            case closing: offset += 1; return
            default: throw error(.unexpectedByte)
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func readNumber() throws(JSONParseError) -> JSONNumber {
        let start = offset
        var isInteger = true
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard offset < bytes.count, isDigit(bytes[offset]) else { throw error(.badNumber) }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
            if offset < bytes.count, isDigit(bytes[offset]) { throw error(.badNumber) }
        } else {
            skipDigits()
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            guard offset < bytes.count, isDigit(bytes[offset]) else { throw error(.badNumber) }
            skipDigits()
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            isInteger = false
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard offset < bytes.count, isDigit(bytes[offset]) else { throw error(.badNumber) }
            skipDigits()
        }
        let literal = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let number = JSONNumber(literal: literal, isInteger: isInteger) else {
            throw JSONParseError(offset: start, problem: .numberOutOfRange)
        }
        return number
    }

    @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    mutating func skipDigits() {
        while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
    }

    /// A string starting at the opening quote; raw bytes must be valid UTF-8 and escapes must decode
    /// to scalars (surrogates only in pairs).
    mutating func readString() throws(JSONParseError) -> String {
        let start = offset
        offset += 1
        var decoded: [UInt8] = []
        var runStart = offset
        while true {
            guard offset < bytes.count else { throw error(.unexpectedEnd) }
            let b = bytes[offset]
            if b == UInt8(ascii: "\"") {
                decoded += UnsafeRawBufferPointer(rebasing: bytes[runStart..<offset])
                offset += 1
                break
            }
            if b < 0x20 { throw error(.controlCharacter) }
            if b == UInt8(ascii: "\\") {
                decoded += UnsafeRawBufferPointer(rebasing: bytes[runStart..<offset])
                try readEscape(into: &decoded)
                runStart = offset
                continue
            }
            offset += 1
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw JSONParseError(offset: start, problem: .invalidUTF8)
        }
        return text
    }

    mutating func readEscape(into out: inout [UInt8]) throws(JSONParseError) {
        offset += 1
        let c = try peek()
        offset += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var unit = try readHex4()
            if (0xDC00...0xDFFF).contains(unit) { throw error(.loneSurrogate) }
            if (0xD800...0xDBFF).contains(unit) {
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw error(.loneSurrogate)
                }
                offset += 2
                let low = try readHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw error(.loneSurrogate) }
                unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            }
            // Always a scalar here: surrogates were paired or refused above.
            out += Array(String(Character(Unicode.Scalar(unit)!)).utf8)
        default:
            offset -= 1
            throw error(.badEscape)
        }
    }

    mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw error(.unexpectedEnd) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[offset]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error(.badEscape)
            }
            v = v << 4 | digit
            offset += 1
        }
        return v
    }
}

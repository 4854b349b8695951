/// A JSON value (RFC 8259) as `JSONReader` reads it: objects keep their members in order (and have
/// no duplicate keys: the reader refuses them), numbers keep their literal text.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The value of member `key` when this is an object that has it; nil otherwise.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Compact JSON text (no whitespace; numbers as their literal; strings escaped by `JSONString`).
    public var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n.text
        case .string(let s): out += JSONString.quoted(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                out += JSONString.quoted(member.key)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }
}

/// One `"key": value` member of a JSON object.
public struct JSONMember: Equatable, Sendable {
    /// The member's name.
    public let key: String
    /// Its value.
    public let value: JSONValue

    /// A member.
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON number: its literal text (RFC 8259 §6 grammar, checked by the reader) and its value.
/// Two numbers are equal when their literals are (`1` and `1.0` are different literals).
public struct JSONNumber: Equatable, Sendable {
    /// The literal as written.
    public let text: String
    /// The value as a double (always finite: the reader refuses literals beyond its range).
    public let value: Double
    /// The exact value when the literal is an integer (no fraction, no exponent) that fits in 64 bits.
    public let integer: Int64?

    /// The number `n`.
    public init(_ n: Int64) {
        text = String(n)
        value = Double(n)
        integer = n
    }

    /// The number `value` (written as Swift prints a double); nil when it is not finite.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        text = "\(value)"
        self.value = value
        integer = nil
    }

    /// A number from a literal already checked against the grammar; nil when it is out of range.
    init?(literal: String, isInteger: Bool) {
        guard let v = Double(literal), v.isFinite else { return nil }
        text = literal
        value = v
        integer = isInteger ? Int64(literal) : nil
    }

    public static func == (a: JSONNumber, b: JSONNumber) -> Bool { a.text == b.text }
}

/// One element of a `Sec-WebSocket-Extensions` list (RFC 6455 §9.1): an extension token and its
/// parameters, in order, with quoted values unquoted.
public struct ExtensionElement: Equatable, Sendable {
    /// One `name[=value]` parameter.
    public struct Parameter: Equatable, Sendable {
        /// The parameter's token, lowercased.
        public var name: String
        /// Its value (a token, or a quoted string without quotes and escapes); nil when it has none.
        public var value: String?

        /// A parameter.
        public init(_ name: String, _ value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    /// The extension token, lowercased (`permessage-deflate`).
    public var name: String
    /// Its parameters in the order sent.
    public var parameters: [Parameter]

    /// An element.
    public init(name: String, parameters: [Parameter] = []) {
        self.name = name
        self.parameters = parameters
    }
}

/// The `Sec-WebSocket-Extensions` grammar (RFC 6455 §9.1, with RFC 7230's optional whitespace):
///
///     extension-list = 1#extension
///     extension      = token *( ";" param )
///     param          = token [ "=" ( token / quoted-string ) ]
///
/// Every header line is one list; lines are taken in order. An element that does not follow the
/// grammar comes back as nil (so that offer alone is declined); the elements around it are kept.
public enum ExtensionHeader {
    /// The elements of every value in `values`, in order (empty list elements are skipped).
    public static func parse(_ values: [String]) -> [ExtensionElement?] {
        var out: [ExtensionElement?] = []
        for value in values {
            var scanner = Scanner(Array(value.utf8))
            while !scanner.atEnd {
                scanner.skipWhitespace()
                if scanner.atEnd { break }
                if scanner.peek == UInt8(ascii: ",") {
                    scanner.advance()
                    continue
                }
                let element = scanner.element()
                if element == nil { scanner.skipPastComma() }
                out.append(element)
            }
        }
        return out
    }

    /// The token characters besides letters and digits (RFC 7230 §3.2.6 tchar).
    private static let tokenSymbols = Array("!#$%&'*+-.^_`|~".utf8)

    /// Whether `byte` may appear in a token.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            tokenSymbols.contains(byte)
        }
    }

    /// A cursor over one header value.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8 { bytes[index] }
        mutating func advance() { index += 1 }

        mutating func skipWhitespace() {
            while !atEnd && (peek == UInt8(ascii: " ") || peek == UInt8(ascii: "\t")) { advance() }
        }

        mutating func token() -> String? {
            let start = index
            while !atEnd && ExtensionHeader.isTokenByte(peek) { advance() }
            guard index > start else { return nil }
            return String(decoding: bytes[start..<index], as: UTF8.self).lowercased()
        }

        /// A quoted string's content, with `\x` escapes undone; nil when it is not terminated or
        /// holds a control character.
        mutating func quotedString() -> String? {
            advance()  // the opening quote
            var content: [UInt8] = []
            while !atEnd {
                let b = peek
                advance()
                switch b {
                case UInt8(ascii: "\""):
                    return String(decoding: content, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard !atEnd else { return nil }
                    content.append(peek)
                    advance()
                case 0..<0x20 where b != UInt8(ascii: "\t"), 0x7F:
                    return nil
                default:
                    content.append(b)
                }
            }
            return nil
        }

        /// One element, up to (not including) the comma that ends it; nil when malformed.
        mutating func element() -> ExtensionElement? {
            guard let name = token() else { return nil }
            var element = ExtensionElement(name: name)
            while true {
                skipWhitespace()
                if atEnd || peek == UInt8(ascii: ",") { return element }
                guard peek == UInt8(ascii: ";") else { return nil }
                advance()
                skipWhitespace()
                guard !atEnd, let parameterName = token() else { return nil }
                skipWhitespace()
                var value: String?
                if !atEnd && peek == UInt8(ascii: "=") {
                    advance()
                    skipWhitespace()
                    guard !atEnd else { return nil }
                    if peek == UInt8(ascii: "\"") {
                        guard let quoted = quotedString() else { return nil }
                        value = quoted
                    } else {
                        guard let plain = token() else { return nil }
                        value = plain
                    }
                }
                element.parameters.append(.init(parameterName, value))
            }
        }

        /// Moves past the next comma outside a quoted string (after a malformed element).
        mutating func skipPastComma() {
            var quoted = false
            while !atEnd {
                let b = peek
                advance()
                if quoted {
                    if b == UInt8(ascii: "\\") { if !atEnd { advance() } } else if b == UInt8(ascii: "\"") { quoted = false }
                } else if b == UInt8(ascii: "\"") {
                    quoted = true
                } else if b == UInt8(ascii: ",") {
                    return
                }
            }
        }
    }
}

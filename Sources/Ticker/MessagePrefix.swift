/// Reads the type and symbol from the start of a gateway message without decoding it, for
/// messages written the way quotecast's gateway writes them: `{"type":"…","symbol":"…",…`.
/// Anything else gives nil (and is simply decoded in full).
enum MessagePrefix {
    /// The `type` and `symbol` of `text`, if it starts in the gateway's shape.
    static func scan(_ text: String) -> (type: Substring, symbol: Substring)? {
        let head = "{\"type\":\""
        guard text.hasPrefix(head) else { return nil }
        var rest = text.dropFirst(head.count)
        guard let typeEnd = rest.firstIndex(of: "\"") else { return nil }
        let type = rest[..<typeEnd]
        rest = rest[rest.index(after: typeEnd)...]
        let middle = ",\"symbol\":\""
        guard rest.hasPrefix(middle) else { return nil }
        rest = rest.dropFirst(middle.count)
        guard let symbolEnd = rest.prefix(16).firstIndex(of: "\"") else { return nil }
        let symbol = rest[..<symbolEnd]
        guard !symbol.contains("\\") else { return nil }
        return (type, symbol)
    }
}

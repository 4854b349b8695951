import Codecs

/// `text` as the body of a JSON string (RFC 8259 §7). The escaping itself is `Codecs.JSONString`
/// (shared with the token minter); this name stays for the modules that call it from `Market`.
public func jsonEscaped(_ text: String) -> String { JSONString.escaped(text) }

/// JSON string escaping (RFC 8259 §7): the one place text becomes a JSON string body, for the few
/// strings written off the hot path (control messages, symbol lists, tokens' claims, benchmark
/// lines); ticks are encoded by `Market.TickJSON` into preallocated buffers.
public enum JSONString {
    /// `text` as the body of a JSON string: quotes, backslashes and control characters escaped,
    /// everything else as it is.
    public static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// `text` as a whole JSON string, quotes included.
    public static func quoted(_ text: String) -> String { "\"" + escaped(text) + "\"" }
}

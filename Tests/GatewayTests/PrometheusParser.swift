/// A small parser of the Prometheus text exposition format, strict enough to catch a malformed
/// `/metrics` page: every sample line must be `name{label="value",...} number`, names must match
/// the metric name grammar, every name must have a `# TYPE` line before its samples (a histogram's
/// `_bucket`, `_sum` and `_count` series that of their family), and a name may not be declared twice.
struct PrometheusParser {
    struct ParseError: Error, CustomStringConvertible {
        let line: String
        let why: String
        var description: String { "\(why): \(line)" }
    }

    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    private(set) var types: [String: String] = [:]
    private(set) var samples: [Sample] = []

    static func parse(_ text: String) throws -> PrometheusParser {
        var p = PrometheusParser()
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.isEmpty { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, isName(String(parts[0])),
                      ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[1])) else {
                    throw ParseError(line: line, why: "bad TYPE line")
                }
                guard p.types[String(parts[0])] == nil else { throw ParseError(line: line, why: "TYPE declared twice") }
                p.types[String(parts[0])] = String(parts[1])
                continue
            }
            if line.hasPrefix("#") { continue }
            p.samples.append(try sample(line, types: p.types))
        }
        return p
    }

    /// The family a histogram series belongs to (`x` of `x_bucket`, `x_sum`, `x_count`).
    static func histogramFamily(of name: String) -> String? {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return nil
    }

    static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || first == ":" || first.properties.isAlphabetic && first.isASCII else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0 == ":" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    private static func sample(_ line: String, types: [String: String]) throws -> Sample {
        let chars = Array(line.unicodeScalars)
        var i = 0
        var name = ""
        while i < chars.count, chars[i] != "{", chars[i] != " " { name.unicodeScalars.append(chars[i]); i += 1 }
        guard isName(name) else { throw ParseError(line: line, why: "bad metric name") }
        guard types[name] != nil || histogramFamily(of: name).map({ types[$0] == "histogram" }) == true else {
            throw ParseError(line: line, why: "sample before its TYPE line")
        }
        var labels: [String: String] = [:]
        if i < chars.count, chars[i] == "{" {
            i += 1
            while i < chars.count, chars[i] != "}" {
                var key = ""
                while i < chars.count, chars[i] != "=" { key.unicodeScalars.append(chars[i]); i += 1 }
                guard isName(key), i + 1 < chars.count, chars[i + 1] == "\"" else { throw ParseError(line: line, why: "bad label") }
                i += 2
                var value = ""
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\" {
                        i += 1
                        guard i < chars.count else { throw ParseError(line: line, why: "bad escape") }
                        switch chars[i] {
                        case "n": value += "\n"
                        case "\\": value += "\\"
                        case "\"": value += "\""
                        default: throw ParseError(line: line, why: "bad escape")
                        }
                    } else {
                        value.unicodeScalars.append(chars[i])
                    }
                    i += 1
                }
                guard i < chars.count else { throw ParseError(line: line, why: "unterminated label value") }
                i += 1
                labels[key] = value
                if i < chars.count, chars[i] == "," { i += 1 }
            }
            guard i < chars.count else { throw ParseError(line: line, why: "unterminated labels") }
            i += 1
        }
        guard i < chars.count, chars[i] == " " else { throw ParseError(line: line, why: "missing value") }
        let rest = String(String.UnicodeScalarView(chars[(i + 1)...]))
        let valueText = rest.split(separator: " ").first.map(String.init) ?? ""
        let value: Double
        switch valueText {
        case "NaN": value = .nan
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        default:
            guard let v = Double(valueText) else { throw ParseError(line: line, why: "bad value") }
            value = v
        }
        return Sample(name: name, labels: labels, value: value)
    }

    /// The value of the sample `name` with exactly `labels`, if present.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// The sum of every sample of `name`.
    func sum(_ name: String) -> Double { samples.filter { $0.name == name }.reduce(0) { $0 + $1.value } }
}

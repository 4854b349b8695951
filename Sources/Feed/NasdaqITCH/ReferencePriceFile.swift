import Foundation
import Market

/// The reference prices (previous closes) of Nasdaq instruments, from a CSV file of `symbol,price`
/// lines (`AAPL,189.25`): what day statistics compute change and change % against. ITCH carries no
/// previous close, so without a file an instrument's reference is its opening cross price.
///
/// Blank lines and lines starting with `#` are skipped, as is a first line `symbol,price`; anything
/// else that is not a symbol and a positive decimal price of at most 4 decimals is an error naming the
/// line, and so is a symbol given twice.
public enum ReferencePriceFile {
    /// Why a file was refused.
    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Reads and parses `path`.
    public static func load(path: String) throws(Error) -> [Symbol: UInt32] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Error(description: "cannot read \(path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw Error(description: "\(path) is not UTF-8 text") }
        return try parse(text)
    }

    /// Parses the file's text.
    public static func parse(_ text: String) throws(Error) -> [Symbol: UInt32] {
        var prices: [Symbol: UInt32] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if index == 0 && line.lowercased().replacingOccurrences(of: " ", with: "") == "symbol,price" { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            let where_ = "line \(index + 1)"
            guard fields.count == 2 else { throw Error(description: "\(where_): expected 'symbol,price', got '\(line.prefix(60))'") }
            guard let symbol = Symbol(fields[0]) else { throw Error(description: "\(where_): '\(fields[0].prefix(20))' is not a symbol") }
            guard let price = Price.parse(fields[1]), price > 0, price <= UInt64(UInt32.max) else {
                throw Error(description: "\(where_): '\(fields[1].prefix(20))' is not a price (a positive decimal, at most 4 decimals, below 429 497)")
            }
            guard prices[symbol] == nil else { throw Error(description: "\(where_): \(symbol) is given twice") }
            prices[symbol] = UInt32(price)
        }
        return prices
    }
}

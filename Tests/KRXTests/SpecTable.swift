import Foundation
import KRX

/// One row of the committed field table `Fixtures/krx/spec-fields.csv` (written by
/// `scripts/krx-spec-table` from KOSCOM's spreadsheet).
struct SpecField: Equatable {
    let interfaceID: String
    let trCodes: [String]
    let number: Int
    let item: String
    let dataType: String
    let length: Int
    let start: Int
    let decimals: Int
}

/// The committed field table.
enum SpecTable {
    /// The repository root (where Package.swift is).
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Every row, in file order.
    static let fields: [SpecField] = {
        let url = root.appendingPathComponent("Fixtures/krx/spec-fields.csv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            fatalError("cannot read \(url.path): the committed spec table is part of the repository")
        }
        var rows = parseCSV(text)
        let header = rows.removeFirst()
        precondition(header == ["interface_id", "tr_codes", "field_no", "item_name", "data_type", "length", "start",
                                "decimals"], "unexpected spec table header \(header)")
        return rows.map {
            SpecField(interfaceID: $0[0], trCodes: $0[1].split(separator: " ").map(String.init), number: Int($0[2])!,
                      item: $0[3], dataType: $0[4], length: Int($0[5])!, start: Int($0[6])!, decimals: Int($0[7])!)
        }
    }()

    /// The rows of `kind`'s interface.
    static func fields(of kind: KRXRecordKind) -> [SpecField] { fields.filter { $0.interfaceID == kind.interfaceID } }

    /// RFC 4180 CSV: fields separated by commas, quoted with `"` when they hold commas or quotes.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\n" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

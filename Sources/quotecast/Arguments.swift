import Foundation

/// A command-line usage error: printed as one line naming the flag, exit status 2.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// The arguments of one subcommand: flags with values, boolean switches and positionals, parsed once
/// and validated with errors that name the flag.
struct Arguments {
    private var values: [String: String] = [:]
    private var switches: Set<String> = []
    private(set) var positionals: [String] = []
    private var consumed: Set<String> = []

    /// Parses `args` given which flags take a value and which are switches.
    init(_ args: [String], valueFlags: Set<String>, switchFlags: Set<String>) throws(UsageError) {
        var i = 0
        while i < args.count {
            let arg = args[i]
            if arg == "--" {
                positionals += args[(i + 1)...]
                break
            }
            if arg.hasPrefix("--") {
                var name = String(arg.dropFirst(2))
                var inline: String?
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                if switchFlags.contains(name) {
                    guard inline == nil else { throw UsageError("--\(name) takes no value") }
                    switches.insert(name)
                } else if valueFlags.contains(name) {
                    if let inline {
                        values[name] = inline
                    } else {
                        guard i + 1 < args.count else { throw UsageError("--\(name) needs a value") }
                        i += 1
                        values[name] = args[i]
                    }
                } else {
                    throw UsageError("unknown flag --\(name)")
                }
            } else if arg.hasPrefix("-"), arg.count > 1, arg != "-" {
                throw UsageError("unknown flag \(arg)")
            } else {
                positionals.append(arg)
            }
            i += 1
        }
    }

    /// Whether switch `name` was given.
    func flag(_ name: String) -> Bool { switches.contains(name) }

    /// The raw value of `name`, if given.
    func string(_ name: String) -> String? { values[name] }

    /// An integer flag within `range`, or `defaultValue` when absent.
    func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let text = values[name] else { return defaultValue }
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        guard let v = Int(cleaned), range.contains(v) else {
            throw UsageError("--\(name): expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return v
    }

    /// A rate in bits per second (`800k`, `20M`, `1.5G`: decimal suffixes k, M, G) within `range`,
    /// or nil when absent.
    func bitsPerSecond(_ name: String, in range: ClosedRange<UInt64>) throws(UsageError) -> UInt64? {
        guard let text = values[name] else { return nil }
        var digits = Substring(text.replacingOccurrences(of: "_", with: ""))
        var scale = 1.0
        switch digits.last {
        case "k": scale = 1e3
        case "M": scale = 1e6
        case "G": scale = 1e9
        default: break
        }
        if scale != 1 { digits = digits.dropLast() }
        guard let number = Double(digits), number.isFinite, number >= 0, (number * scale).rounded() <= Double(range.upperBound),
              case let v = UInt64((number * scale).rounded()), range.contains(v) else {
            throw UsageError("--\(name): expected bits per second (suffix k, M or G) in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return v
    }

    /// A flag whose value must be one of `choices`.
    func choice(_ name: String, _ choices: [String], default defaultValue: String) throws(UsageError) -> String {
        guard let text = values[name] else { return defaultValue }
        guard choices.contains(text) else {
            throw UsageError("--\(name): expected one of \(choices.joined(separator: "|")), got '\(text)'")
        }
        return text
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

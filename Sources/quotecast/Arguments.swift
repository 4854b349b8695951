import Foundation
import Sockets

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

    /// A `HOST:PORT` flag (`--listen`, `--metrics`, `--service`) as an IPv4 socket address, or
    /// `defaultValue` when absent; nil when absent without a default. Errors name the flag, the
    /// address family and the port range: `1–65535`, and 0 (any free port) when `anyPort` allows it.
    func address(_ name: String, default defaultValue: String? = nil, anyPort: Bool = true) throws(UsageError) -> SocketAddress? {
        guard let text = values[name] ?? defaultValue else { return nil }
        let ports = anyPort ? "a port 1–65535 (0 = any free port)" : "a port 1–65535"
        guard !text.hasPrefix("["), text.filter({ $0 == ":" }).count <= 1 else {
            throw UsageError("--\(name): only IPv4 is supported: expected IPV4ADDRESS:PORT like 127.0.0.1:8080, got '\(text)'")
        }
        guard let colon = text.lastIndex(of: ":") else {
            throw UsageError("--\(name): expected HOST:PORT, an IPv4 address and \(ports), got '\(text)'")
        }
        let host = text[..<colon], portText = text[text.index(after: colon)...]
        guard let port = Int(portText), (anyPort ? 0 : 1)...65_535 ~= port else {
            throw UsageError("--\(name): port '\(portText)' is out of range: expected \(ports), got '\(text)'")
        }
        guard let address = SocketAddress(parsing: text) else {
            throw UsageError("--\(name): '\(host)' is not an IPv4 address (names other than localhost are not resolved; "
                             + "0.0.0.0 listens on every interface), got '\(text)'")
        }
        return address
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

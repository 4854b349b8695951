import Foundation

/// Log severities, `--log-level` picks the lowest printed.
enum LogLevel: Int, Comparable, Sendable {
    case debug, info, warn, error
    static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
    init?(name: String) {
        switch name {
        case "debug": self = .debug
        case "info": self = .info
        case "warn": self = .warn
        case "error": self = .error
        default: return nil
        }
    }
    var name: String { ["debug", "info", "warn", "error"][rawValue] }
}

/// One line per event on stderr, `key=value` style (values with spaces are quoted).
struct Log: Sendable {
    let minimum: LogLevel
    /// `key=value` fields put on every line after the event (e.g. `channel=3`), or empty.
    var context = ""

    init(minimum: LogLevel, context: String = "") {
        self.minimum = minimum
        self.context = context
    }

    /// The same log with `key=value` added to every line.
    func with(_ key: String, _ value: Any) -> Log { Log(minimum: minimum, context: context + " \(key)=\(value)") }

    /// Prints `event` with `fields`, then `more` (fields worked out at run time), at `level`.
    func callAsFunction(_ level: LogLevel, _ event: String, _ fields: KeyValuePairs<String, Any> = [:], _ more: [(String, Any)] = []) {
        guard level >= minimum else { return }
        var line = "level=\(level.name) event=\(event)" + context
        for (key, value) in Array(fields) + more {
            let text = "\(value)"
            line += " \(key)=" + (text.contains(" ") || text.isEmpty ? "\"\(text)\"" : text)
        }
        printError(line)
    }
}

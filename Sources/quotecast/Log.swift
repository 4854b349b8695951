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

    func callAsFunction(_ level: LogLevel, _ event: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        guard level >= minimum else { return }
        var line = "level=\(level.name) event=\(event)"
        for (key, value) in fields {
            let text = "\(value)"
            line += " \(key)=" + (text.contains(" ") || text.isEmpty ? "\"\(text)\"" : text)
        }
        printError(line)
    }
}

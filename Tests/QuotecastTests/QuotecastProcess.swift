import Foundation
import Testing

/// Runs the real `quotecast` binary (built next to the test bundle) and captures what it prints.
struct QuotecastProcess {
    let status: Int32
    let stdout: String
    let stderr: String

    /// The built `quotecast` executable: next to the test bundle in SwiftPM's build folder.
    static var binary: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("quotecast")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("quotecast")
    }

    /// The repository root (where Package.swift is).
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func fixture(_ name: String) -> URL { root.appendingPathComponent("Fixtures").appendingPathComponent(name) }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quotecast-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs `quotecast args` (with `stdin` as its standard input, else /dev/null), killing it after
    /// `timeout` seconds (a test failure by itself).
    @discardableResult
    static func run(_ args: [String], timeout: Double = 60, stdin: String? = nil,
                    whileRunning: ((Process) -> Void)? = nil) throws -> QuotecastProcess {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout")
        let err = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        if let stdin {
            let input = dir.appendingPathComponent("stdin")
            _ = FileManager.default.createFile(atPath: input.path, contents: Data(stdin.utf8))
            process.standardInput = try FileHandle(forReadingFrom: input)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        whileRunning?(process)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.interrupt()
            usleep(500_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            Issue.record("quotecast \(args.joined(separator: " ")) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        return QuotecastProcess(status: process.terminationStatus,
                                stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                                stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Waits until `path` contains `text` (or `timeout` passes); returns whether it did.
    static func waitFor(_ text: String, in read: () -> String, timeout: Double) -> Bool {
        eventually(timeout: timeout) { read().contains(text) }
    }

    /// Whether `condition` holds within `timeout` seconds (polled every 50 ms). Tests wait on the
    /// thing itself with a generous deadline, never for a fixed time.
    static func eventually(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() >= deadline { return false }
            usleep(50_000)
        }
        return true
    }
}

/// A condition that did not come true within its deadline.
struct ConditionTimedOut: Error, CustomStringConvertible {
    let what: String
    let seconds: Double
    var description: String { "not within \(seconds) s: \(what)" }
}

/// Waits until `condition` holds, up to `timeout` seconds; throws `ConditionTimedOut` naming `what`.
func waitUntil(_ what: String, timeout: Double = 60, _ condition: () -> Bool) throws {
    guard QuotecastProcess.eventually(timeout: timeout, condition) else { throw ConditionTimedOut(what: what, seconds: timeout) }
}

import Foundation

// quotecast: one binary, several roles (contract section 1). This file only dispatches; each role
// lives in its own file.

/// A subcommand: its name, one line of summary, its usage text and what runs it.
struct Command: Sendable {
    let name: String
    let summary: String
    let usage: String
    let run: @Sendable ([String]) throws -> Int32
}

let commands: [Command] = [
    serveCommand,
    bookCommand,
    simulateCommand,
    feedCommand,
    gatewayCommand,
    replayCommand,
    tickerCommand,
    loadCommand,
    tokenCommand,
]

let topUsage = """
    usage: quotecast <command> [options]

    A real-time stock quote daemon: Nasdaq TotalView-ITCH 5.0 in, order books, ticks out.

    commands:
    \(commands.map { "  " + $0.name.padding(toLength: 10, withPad: " ", startingAt: 0) + $0.summary }.joined(separator: "\n"))

      version   the version, git commit, Swift compiler and build configuration (also --version)

    `quotecast <command> --help` explains each one. Docs: docs/ in the source tree.

    \(ExitStatus.help)
    """

func main() -> Int32 {
    var args = Array(CommandLine.arguments.dropFirst())
    guard let name = args.first else {
        FileHandle.standardError.write(Data(topUsage.utf8))
        return ExitStatus.usage
    }
    if name == "--help" || name == "-h" || name == "help" {
        print(topUsage, terminator: "")
        return ExitStatus.success
    }
    if name == "--version" || name == "version" {
        guard args.count == 1 else {
            printError("quotecast \(name): unexpected argument '\(args[1])'")
            return ExitStatus.usage
        }
        print(BuildInfo.text, terminator: "")
        return ExitStatus.success
    }
    guard let command = commands.first(where: { $0.name == name }) else {
        printError("quotecast: unknown command '\(name)' (try --help)")
        return ExitStatus.usage
    }
    args.removeFirst()
    if args.contains("--help") || args.contains("-h") {
        print(command.usage + "\n" + ExitStatus.help, terminator: "")
        return ExitStatus.success
    }
    do {
        return try command.run(args)
    } catch let error as UsageError {
        printError("quotecast \(name): \(error.message)")
        return ExitStatus.usage
    } catch let error as RuntimeFailure {
        printError("quotecast \(name): \(error.message)")
        return ExitStatus.failure
    } catch {
        printError("quotecast \(name): \(error)")
        return ExitStatus.failure
    }
}

exit(main())

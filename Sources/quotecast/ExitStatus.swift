/// How every quotecast command ends, for scripts and service managers (README, docs/operations.md
/// and every `--help` say the same).
enum ExitStatus {
    /// Done: the command did what it was asked (a daemon stopped by SIGINT/SIGTERM included).
    static let success: Int32 = 0
    /// A runtime failure: a file that cannot be read or is not what was expected, an address in use,
    /// a network error, a check that failed. One line on stderr says what and why.
    static let failure: Int32 = 1
    /// Bad usage: an unknown command or flag, a missing or malformed value. One line on stderr names
    /// the flag.
    static let usage: Int32 = 2

    /// The paragraph every `--help` ends with.
    static let help = """
        Exit status: 0 done; 1 runtime failure (a file that cannot be read or is not what was expected,
        an address in use, a network error, a failed check), with one line on stderr saying what and why;
        2 bad usage (an unknown flag, a missing or malformed value), with one line naming the flag.

        """
}

/// A failure while running, not in how the command was called (exit status 1): the operating
/// system refused what a well-formed flag asked for (an address in use, a group that cannot be
/// joined, a file that cannot be written), or an input turned out not to be what was expected.
/// Printed as one line, `quotecast COMMAND: MESSAGE`; the message names the flag it concerns.
struct RuntimeFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

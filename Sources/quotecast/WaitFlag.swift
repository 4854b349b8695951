import System

/// `--wait blocking|adaptive|spinning`, shared by `serve`, `feed` and `gateway`: how every thread that
/// waits on the ring or on sockets waits (`WaitStrategy`); non-critical readers (the status line)
/// always block.
enum WaitFlag {
    /// The flag's name.
    static let name = "wait"

    /// Its `--help` lines.
    static let usage = """
          --wait STRATEGY        how threads with nothing to do wait for the ring or their sockets:
                                 adaptive (default: spin a few microseconds, learnt from recent waits,
                                 then yield, then sleep), blocking (sleep at once: least CPU, a wakeup
                                 per wait) or spinning (never sleep: lowest latency, a whole core per
                                 waiting thread, for dedicated cores only); docs/operations.md
        """

    /// The strategy the command line asks for (default `.adaptive`).
    static func strategy(_ args: Arguments) throws(UsageError) -> WaitStrategy {
        let text = try args.choice(name, WaitStrategy.allCases.map(\.rawValue), default: WaitStrategy.adaptive.rawValue)
        return WaitStrategy(rawValue: text)!
    }
}

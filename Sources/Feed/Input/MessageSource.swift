import ITCH
import Market

/// A source of messages that frames and orders them itself, so an adapter applies them one by one
/// (`ExchangeAdapter.apply`): a day-file, the in-process simulator (which the command line hands in:
/// `Feed` does not depend on `Simulator`). The feed thread paces it.
public protocol MessageSource: ~Copyable {
    /// The next message, readable until the next call, or nil when the source has run out.
    mutating func next() -> FramedMessage?
}

/// A day-file's messages in file order.
extension DayFileReader.Iterator: MessageSource {}

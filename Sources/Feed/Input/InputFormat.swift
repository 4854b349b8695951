import ITCH

/// What an input file (`quotecast book FILE`, `serve --feed file://`, `replay FILE`) holds, told from
/// its content, never from its name.
public enum InputFormat: Equatable, Sendable {
    /// An ITCH 5.0 day-file: 2-byte big-endian lengths, each followed by a message of that length.
    case dayFile
    /// A packet capture of this format (MoldUDP64 over UDP inside).
    case pcap(PcapFormat)

    /// What the recognisers accept, in words, for the refusal of anything else.
    public static let expected = "an ITCH 5.0 day-file (a 2-byte big-endian length, then a message of a known type "
        + "and that length), a pcap or a pcapng"

    /// The format of `bytes`, or nil when no recogniser accepts them. The recognisers are tried in
    /// order, each on the first bytes only; what comes later is the reader's to judge.
    public static func recognise(_ bytes: UnsafeRawBufferPointer) -> InputFormat? {
        // A capture: its magic number (classic pcap in either byte order and timestamp unit, pcapng).
        // KRX captures (KOSCOM records over UDP, docs/krx.md) are pcaps too: when the command line
        // takes them, their recogniser goes here, ahead of this one, telling the two apart by the
        // first UDP payload (MoldUDP64's session and count, or a KOSCOM TR code), with its own case.
        if let format = try? PcapReader.format(of: bytes) { return .pcap(format) }
        // A day-file has no magic number: its first frame must be an ITCH message of a known type at
        // exactly that type's length (the chance that other bytes do so is about 1 in 100 000).
        if DayFileReader.looksLikeDayFile(bytes) { return .dayFile }
        return nil
    }
}

/// Why an input file cannot be read, or read to its end: the operating system's reason, content that
/// no recogniser accepts, or a day-file that turns to garbage. The description is the one line the
/// command prints (exit status 1).
public enum InputFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Opening or reading the file failed.
    case unreadable(path: String, FileIOError)
    /// The file's first bytes are none of `InputFormat.expected`; `firstBytes` holds at most 16.
    case unrecognised(path: String, size: Int, firstBytes: [UInt8])
    /// A day-file that turns to garbage part-way: the frame at byte `offset`, the `index`-th
    /// (counting from 1), is no ITCH 5.0 message. The `index - 1` messages before it were applied.
    case garbage(path: String, offset: Int, index: Int, reason: DayFileGarbage)

    /// How many leading bytes a refusal shows.
    public static let shownBytes = 16

    public var description: String {
        switch self {
        case let .unreadable(path, error):
            return "cannot read \(path): \(error.reason)"
        case let .unrecognised(path, size, first):
            guard size > 0 else { return "\(path) is empty: expected \(InputFormat.expected)" }
            return "\(path) is not \(InputFormat.expected): it starts with \(InputFileError.dump(first))"
                + (size > first.count ? " (\(size) bytes in all)" : "")
        case let .garbage(path, offset, index, reason):
            return "\(path) turns to garbage at byte \(offset) (message \(index)): \(reason); "
                + "stopped there, after the \(index - 1) messages before it"
        }
    }

    /// `23 20 71 75 "# qu"`: the bytes in hex, then as text with `.` for what does not print.
    public static func dump(_ bytes: [UInt8]) -> String {
        let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
        let text = String(bytes.map { (0x20...0x7E).contains($0) ? Character(UnicodeScalar($0)) : "." })
        return "\(hex) \"\(text)\""
    }
}

extension DayFileEnd {
    /// The refusal of a day-file that ended in garbage (nil for any other end).
    public func garbage(in path: String) -> InputFileError? {
        guard case let .garbage(offset, index, reason) = self else { return nil }
        return .garbage(path: path, offset: offset, index: index, reason: reason)
    }
}

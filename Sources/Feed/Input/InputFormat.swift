import ITCH
import KRX
import PacketCapture

/// What an input file (`quotecast book FILE`, `serve --feed file://`, `replay FILE`) holds, told from
/// its content, never from its name, so the command picks the exchange adapter that reads it. The one
/// place that knows every input format quotecast reads; a new exchange's captures are recognised here.
public enum InputFormat: Equatable, Sendable {
    /// An ITCH 5.0 day-file: 2-byte big-endian lengths, each followed by a message of that length.
    case dayFile
    /// A packet capture of this format whose UDP payloads are MoldUDP64 packets of ITCH messages.
    case pcap(PcapFormat)
    /// A packet capture of this format whose UDP payloads are KOSCOM records (the Korea Exchange's
    /// feed, docs/krx.md).
    case krxCapture(PcapFormat)

    /// What the recognisers accept, in words, for the refusal of anything else.
    public static let expected = "an ITCH 5.0 day-file (a 2-byte big-endian length, then a message of a known type "
        + "and that length), a pcap or a pcapng (of MoldUDP64 packets or KOSCOM records)"

    /// The format of `bytes`, or nil when no recogniser accepts them. The recognisers are tried in
    /// order, each on the first bytes only; what comes later is the reader's to judge.
    public static func recognise(_ bytes: UnsafeRawBufferPointer) -> InputFormat? {
        // A capture: its magic number (classic pcap in either byte order and timestamp unit, pcapng),
        // then its first UDP payload tells the exchange: KOSCOM's when it begins with a record (a TR
        // code quotecast decodes and the end keyword where that code's length puts it), MoldUDP64
        // otherwise (also when the capture holds no UDP datagram).
        if let format = try? PcapReader.format(of: bytes) {
            return isKRXCapture(bytes) ? .krxCapture(format) : .pcap(format)
        }
        // A day-file has no magic number: its first frame must be an ITCH message of a known type at
        // exactly that type's length (the chance that other bytes do so is about 1 in 100 000).
        if DayFileReader.looksLikeDayFile(bytes) { return .dayFile }
        return nil
    }

    /// Whether the capture in `bytes` begins with a UDP payload of KOSCOM records.
    static func isKRXCapture(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let reader = try? PcapReader(bytes: bytes) else { return false }
        var datagrams = reader.makeIterator()
        guard let first = datagrams.next() else { return false }
        return KRXRecordReader.beginsWithRecord(first.payload)
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

import ITCH
import KRX
import PacketCapture

/// What an input file (`quotecast book FILE`, `serve --feed file://`) holds, told from its content,
/// never from its name, so the command picks the exchange adapter that reads it. The one place that
/// knows every input format quotecast reads; a new exchange's captures are recognised here.
public enum InputFormat: Equatable, Sendable {
    /// An ITCH 5.0 day-file: 2-byte big-endian lengths, each followed by a message of that length.
    case dayFile
    /// A packet capture of this format whose UDP payloads are MoldUDP64 packets of ITCH messages.
    case pcap(PcapFormat)
    /// A packet capture of this format whose UDP payloads are KOSCOM records (the Korea Exchange's
    /// feed, docs/krx.md).
    case krxCapture(PcapFormat)

    /// The format of `bytes`. A packet capture (its magic number) is told apart by its first UDP
    /// payload: KOSCOM's when it begins with a record (a TR code quotecast decodes and the end keyword
    /// where that code's length puts it, `KRXRecordReader.beginsWithRecord`), MoldUDP64 otherwise
    /// (also when the capture holds no UDP datagram). Anything that is not a capture is read as a
    /// day-file.
    public static func recognise(_ bytes: UnsafeRawBufferPointer) -> InputFormat {
        guard let format = try? PcapReader.format(of: bytes) else { return .dayFile }
        return isKRXCapture(bytes) ? .krxCapture(format) : .pcap(format)
    }

    /// Whether the capture in `bytes` begins with a UDP payload of KOSCOM records.
    static func isKRXCapture(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let reader = try? PcapReader(bytes: bytes) else { return false }
        var datagrams = reader.makeIterator()
        guard let first = datagrams.next() else { return false }
        return KRXRecordReader.beginsWithRecord(first.payload)
    }

    /// The format of a mapped file.
    public static func recognise(_ file: MappedFile) -> InputFormat { recognise(file.bytes) }
}

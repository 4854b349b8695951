import ITCH
import Market
import MoldUDP64
import PacketCapture

/// One ITCH message read from a capture, with when and in which MoldUDP64 packet it arrived.
@frozen
public struct CapturedMessage: BitwiseCopyable {
    /// The message bytes, in place in the capture.
    public let message: FramedMessage
    /// When the packet carrying it was captured, nanoseconds since the Unix epoch; 0 for a day-file,
    /// which records no receive time.
    public let receiveTimestamp: UInt64
    /// The MoldUDP64 session (`.blank` for a day-file).
    public let session: MoldUDP64Session
    /// The MoldUDP64 sequence number; for a day-file, the message's position counting from 1
    /// (the number the simulator gives it when it sends the same messages).
    public let sequenceNumber: UInt64

    /// A message with these fields.
    @inlinable
    public init(message: FramedMessage, receiveTimestamp: UInt64, session: MoldUDP64Session, sequenceNumber: UInt64) {
        self.message = message
        self.receiveTimestamp = receiveTimestamp
        self.session = session
        self.sequenceNumber = sequenceNumber
    }
}

/// One MoldUDP64 packet read from a pcap, with the datagram that carried it.
@frozen
public struct CapturedPacket {
    /// The packet, in place in the capture.
    public let packet: MoldUDP64Packet
    /// The UDP datagram (addresses, capture timestamp).
    public let datagram: UDPDatagram

    /// A packet and its datagram.
    @inlinable public init(packet: MoldUDP64Packet, datagram: UDPDatagram) {
        self.packet = packet
        self.datagram = datagram
    }
}

/// What reading a capture met on the way.
public struct CaptureStatistics: Equatable, Sendable {
    /// Messages delivered.
    public var messages = 0
    /// MoldUDP64 packets read (pcap), heartbeats and ends of session included.
    public var packets = 0
    /// Heartbeat packets.
    public var heartbeats = 0
    /// End-of-session packets.
    public var endsOfSession = 0
    /// Packets whose blocks run past the datagram (whole blocks before the cut are delivered).
    public var truncatedPackets = 0
    /// Packets with fewer blocks than their count announced, or bytes after the last block.
    public var countMismatches = 0
    /// UDP datagrams too short to be MoldUDP64 (under 20 bytes).
    public var shortDatagrams = 0
    /// The pcap reader's own counts (zero for a day-file).
    public var pcap = PcapStatistics()
    /// For a day-file: whether the final message was cut, and where.
    public var dayFileEnd: DayFileEnd?
    /// For a pcap: how the capture ended.
    public var pcapEnd: PcapEnd?

    /// All zero.
    public init() {}
}

/// An input file of ITCH messages, whatever its container: a day-file, or a pcap / pcapng of
/// MoldUDP64 datagrams. Recognised by its content (`InputFormat`); anything else is refused. The
/// whole file is mapped, never copied.
///
/// Packets are delivered in capture order as they are: duplicate (session, sequence) packets from a
/// second line, gaps and heartbeats are for the caller's sequencer to judge (`forEachPacket`).
public struct CaptureFile: Sendable {
    /// The container a capture file turned out to be: how `forEachMessage` and `forEachPacket` walk it.
    public enum Kind: Equatable, Sendable {
        /// 2-byte-length-prefixed ITCH messages.
        case dayFile
        /// A packet capture of this format.
        case pcap(PcapFormat)
    }

    /// The mapped file.
    public let file: MappedFile
    /// What it holds, recognised by content: a day-file, a capture of MoldUDP64 (ITCH), or a capture
    /// of KOSCOM records (the KRX adapter's to read; its container is a pcap all the same).
    public let format: InputFormat
    /// Its container.
    public let kind: Kind

    /// Maps `path` (`"-"` reads standard input) and recognises its format; throws when it cannot be
    /// read or is none of `InputFormat.expected`.
    public init(path: String) throws(InputFileError) {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw .unreadable(path: path, error) }
        try self.init(file)
    }

    /// Recognises the format of `file`; throws when it is none of `InputFormat.expected`.
    public init(_ file: MappedFile) throws(InputFileError) {
        guard let format = InputFormat.recognise(file.bytes) else {
            throw .unrecognised(path: file.path, size: file.bytes.count,
                                firstBytes: Array(file.bytes.prefix(InputFileError.shownBytes)))
        }
        self.file = file
        self.format = format
        switch format {
        case .dayFile: kind = .dayFile
        case .pcap(let container), .krxCapture(let container): kind = .pcap(container)
        }
    }

    /// Calls `body` with every ITCH message in file order (for a pcap: every block of every MoldUDP64
    /// packet, in capture order, duplicates included); returns what was met on the way.
    @inlinable @discardableResult
    public func forEachMessage(_ body: (CapturedMessage) throws -> Void) rethrows -> CaptureStatistics {
        var statistics = CaptureStatistics()
        switch kind {
        case .dayFile:
            var iterator = DayFileReader(file).makeIterator()
            var sequence: UInt64 = 0
            while let message = iterator.next() {
                sequence &+= 1
                try body(CapturedMessage(message: message, receiveTimestamp: 0, session: .blank, sequenceNumber: sequence))
            }
            statistics.messages = Int(sequence)
            statistics.dayFileEnd = iterator.end
        case .pcap:
            var messages = 0
            statistics = try walkPackets(validating: false) { captured, statistics in
                let timestamp = captured.datagram.timestamp
                let session = captured.packet.session
                var blocks = captured.packet.makeIterator()
                while let block = blocks.next() {
                    messages += 1
                    try body(CapturedMessage(message: block.message, receiveTimestamp: timestamp, session: session,
                                             sequenceNumber: block.sequenceNumber))
                }
                statistics.count(blocks.end ?? .complete)
            }
            statistics.messages = messages
        }
        return statistics
    }

    /// Calls `body` with every MoldUDP64 packet of a pcap in capture order, and counts the packets'
    /// framing problems (the blocks themselves are the caller's to walk). A day-file has no packets.
    @inlinable @discardableResult
    public func forEachPacket(_ body: (CapturedPacket) throws -> Void) rethrows -> CaptureStatistics {
        try walkPackets(validating: true) { captured, _ in try body(captured) }
    }

    @inlinable
    func walkPackets(validating: Bool, _ body: (CapturedPacket, inout CaptureStatistics) throws -> Void) rethrows
        -> CaptureStatistics {
        var statistics = CaptureStatistics()
        guard case .pcap = kind, let reader = try? PcapReader(file) else { return statistics }
        var datagrams = reader.makeIterator()
        while let datagram = datagrams.next() {
            guard let packet = try? MoldUDP64Packet(datagram.payload) else {
                statistics.shortDatagrams += 1
                continue
            }
            statistics.packets += 1
            switch packet.kind {
            case .heartbeat: statistics.heartbeats += 1
            case .endOfSession: statistics.endsOfSession += 1
            case .messages: break
            }
            if validating { statistics.count(packet.validate()) }
            try body(CapturedPacket(packet: packet, datagram: datagram), &statistics)
        }
        statistics.pcap = datagrams.statistics
        statistics.pcapEnd = datagrams.end
        return statistics
    }
}

extension CaptureStatistics {
    /// Counts a packet's framing problem, if any.
    @inlinable
    mutating func count(_ end: MoldUDP64BlockEnd) {
        switch end {
        case .complete: break
        case .truncated: truncatedPackets += 1
        case .countMismatch, .trailingBytes: countMismatches += 1
        }
    }
}

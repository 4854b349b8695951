// Packet captures: classic pcap (both byte orders, microsecond and nanosecond timestamps) and pcapng
// (SHB, IDB, EPB, SPB, OPB; other blocks skipped by their length), link types Ethernet (with any
// number of 802.1Q / 802.1ad tags), Linux cooked (SLL, SLL2), raw IPv4 and BSD loopback; IPv4 → UDP
// → payload. Everything is read in place from the capture's bytes; every impossible length is
// counted and skipped, never trusted.

/// An IPv4 address and UDP port.
@frozen
public struct IPv4Endpoint: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// The address, `a.b.c.d` as `a << 24 | b << 16 | c << 8 | d`.
    public var address: UInt32
    /// The port.
    public var port: UInt16

    /// The endpoint `address:port`.
    @inlinable public init(address: UInt32, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses `a.b.c.d:port`; `nil` when it is anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = UInt16(parts[1]) else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard octets.count == 4, parts[0].split(separator: ".").count == 4 else { return nil }
        self.init(address: octets.reduce(0) { $0 << 8 | UInt32($1) }, port: port)
    }

    /// Whether the address is a multicast group (224.0.0.0/4).
    @inlinable public var isMulticast: Bool { address >> 28 == 0xE }

    /// `a.b.c.d:port`.
    public var description: String {
        "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF):\(port)"
    }
}

/// One UDP datagram found in a capture, pointing into the capture's bytes.
@frozen
public struct UDPDatagram: BitwiseCopyable {
    /// When the packet was captured, in nanoseconds since the Unix epoch.
    public let timestamp: UInt64
    /// Sender address and port.
    public let source: IPv4Endpoint
    /// Receiver address (a multicast group for market data) and port.
    public let destination: IPv4Endpoint
    /// The UDP payload (only the part present in the capture when `isTruncated`).
    public let payload: UnsafeRawBufferPointer
    /// Whether the capture holds less than the whole datagram (snap length, or a first IPv4 fragment).
    public let isTruncated: Bool

    /// A datagram with these fields.
    @inlinable
    public init(timestamp: UInt64, source: IPv4Endpoint, destination: IPv4Endpoint,
                payload: UnsafeRawBufferPointer, isTruncated: Bool) {
        self.timestamp = timestamp
        self.source = source
        self.destination = destination
        self.payload = payload
        self.isTruncated = isTruncated
    }
}

/// Link-layer header types (the tcpdump.org LINKTYPE_ registry) the reader understands.
public enum PcapLinkType {
    /// BSD loopback: a 4-byte address family in the writer's byte order.
    public static let null: UInt32 = 0
    /// Ethernet II, optionally with 802.1Q / 802.1ad tags.
    public static let ethernet: UInt32 = 1
    /// Raw IP (the version nibble tells IPv4).
    public static let raw: UInt32 = 101
    /// Linux cooked capture v1 (16-byte header, `tcpdump -i any`).
    public static let linuxSLL: UInt32 = 113
    /// Raw IPv4.
    public static let ipv4: UInt32 = 228
    /// Linux cooked capture v2 (20-byte header).
    public static let linuxSLL2: UInt32 = 276
}

/// Why a byte buffer is not a capture this reader can open.
public enum PcapError: Error, Equatable, Sendable {
    /// Fewer bytes than the file header needs.
    case shortFileHeader(length: Int)
    /// The first four bytes are no pcap or pcapng magic number.
    case notACapture(magic: UInt32)
    /// The file could not be opened or read.
    case file(FileIOError)
}

/// The capture file format, from its magic number.
public enum PcapFormat: Equatable, Sendable {
    /// Classic libpcap: one link type for the file, timestamps in µs or ns.
    case classic(bigEndian: Bool, nanosecond: Bool, linkType: UInt32)
    /// pcapng: sections and interfaces, each with its byte order, link type and timestamp unit.
    case pcapng
}

/// What was seen and skipped while reading a capture; every skip is counted in exactly one field.
public struct PcapStatistics: Equatable, Sendable {
    /// Packet records (classic) or packet blocks (pcapng) read.
    public var frames = 0
    /// UDP datagrams delivered.
    public var datagrams = 0
    /// Delivered datagrams the capture holds only partly (snap length, first fragment).
    public var truncatedDatagrams = 0
    /// Frames that carry no IPv4 (ARP, IPv6, LLDP, ...).
    public var nonIPv4 = 0
    /// IPv4 packets of another protocol than UDP.
    public var nonUDP = 0
    /// IPv4 fragments other than the first (no UDP header in them).
    public var fragments = 0
    /// Frames whose link, IPv4 or UDP header lengths are impossible or cut.
    public var badHeaders = 0
    /// Records or blocks whose lengths are impossible (skipped when the framing allows, else the end).
    public var badRecords = 0
    /// Frames of a link type the reader does not decode.
    public var unsupportedLinkType = 0
    /// pcapng blocks of types the reader skips (statistics, name resolution, custom, ...).
    public var skippedBlocks = 0

    /// All zero.
    public init() {}
}

/// How a walk over a capture ended.
public enum PcapEnd: Equatable, Sendable {
    /// The last record ended exactly at the end of the file.
    case complete
    /// The record or block at `offset` runs past the end of the file (a capture cut short).
    case truncated(offset: Int)
    /// The block at `offset` has a length that cannot be framed (pcapng); nothing after it is read.
    case badBlock(offset: Int)
}

/// A pcapng interface: what its packets' link type and timestamp unit are.
@usableFromInline
struct PcapInterface {
    @usableFromInline var linkType: UInt32
    @usableFromInline var unitsPerSecond: UInt64
    @usableFromInline var offsetNanoseconds: UInt64

    @inlinable init(linkType: UInt32, unitsPerSecond: UInt64, offsetNanoseconds: UInt64) {
        self.linkType = linkType
        self.unitsPerSecond = unitsPerSecond
        self.offsetNanoseconds = offsetNanoseconds
    }
}

/// Reads the UDP datagrams of a classic pcap or pcapng capture in place.
///
/// Zero copies: each `UDPDatagram.payload` points into the capture (a `MappedFile`, mapped with
/// `mmap`), and the walk allocates nothing per packet. Use it as `for datagram in reader { ... }`,
/// or `forEach` / an explicit iterator to get the `PcapStatistics` and the `PcapEnd`.
public struct PcapReader: Sequence {
    /// The capture's bytes.
    public let bytes: UnsafeRawBufferPointer
    /// The format found in the file header.
    public let format: PcapFormat
    @usableFromInline let owner: AnyObject?

    /// A reader over `file`; throws when it does not start like a capture.
    public init(_ file: MappedFile) throws(PcapError) {
        try self.init(bytes: file.bytes, owner: file)
    }

    /// Maps `path` and reads it.
    public init(path: String) throws(PcapError) {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw .file(error) }
        try self.init(file)
    }

    /// A reader over `bytes`, which the caller keeps alive and unchanged while reading.
    public init(bytes: UnsafeRawBufferPointer) throws(PcapError) {
        try self.init(bytes: bytes, owner: nil)
    }

    private init(bytes: UnsafeRawBufferPointer, owner: AnyObject?) throws(PcapError) {
        self.bytes = bytes
        self.owner = owner
        format = try Self.format(of: bytes)
    }

    /// The format of a capture from its first bytes.
    public static func format(of bytes: UnsafeRawBufferPointer) throws(PcapError) -> PcapFormat {
        guard let base = bytes.baseAddress, bytes.count >= 4 else { throw .shortFileHeader(length: bytes.count) }
        let magic = UInt32(littleEndian: base.loadUnaligned(as: UInt32.self))
        let classic: (bigEndian: Bool, nanosecond: Bool)
        switch magic {
        case PcapFileHeader.pcapng: return .pcapng
        case PcapFileHeader.microsecond: classic = (false, false)
        case PcapFileHeader.microsecond.byteSwapped: classic = (true, false)
        case PcapFileHeader.nanosecond: classic = (false, true)
        case PcapFileHeader.nanosecond.byteSwapped: classic = (true, true)
        default: throw .notACapture(magic: magic)
        }
        guard bytes.count >= PcapFileHeader.length else { throw .shortFileHeader(length: bytes.count) }
        let raw = base.loadUnaligned(fromByteOffset: PcapFileHeader.linkType, as: UInt32.self)
        let network = classic.bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
        // Bits 16–27 of the field carry FCS information; the link type is the low 16 bits.
        return .classic(bigEndian: classic.bigEndian, nanosecond: classic.nanosecond, linkType: network & 0xFFFF)
    }

    /// Whether `bytes` start with a pcap or pcapng magic number.
    public static func isCapture(_ bytes: UnsafeRawBufferPointer) -> Bool {
        (try? format(of: bytes)) != nil
    }

    /// Walks the capture's packets and yields their UDP datagrams. After `next()` returns `nil`,
    /// `end` says how the file ended; `statistics` holds what was skipped along the way.
    public struct Iterator: IteratorProtocol {
        @usableFromInline let base: UnsafeRawPointer
        @usableFromInline let count: Int
        @usableFromInline var offset: Int
        @usableFromInline var bigEndian: Bool
        @usableFromInline let isPcapng: Bool
        @usableFromInline let classicNanosecond: Bool
        @usableFromInline let classicLinkType: UInt32
        @usableFromInline var interfaces: [PcapInterface]
        @usableFromInline var stop: PcapEnd?
        @usableFromInline let owner: AnyObject?
        @usableFromInline var counts = PcapStatistics()
        /// What has been seen and skipped so far.
        public var statistics: PcapStatistics { counts }

        @usableFromInline
        init(_ reader: PcapReader) {
            // A reader only exists for a buffer of at least 4 bytes, so `baseAddress` is non-nil.
            base = reader.bytes.baseAddress!
            count = reader.bytes.count
            owner = reader.owner
            interfaces = []
            switch reader.format {
            case let .classic(bigEndian, nanosecond, linkType):
                offset = PcapFileHeader.length
                self.bigEndian = bigEndian
                isPcapng = false
                classicNanosecond = nanosecond
                classicLinkType = linkType
            case .pcapng:
                offset = 0
                bigEndian = false
                isPcapng = true
                classicNanosecond = false
                classicLinkType = 0
            }
        }

        /// How the walk ended; `nil` until `next()` has returned `nil`.
        public var end: PcapEnd? { stop }

        /// Bytes of the capture consumed so far.
        @inlinable public var bytesRead: Int { offset }

        /// The next UDP datagram, or `nil` at the end of the capture.
        @inlinable
        public mutating func next() -> UDPDatagram? {
            while let frame = isPcapng ? nextBlockFrame() : nextClassicFrame() {
                counts.frames += 1
                if let datagram = datagram(in: frame) { return datagram }
            }
            return nil
        }

        // MARK: byte order

        @inlinable @inline(__always)
        func u16(_ at: Int) -> UInt16 {
            let v = base.loadUnaligned(fromByteOffset: at, as: UInt16.self)
            return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
        }

        @inlinable @inline(__always)
        func u32(_ at: Int) -> UInt32 {
            let v = base.loadUnaligned(fromByteOffset: at, as: UInt32.self)
            return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
        }

        // MARK: classic records

        @inlinable
        mutating func nextClassicFrame() -> CapturedFrame? {
            let remaining = count - offset
            guard remaining >= PcapRecordHeader.length else {
                if stop == nil { stop = remaining == 0 ? .complete : .truncated(offset: offset) }
                offset = count
                return nil
            }
            let captured = Int(u32(offset + PcapRecordHeader.capturedLength))
            guard captured <= remaining - PcapRecordHeader.length else {
                stop = .truncated(offset: offset)
                counts.badRecords += 1
                offset = count
                return nil
            }
            let seconds = UInt64(u32(offset + PcapRecordHeader.seconds))
            let fraction = UInt64(u32(offset + PcapRecordHeader.fraction))
            let timestamp = seconds &* 1_000_000_000 &+ (classicNanosecond ? fraction : fraction &* 1000)
            let data = base + offset + PcapRecordHeader.length
            offset += PcapRecordHeader.length + captured
            return CapturedFrame(linkType: classicLinkType, timestamp: timestamp, data: data, length: captured)
        }

        // MARK: pcapng blocks

        @inlinable
        mutating func nextBlockFrame() -> CapturedFrame? {
            while true {
                let remaining = count - offset
                guard remaining >= PcapngBlock.minimumLength else {
                    if stop == nil { stop = remaining == 0 ? .complete : .truncated(offset: offset) }
                    offset = count
                    return nil
                }
                let start = offset
                var type = u32(start)
                if type == PcapngBlock.sectionHeader {
                    // The byte-order magic decides how this section (this block included) is read.
                    let magic = base.loadUnaligned(fromByteOffset: start + 8, as: UInt32.self)
                    if magic == PcapngBlock.byteOrderMagic.littleEndian {
                        bigEndian = false
                    } else if magic == PcapngBlock.byteOrderMagic.bigEndian {
                        bigEndian = true
                    } else {
                        return fail(.badBlock(offset: start))
                    }
                    type = PcapngBlock.sectionHeader
                }
                let total = Int(u32(start + 4))
                guard total >= PcapngBlock.minimumLength, total & 3 == 0 else { return fail(.badBlock(offset: start)) }
                guard total <= remaining else { return fail(.truncated(offset: start)) }
                offset = start + total
                let body = start + 8
                let bodyLength = total - PcapngBlock.minimumLength
                switch type {
                case PcapngBlock.sectionHeader:
                    interfaces.removeAll(keepingCapacity: true)
                case PcapngBlock.interfaceDescription:
                    addInterface(body: body, length: bodyLength)
                case PcapngBlock.enhancedPacket:
                    if let frame = packetFrame(body: body, length: bodyLength, interface: Int(u32(body)),
                                               timestampAt: body + 4, headerLength: 20) { return frame }
                case PcapngBlock.obsoletePacket:
                    if let frame = packetFrame(body: body, length: bodyLength, interface: Int(u16(body)),
                                               timestampAt: body + 4, headerLength: 20) { return frame }
                case PcapngBlock.simplePacket:
                    guard bodyLength >= 4, let interface = interfaces.first else {
                        counts.badRecords += 1
                        continue
                    }
                    let captured = Swift.min(Int(u32(body)), bodyLength - 4)
                    return CapturedFrame(linkType: interface.linkType, timestamp: 0, data: base + body + 4,
                                         length: captured)
                default:
                    counts.skippedBlocks += 1
                }
            }
        }

        @inlinable
        mutating func fail(_ reason: PcapEnd) -> CapturedFrame? {
            stop = reason
            counts.badRecords += 1
            offset = count
            return nil
        }

        /// An EPB or OPB: interface id, 8-byte timestamp (high, low), captured and original lengths.
        @inlinable
        mutating func packetFrame(body: Int, length: Int, interface: Int, timestampAt: Int,
                                  headerLength: Int) -> CapturedFrame? {
            guard length >= headerLength else {
                counts.badRecords += 1
                return nil
            }
            let captured = Int(u32(body + 12))
            guard captured <= length - headerLength, interface < interfaces.count else {
                counts.badRecords += 1
                return nil
            }
            let units = UInt64(u32(timestampAt)) << 32 | UInt64(u32(timestampAt + 4))
            let description = interfaces[interface]
            let timestamp = pcapNanoseconds(units, unitsPerSecond: description.unitsPerSecond)
                &+ description.offsetNanoseconds
            return CapturedFrame(linkType: description.linkType, timestamp: timestamp, data: base + body + headerLength,
                                 length: captured)
        }

        /// An IDB: link type, reserved, snap length, then options (if_tsresol, if_tsoffset are used).
        @usableFromInline
        mutating func addInterface(body: Int, length: Int) {
            guard length >= 8, interfaces.count < PcapngBlock.maximumInterfaces else {
                counts.badRecords += 1
                return
            }
            var interface = PcapInterface(linkType: UInt32(u16(body)), unitsPerSecond: 1_000_000, offsetNanoseconds: 0)
            var option = body + 8
            let end = body + length
            while end - option >= 4 {
                let code = u16(option)
                let size = Int(u16(option + 2))
                let value = option + 4
                guard code != 0, size <= end - value else { break }
                if code == 9, size >= 1 {
                    let resolution = base.load(fromByteOffset: value, as: UInt8.self)
                    let exponent = UInt64(resolution & 0x7F)
                    if resolution & 0x80 != 0 {
                        if exponent <= 63 { interface.unitsPerSecond = 1 << exponent } else { counts.badRecords += 1 }
                    } else if exponent <= 19 {
                        var units: UInt64 = 1
                        for _ in 0..<exponent { units &*= 10 }
                        interface.unitsPerSecond = units
                    } else {
                        counts.badRecords += 1
                    }
                } else if code == 14, size >= 8 {
                    let seconds = UInt64(u32(value)) << 32 | UInt64(u32(value + 4))
                    interface.offsetNanoseconds = seconds &* 1_000_000_000
                }
                option = value + (size + 3) & ~3
            }
            interfaces.append(interface)
        }

        // MARK: link, IPv4, UDP

        /// The UDP datagram in a captured frame, or `nil` (counted) when there is none.
        @inlinable
        mutating func datagram(in frame: CapturedFrame) -> UDPDatagram? {
            let p = frame.data
            let length = frame.length
            var ip: Int
            switch frame.linkType {
            case PcapLinkType.ethernet:
                guard length >= 14 else { counts.badHeaders += 1; return nil }
                var etherType = be16(p, 12)
                ip = 14
                while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
                    guard length - ip >= 4 else { counts.badHeaders += 1; return nil }
                    etherType = be16(p, ip + 2)
                    ip += 4
                }
                guard etherType == 0x0800 else { counts.nonIPv4 += 1; return nil }
            case PcapLinkType.linuxSLL:
                guard length >= 16 else { counts.badHeaders += 1; return nil }
                guard be16(p, 14) == 0x0800 else { counts.nonIPv4 += 1; return nil }
                ip = 16
            case PcapLinkType.linuxSLL2:
                guard length >= 20 else { counts.badHeaders += 1; return nil }
                guard be16(p, 0) == 0x0800 else { counts.nonIPv4 += 1; return nil }
                ip = 20
            case PcapLinkType.raw, PcapLinkType.ipv4:
                ip = 0
            case PcapLinkType.null:
                guard length >= 4 else { counts.badHeaders += 1; return nil }
                let family = p.loadUnaligned(as: UInt32.self)
                guard family == 2 || family == 0x0200_0000 else { counts.nonIPv4 += 1; return nil }
                ip = 4
            default:
                counts.unsupportedLinkType += 1
                return nil
            }
            let available = length - ip
            guard available >= 1 else { counts.badHeaders += 1; return nil }
            let versionAndLength = p.load(fromByteOffset: ip, as: UInt8.self)
            guard versionAndLength >> 4 == 4 else { counts.nonIPv4 += 1; return nil }
            let headerLength = Int(versionAndLength & 0x0F) * 4
            guard headerLength >= 20, available >= headerLength else { counts.badHeaders += 1; return nil }
            let totalLength = Int(be16(p, ip + 2))
            guard totalLength >= headerLength else { counts.badHeaders += 1; return nil }
            let fragment = be16(p, ip + 6)
            guard fragment & 0x1FFF == 0 else { counts.fragments += 1; return nil }
            guard p.load(fromByteOffset: ip + 9, as: UInt8.self) == 17 else { counts.nonUDP += 1; return nil }
            // Ethernet pads short frames: the IPv4 total length, not the frame, says where the packet ends.
            let packetLength = Swift.min(totalLength, available)
            let udp = ip + headerLength
            guard packetLength - headerLength >= 8 else { counts.badHeaders += 1; return nil }
            let udpLength = Int(be16(p, udp + 4))
            guard udpLength >= 8 else { counts.badHeaders += 1; return nil }
            let present = packetLength - headerLength - 8
            let payloadLength = Swift.min(udpLength - 8, present)
            let isTruncated = udpLength - 8 > present || fragment & 0x2000 != 0
            if isTruncated { counts.truncatedDatagrams += 1 }
            counts.datagrams += 1
            return UDPDatagram(
                timestamp: frame.timestamp,
                source: IPv4Endpoint(address: be32(p, ip + 12), port: be16(p, udp)),
                destination: IPv4Endpoint(address: be32(p, ip + 16), port: be16(p, udp + 2)),
                payload: UnsafeRawBufferPointer(start: p + udp + 8, count: payloadLength),
                isTruncated: isTruncated)
        }
    }

    /// An iterator from the first packet.
    public func makeIterator() -> Iterator { Iterator(self) }

    /// Calls `body` with every UDP datagram in capture order; returns the statistics and how it ended.
    @inlinable @discardableResult
    public func forEach(_ body: (UDPDatagram) throws -> Void) rethrows -> (statistics: PcapStatistics, end: PcapEnd) {
        var iterator = makeIterator()
        while let datagram = iterator.next() { try body(datagram) }
        return (iterator.statistics, iterator.end ?? .complete)
    }
}

/// A link-layer frame as the capture holds it.
@usableFromInline
struct CapturedFrame {
    @usableFromInline let linkType: UInt32
    @usableFromInline let timestamp: UInt64
    @usableFromInline let data: UnsafeRawPointer
    @usableFromInline let length: Int

    @inlinable init(linkType: UInt32, timestamp: UInt64, data: UnsafeRawPointer, length: Int) {
        self.linkType = linkType
        self.timestamp = timestamp
        self.data = data
        self.length = length
    }
}

@inlinable @inline(__always)
func be16(_ p: UnsafeRawPointer, _ at: Int) -> UInt16 { UInt16(bigEndian: p.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }

@inlinable @inline(__always)
func be32(_ p: UnsafeRawPointer, _ at: Int) -> UInt32 { UInt32(bigEndian: p.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }

/// `units` of `1 / unitsPerSecond` seconds in nanoseconds (wrapping past year 2554).
@inlinable
func pcapNanoseconds(_ units: UInt64, unitsPerSecond: UInt64) -> UInt64 {
    if unitsPerSecond == 1_000_000 { return units &* 1000 }
    if unitsPerSecond == 1_000_000_000 { return units }
    let seconds = units / unitsPerSecond
    let fraction = units % unitsPerSecond
    // fraction < unitsPerSecond, so the quotient is below 10^9 and cannot overflow.
    let (quotient, _) = unitsPerSecond.dividingFullWidth(fraction.multipliedFullWidth(by: 1_000_000_000))
    return seconds &* 1_000_000_000 &+ quotient
}

/// Classic pcap file header layout (24 bytes).
public enum PcapFileHeader {
    /// Magic of a microsecond file, as read in the file's own byte order.
    public static let microsecond: UInt32 = 0xA1B2_C3D4
    /// Magic of a nanosecond file, as read in the file's own byte order.
    public static let nanosecond: UInt32 = 0xA1B2_3C4D
    /// The pcapng Section Header Block type (a palindrome: the same in both byte orders).
    public static let pcapng: UInt32 = 0x0A0D_0D0A
    /// Offset of the link type field.
    public static let linkType = 20
    /// Offset of the snap length field.
    public static let snapLength = 16
    /// Header length.
    public static let length = 24
}

/// Classic pcap per-packet record header layout (16 bytes).
public enum PcapRecordHeader {
    /// Seconds since the epoch.
    public static let seconds = 0
    /// Microseconds or nanoseconds within the second.
    public static let fraction = 4
    /// Bytes present in the file.
    public static let capturedLength = 8
    /// Bytes on the wire.
    public static let originalLength = 12
    /// Header length.
    public static let length = 16
}

/// pcapng block types and constants.
public enum PcapngBlock {
    /// Section Header Block.
    public static let sectionHeader: UInt32 = 0x0A0D_0D0A
    /// Interface Description Block.
    public static let interfaceDescription: UInt32 = 1
    /// Packet Block (obsolete).
    public static let obsoletePacket: UInt32 = 2
    /// Simple Packet Block.
    public static let simplePacket: UInt32 = 3
    /// Enhanced Packet Block.
    public static let enhancedPacket: UInt32 = 6
    /// The SHB byte-order magic.
    public static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    /// Type + total length + trailing total length.
    public static let minimumLength = 12
    /// Interfaces a section may declare before further IDBs are counted as bad (bounds memory).
    public static let maximumInterfaces = 4096
}

// MARK: - Writing

/// Encodes Ethernet II + optional VLAN tags + IPv4 + UDP frames around a payload.
public enum EthernetUDPFrame {
    /// Bytes of a frame carrying `payloadCount` bytes behind `vlanCount` 802.1Q tags.
    @inlinable public static func length(payloadCount: Int, vlanCount: Int = 0) -> Int {
        14 + 4 * vlanCount + 20 + 8 + payloadCount
    }

    /// Writes the frame at `out` (room for `length(payloadCount:vlanCount:)` bytes); returns its length.
    /// The destination MAC is the multicast MAC of a multicast group, else a fixed unicast one; the
    /// IPv4 header checksum is computed, the UDP checksum is 0 (allowed over IPv4).
    @discardableResult
    public static func encode(payload: UnsafeRawBufferPointer, source: IPv4Endpoint, destination: IPv4Endpoint,
                              vlanTags: [UInt16] = [], ttl: UInt8 = 1, identification: UInt16 = 0,
                              into out: UnsafeMutableRawPointer) -> Int {
        precondition(payload.count <= 65_507, "a UDP payload over IPv4 holds at most 65507 bytes")
        func put16(_ at: Int, _ v: UInt16) { out.storeBytes(of: v.bigEndian, toByteOffset: at, as: UInt16.self) }
        func put32(_ at: Int, _ v: UInt32) { out.storeBytes(of: v.bigEndian, toByteOffset: at, as: UInt32.self) }
        // Destination MAC: 01:00:5e + low 23 bits of a group, or a locally administered unicast one.
        if destination.isMulticast {
            put16(0, 0x0100)
            put32(2, 0x5E00_0000 | destination.address & 0x7F_FFFF)
        } else {
            put16(0, 0x0200)
            put32(2, destination.address)
        }
        put16(6, 0x0200)
        put32(8, source.address)
        var at = 12
        for tag in vlanTags {
            put16(at, 0x8100)
            put16(at + 2, tag & 0x0FFF)
            at += 4
        }
        put16(at, 0x0800)
        let ip = at + 2
        let totalLength = 20 + 8 + payload.count
        put16(ip, 0x4500)
        put16(ip + 2, UInt16(totalLength))
        put16(ip + 4, identification)
        put16(ip + 6, 0x4000)  // don't fragment
        out.storeBytes(of: ttl, toByteOffset: ip + 8, as: UInt8.self)
        out.storeBytes(of: 17, toByteOffset: ip + 9, as: UInt8.self)
        put16(ip + 10, 0)
        put32(ip + 12, source.address)
        put32(ip + 16, destination.address)
        var sum: UInt32 = 0
        for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(be16(UnsafeRawPointer(out), ip + i)) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        put16(ip + 10, ~UInt16(sum))
        let udp = ip + 20
        put16(udp, source.port)
        put16(udp + 2, destination.port)
        put16(udp + 4, UInt16(8 + payload.count))
        put16(udp + 6, 0)
        if let bytes = payload.baseAddress { (out + udp + 8).copyMemory(from: bytes, byteCount: payload.count) }
        return udp + 8 + payload.count
    }
}

/// Writes a classic pcap (little-endian, nanosecond or microsecond timestamps, Ethernet link type)
/// of IPv4/UDP datagrams, for fixtures and tests.
///
/// Invariant: the file header is written first and every record is complete, so a file closed
/// cleanly reads back with `PcapReader` with no bad records.
public final class PcapWriter {
    /// The buffered output underneath.
    public let output: BufferedFileOutput
    /// Whether timestamps are written in nanoseconds (magic 0xA1B23C4D) or microseconds.
    public let nanosecond: Bool
    /// Datagrams written so far.
    public private(set) var datagramCount = 0

    /// Creates (or truncates) `path` and writes the file header.
    public convenience init(path: String, nanosecond: Bool = true) throws {
        try self.init(output: BufferedFileOutput(path: path), nanosecond: nanosecond)
    }

    /// Writes the file header to `output`.
    public init(output: BufferedFileOutput, nanosecond: Bool = true) throws {
        self.output = output
        self.nanosecond = nanosecond
        try output.withReserved(PcapFileHeader.length) { out in
            out.storeBytes(of: (nanosecond ? PcapFileHeader.nanosecond : PcapFileHeader.microsecond).littleEndian,
                           as: UInt32.self)
            out.storeBytes(of: UInt16(2).littleEndian, toByteOffset: 4, as: UInt16.self)
            out.storeBytes(of: UInt16(4).littleEndian, toByteOffset: 6, as: UInt16.self)
            out.storeBytes(of: UInt64(0), toByteOffset: 8, as: UInt64.self)
            out.storeBytes(of: UInt32(262_144).littleEndian, toByteOffset: PcapFileHeader.snapLength, as: UInt32.self)
            out.storeBytes(of: PcapLinkType.ethernet.littleEndian, toByteOffset: PcapFileHeader.linkType, as: UInt32.self)
        }
    }

    /// Appends one datagram captured at `timestamp` (nanoseconds since the epoch).
    public func write(payload: UnsafeRawBufferPointer, timestamp: UInt64, source: IPv4Endpoint,
                      destination: IPv4Endpoint, vlanTags: [UInt16] = []) throws {
        let frameLength = EthernetUDPFrame.length(payloadCount: payload.count, vlanCount: vlanTags.count)
        let seconds = timestamp / 1_000_000_000
        let fraction = nanosecond ? timestamp % 1_000_000_000 : timestamp % 1_000_000_000 / 1000
        try output.withReserved(PcapRecordHeader.length + frameLength) { out in
            out.storeBytes(of: UInt32(truncatingIfNeeded: seconds).littleEndian, as: UInt32.self)
            out.storeBytes(of: UInt32(fraction).littleEndian, toByteOffset: PcapRecordHeader.fraction, as: UInt32.self)
            out.storeBytes(of: UInt32(frameLength).littleEndian, toByteOffset: PcapRecordHeader.capturedLength,
                           as: UInt32.self)
            out.storeBytes(of: UInt32(frameLength).littleEndian, toByteOffset: PcapRecordHeader.originalLength,
                           as: UInt32.self)
            EthernetUDPFrame.encode(payload: payload, source: source, destination: destination, vlanTags: vlanTags,
                                    identification: UInt16(truncatingIfNeeded: datagramCount),
                                    into: out + PcapRecordHeader.length)
        }
        datagramCount += 1
    }

    /// Appends one datagram held in an array.
    public func write(payload: [UInt8], timestamp: UInt64, source: IPv4Endpoint, destination: IPv4Endpoint,
                      vlanTags: [UInt16] = []) throws {
        try payload.withUnsafeBytes {
            try write(payload: $0, timestamp: timestamp, source: source, destination: destination, vlanTags: vlanTags)
        }
    }

    /// Writes out what is buffered.
    public func flush() throws(FileIOError) { try output.flush() }

    /// Flushes and closes the file.
    public func close() throws(FileIOError) { try output.close() }
}

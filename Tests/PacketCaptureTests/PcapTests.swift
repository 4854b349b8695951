import Foundation
import Market
import MoldUDP64
import Testing
@testable import PacketCapture

/// A path in a fresh temporary directory, removed by the caller.
func temporaryPath(_ name: String) -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotecast-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent(name).path
}

/// Messages of assorted lengths and bytes to carry in packets (a capture knows nothing of them).
func sampleMessages(count: Int, seed: UInt64) -> [[UInt8]] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in (0..<Int.random(in: 12...50, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
}

/// Bytes in either byte order, for hand-made captures.
struct ByteWriter {
    var bytes: [UInt8] = []
    var bigEndian = false
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes += bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
    mutating func u32(_ v: UInt32) {
        let be = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> UInt32($0)) }
        bytes += bigEndian ? be : be.reversed()
    }
    mutating func raw(_ b: [UInt8]) { bytes += b }
    mutating func pad4() { while bytes.count % 4 != 0 { bytes.append(0) } }
}

/// An Ethernet/IPv4/UDP frame around `payload`.
func udpFrame(_ payload: [UInt8], source: IPv4Endpoint = IPv4Endpoint("10.0.0.1:5000")!,
              destination: IPv4Endpoint = IPv4Endpoint("239.192.0.1:26400")!, vlanTags: [UInt16] = []) -> [UInt8] {
    var frame = [UInt8](repeating: 0, count: EthernetUDPFrame.length(payloadCount: payload.count, vlanCount: vlanTags.count))
    frame.withUnsafeMutableBytes { out in
        payload.withUnsafeBytes {
            _ = EthernetUDPFrame.encode(payload: $0, source: source, destination: destination, vlanTags: vlanTags,
                                        into: out.baseAddress!)
        }
    }
    return frame
}

/// A classic pcap in memory, written field by field in the chosen byte order.
func classicPcap(bigEndian: Bool, nanosecond: Bool, linkType: UInt32 = 1,
                 records: [(seconds: UInt32, fraction: UInt32, frame: [UInt8])]) -> [UInt8] {
    var w = ByteWriter(bigEndian: bigEndian)
    w.u32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4)
    w.u16(2); w.u16(4); w.u32(0); w.u32(0); w.u32(65535); w.u32(linkType)
    for r in records {
        w.u32(r.seconds); w.u32(r.fraction); w.u32(UInt32(r.frame.count)); w.u32(UInt32(r.frame.count))
        w.raw(r.frame)
    }
    return w.bytes
}

/// One MoldUDP64 packet of the given messages.
func moldPacket(session: MoldUDP64Session, sequence: UInt64, messages: [[UInt8]]) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 9000)
    return buffer.withUnsafeMutableBytes { raw in
        var builder = MoldUDP64PacketBuilder(buffer: raw, session: session, firstSequenceNumber: sequence,
                                             maxPayloadSize: 9000)
        for m in messages { _ = m.withUnsafeBytes { builder.append($0) } }
        return Array(builder.packet)
    }
}

@Suite struct PcapTests {
    static let session = MoldUDP64Session("TESTSESS01")!
    static let group = IPv4Endpoint("239.192.0.1:26400")!
    static let sender = IPv4Endpoint("10.1.2.3:40000")!

    static func datagrams(_ bytes: [UInt8]) throws -> (datagrams: [(UDPDatagram, [UInt8])], statistics: PcapStatistics, end: PcapEnd) {
        let file = MappedFile(copying: bytes)
        let reader = try PcapReader(file)
        var out: [(UDPDatagram, [UInt8])] = []
        let (statistics, end) = reader.forEach { out.append(($0, Array($0.payload))) }
        return (out, statistics, end)
    }

    @Test func writerOutputReadsBackWithAndWithoutVLANTags() throws {
        let path = temporaryPath("mold.pcap")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let messages = sampleMessages(count: 300, seed: 11)
        let tagSets: [[UInt16]] = [[], [100], [200, 300]]
        var sent: [(timestamp: UInt64, payload: [UInt8], tags: [UInt16])] = []
        let writer = try PcapWriter(path: path)
        var sequence: UInt64 = 1
        for (i, chunk) in stride(from: 0, to: messages.count, by: 25).enumerated() {
            let batch = Array(messages[chunk..<min(chunk + 25, messages.count)])
            let payload = moldPacket(session: Self.session, sequence: sequence, messages: batch)
            sequence += UInt64(batch.count)
            let timestamp = 1_577_716_200_000_000_000 + UInt64(i) * 1_234_567
            let tags = tagSets[i % 3]
            try writer.write(payload: payload, timestamp: timestamp, source: Self.sender, destination: Self.group,
                             vlanTags: tags)
            sent.append((timestamp, payload, tags))
        }
        try writer.close()

        let file = try MappedFile(path: path)
        let (datagrams, statistics, end) = try Self.datagrams(Array(file.bytes))
        #expect(end == .complete)
        #expect(statistics.datagrams == sent.count && statistics.frames == sent.count)
        #expect(statistics.badHeaders == 0 && statistics.badRecords == 0 && statistics.truncatedDatagrams == 0)
        #expect(datagrams.map(\.1) == sent.map(\.payload))
        #expect(datagrams.map(\.0.timestamp) == sent.map(\.timestamp))
        #expect(datagrams.allSatisfy { $0.0.source == Self.sender && $0.0.destination == Self.group })
    }

    @Test func ipv4HeaderChecksumIsValid() {
        let frame = udpFrame([1, 2, 3])
        var sum: UInt32 = 0
        for i in stride(from: 14, to: 34, by: 2) { sum += UInt32(frame[i]) << 8 | UInt32(frame[i + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        #expect(sum == 0xFFFF)
        #expect(Array(frame[0..<6]) == [0x01, 0x00, 0x5E, 0x40, 0x00, 0x01])  // 239.192.0.1 → 01:00:5e:40:00:01
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func classicInBothByteOrdersAndResolutions(bigEndian: Bool, nanosecond: Bool) throws {
        let payload = moldPacket(session: Self.session, sequence: 5, messages: [[0x53] + [UInt8](repeating: 0, count: 11)])
        let bytes = classicPcap(bigEndian: bigEndian, nanosecond: nanosecond,
                                records: [(1_577_716_200, 123_456, udpFrame(payload)), (1_577_716_201, 7, udpFrame(payload))])
        let (datagrams, statistics, end) = try Self.datagrams(bytes)
        #expect(end == .complete && statistics.datagrams == 2)
        let unit: UInt64 = nanosecond ? 1 : 1000
        #expect(datagrams.map(\.0.timestamp) == [1_577_716_200_000_000_000 + 123_456 * unit,
                                                 1_577_716_201_000_000_000 + 7 * unit])
        #expect(datagrams.allSatisfy { $0.1 == payload })
    }

    @Test func otherLinkTypesCarryIPv4Too() throws {
        let payload: [UInt8] = [9, 8, 7]
        let ip = Array(udpFrame(payload).dropFirst(14))
        var sll = [UInt8](repeating: 0, count: 16); sll[14] = 0x08
        var sll2 = [UInt8](repeating: 0, count: 20); sll2[0] = 0x08
        let cases: [(UInt32, [UInt8])] = [(101, ip), (228, ip), (113, sll + ip), (276, sll2 + ip), (0, [2, 0, 0, 0] + ip)]
        for (linkType, frame) in cases {
            let (datagrams, _, _) = try Self.datagrams(classicPcap(bigEndian: false, nanosecond: false, linkType: linkType,
                                                                   records: [(1, 0, frame)]))
            #expect(datagrams.map(\.1) == [payload], "link type \(linkType)")
        }
        let (none, statistics, _) = try Self.datagrams(classicPcap(bigEndian: false, nanosecond: false, linkType: 105,
                                                                   records: [(1, 0, ip)]))
        #expect(none.isEmpty && statistics.unsupportedLinkType == 1)
    }

    @Test func nonUDPFragmentsAndNonIPv4AreCountedAndSkipped() throws {
        let good = udpFrame([1, 2, 3, 4])
        var tcp = good; tcp[23] = 6
        var laterFragment = good; laterFragment[20] = 0x00; laterFragment[21] = 0x10   // offset 16 × 8
        var firstFragment = good; firstFragment[20] = 0x20                             // MF, offset 0
        var arp = good; arp[12] = 0x08; arp[13] = 0x06
        var ipv6 = good; ipv6[12] = 0x86; ipv6[13] = 0xDD
        var shortIHL = good; shortIHL[14] = 0x44
        let padded = good + [UInt8](repeating: 0, count: 20)                           // Ethernet padding
        let bytes = classicPcap(bigEndian: false, nanosecond: false, records: [
            (1, 0, tcp), (1, 0, laterFragment), (1, 0, firstFragment), (1, 0, arp), (1, 0, ipv6), (1, 0, shortIHL),
            (1, 0, padded), (1, 0, Array(good.prefix(44))), (1, 0, Array(good.prefix(10))),
        ])
        let (datagrams, statistics, end) = try Self.datagrams(bytes)
        #expect(end == .complete)
        #expect(statistics.frames == 9)
        #expect(statistics.nonUDP == 1 && statistics.fragments == 1 && statistics.nonIPv4 == 2)
        #expect(statistics.badHeaders == 2)
        // First fragment, padded frame, and the snap-cut frame (2 of 4 payload bytes present).
        #expect(datagrams.map(\.1) == [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2]])
        #expect(datagrams.map(\.0.isTruncated) == [true, false, true])
        #expect(statistics.truncatedDatagrams == 2 && statistics.datagrams == 3)
    }

    @Test func truncatedCaptureKeepsEverythingBeforeTheCut() throws {
        let frame = udpFrame([UInt8](repeating: 0x41, count: 100))
        let bytes = classicPcap(bigEndian: false, nanosecond: true, records: [(1, 0, frame), (2, 0, frame), (3, 0, frame)])
        for cut in [1, 50, frame.count + 10, frame.count + 15] {
            let (datagrams, _, end) = try Self.datagrams(Array(bytes.dropLast(cut)))
            #expect(datagrams.count == 2, "cut \(cut)")
            #expect(end == .truncated(offset: 24 + 2 * (16 + frame.count)), "cut \(cut)")
        }
        #expect(throws: PcapError.shortFileHeader(length: 20)) { try Self.datagrams(Array(bytes.prefix(20))) }
        #expect(throws: PcapError.notACapture(magic: 0x0403_0201)) { try Self.datagrams([1, 2, 3, 4, 5, 6]) }
    }

    @Test func absurdRecordLengthEndsTheWalk() throws {
        var bytes = classicPcap(bigEndian: false, nanosecond: false, records: [(1, 0, udpFrame([1])), (2, 0, udpFrame([2]))])
        let second = 24 + 16 + udpFrame([1]).count
        bytes[second + 8] = 0xFF; bytes[second + 9] = 0xFF; bytes[second + 10] = 0xFF; bytes[second + 11] = 0xFF
        let (datagrams, statistics, end) = try Self.datagrams(bytes)
        #expect(datagrams.map(\.1) == [[1]])
        #expect(statistics.badRecords == 1 && end == .truncated(offset: second))
    }

    /// A pcapng by hand: a little-endian section (nanosecond interface, EPB, SPB, a skipped statistics
    /// block, an EPB naming an unknown interface) then a big-endian section with a microsecond,
    /// VLAN-tagged interface, and an SLL interface.
    @Test func pcapngSectionsInBothByteOrders() throws {
        func block(_ w: inout ByteWriter, _ type: UInt32, _ body: (inout ByteWriter) -> Void) {
            var inner = ByteWriter(bigEndian: w.bigEndian)
            body(&inner)
            inner.pad4()
            w.u32(type); w.u32(UInt32(inner.bytes.count + 12)); w.raw(inner.bytes); w.u32(UInt32(inner.bytes.count + 12))
        }
        func section(_ w: inout ByteWriter) {
            block(&w, 0x0A0D_0D0A) { b in b.u32(0x1A2B_3C4D); b.u16(1); b.u16(0); b.u32(0xFFFF_FFFF); b.u32(0xFFFF_FFFF) }
        }
        func epb(_ w: inout ByteWriter, interface: UInt32, units: UInt64, _ frame: [UInt8]) {
            block(&w, 6) { b in
                b.u32(interface); b.u32(UInt32(units >> 32)); b.u32(UInt32(units & 0xFFFF_FFFF))
                b.u32(UInt32(frame.count)); b.u32(UInt32(frame.count)); b.raw(frame); b.pad4()
                b.u16(1); b.u16(4); b.raw(Array("note".utf8)); b.u16(0); b.u16(0)       // opt_comment, end
            }
        }
        let p1 = moldPacket(session: Self.session, sequence: 1, messages: [[0x41, 0x41]])
        let p2 = moldPacket(session: Self.session, sequence: 2, messages: [[0x42]])
        let p3 = moldPacket(session: Self.session, sequence: 3, messages: [[0x43, 0x43, 0x43]])
        let p4: [UInt8] = [0x44]

        var w = ByteWriter(bigEndian: false)
        section(&w)
        block(&w, 1) { b in   // IDB: Ethernet, if_tsresol = 9 (ns)
            b.u16(1); b.u16(0); b.u32(65535); b.u16(9); b.u16(1); b.u8(9); b.pad4(); b.u16(0); b.u16(0)
        }
        epb(&w, interface: 0, units: 1_577_716_200_123_456_789, udpFrame(p1))
        block(&w, 3) { b in let f = udpFrame(p2); b.u32(UInt32(f.count)); b.raw(f) }
        block(&w, 5) { b in b.u32(0); b.u32(0); b.u32(0) }                   // ISB: skipped
        epb(&w, interface: 7, units: 0, udpFrame(p2))                           // no such interface
        w.bigEndian = true
        section(&w)
        block(&w, 1) { b in b.u16(1); b.u16(0); b.u32(65535) }                 // µs by default
        block(&w, 1) { b in b.u16(113); b.u16(0); b.u32(65535); b.u16(9); b.u16(1); b.u8(0x80 | 10); b.pad4() }
        epb(&w, interface: 0, units: 1_577_716_200_000_001, udpFrame(p3, vlanTags: [42]))
        var sll = [UInt8](repeating: 0, count: 16); sll[14] = 0x08
        epb(&w, interface: 1, units: 3 * 1024 + 512, sll + udpFrame(p4).dropFirst(14))

        let (datagrams, statistics, end) = try Self.datagrams(w.bytes)
        #expect(end == .complete)
        #expect(datagrams.map(\.1) == [p1, p2, p3, p4])
        #expect(datagrams.map(\.0.timestamp) == [1_577_716_200_123_456_789, 0, 1_577_716_200_000_001_000, 3_500_000_000])
        #expect(statistics.skippedBlocks == 1 && statistics.badRecords == 1)
        let file = MappedFile(copying: w.bytes)
        #expect(try PcapReader.format(of: file.bytes) == .pcapng)

        // Cut in the middle of the last block: the three before it survive.
        let (cut, _, cutEnd) = try Self.datagrams(Array(w.bytes.dropLast(7)))
        #expect(cut.count == 3)
        if case .truncated = cutEnd {} else { Issue.record("expected truncation, got \(cutEnd)") }
        // A block length that is not a multiple of 4 stops the walk as a bad block.
        var bad = w.bytes
        bad[4] = 0x1D
        let (none, _, badEnd) = try Self.datagrams(bad)
        #expect(none.isEmpty && badEnd == .badBlock(offset: 0))
    }

    @Test func endpointParsing() {
        #expect(IPv4Endpoint("239.192.0.1:26400") == IPv4Endpoint(address: 0xEFC0_0001, port: 26400))
        #expect(IPv4Endpoint("239.192.0.1:26400")!.description == "239.192.0.1:26400")
        #expect(IPv4Endpoint("239.192.0:1") == nil && IPv4Endpoint("1.2.3.4") == nil && IPv4Endpoint("1.2.3.256:1") == nil)
    }

    /// Property: random bytes behind a valid file header, and valid captures with random bytes
    /// changed, never crash the reader and never yield a payload outside the file.
    @Test func randomGarbageNeverOverReads() throws {
        var rng = SplitMix64(seed: 0x9CA9)
        let valid = classicPcap(bigEndian: false, nanosecond: true, records: (0..<6).map { i in
            (seconds: UInt32(i), fraction: 0, frame: udpFrame(moldPacket(session: Self.session, sequence: UInt64(i), messages: [[1, 2, 3]]),
                                    vlanTags: i % 2 == 0 ? [] : [7]))
        })
        for round in 0..<3_000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:
                bytes = Array(valid.prefix(24)) + (0..<Int.random(in: 0...300, using: &rng)).map { _ in .random(in: 0...255, using: &rng) }
            case 1:
                bytes = valid
                for _ in 0..<Int.random(in: 1...6, using: &rng) {
                    bytes[Int.random(in: 24..<bytes.count, using: &rng)] = .random(in: 0...255, using: &rng)
                }
                bytes.removeLast(Int.random(in: 0...40, using: &rng))
            default:
                bytes = [0x0A, 0x0D, 0x0D, 0x0A] + (0..<Int.random(in: 0...300, using: &rng)).map { _ in .random(in: 0...255, using: &rng) }
                if bytes.count >= 12, round % 2 == 0 { bytes[8] = 0x4D; bytes[9] = 0x3C; bytes[10] = 0x2B; bytes[11] = 0x1A }
            }
            let file = MappedFile(copying: bytes)
            guard let reader = try? PcapReader(file) else { continue }
            let lower = UnsafeRawPointer(file.bytes.baseAddress!)
            let upper = lower + file.bytes.count
            reader.forEach { d in
                if let base = d.payload.baseAddress {
                    #expect(base >= lower && base + d.payload.count <= upper)
                }
                if let packet = try? MoldUDP64Packet(d.payload) { _ = packet.validate() }
            }
        }
    }
}

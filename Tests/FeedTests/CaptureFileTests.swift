import Foundation
import ITCH
import Market
import MoldUDP64
import PacketCapture
import Testing
@testable import Feed

/// `CaptureFile`: an input file of ITCH messages in either container, recognised by its first bytes.
@Suite struct CaptureFileTests {
    static let session = MoldUDP64Session("TESTSESS01")!

    /// `count` messages of assorted lengths whose bytes name their position (the reader does not decode).
    static func messages(_ count: Int) -> [[UInt8]] {
        (0..<count).map { i in [UInt8(0x41 + i % 26)] + withUnsafeBytes(of: UInt32(i).bigEndian, Array.init) + Array(repeating: 0x20, count: i % 40) }
    }

    /// `count` frames a day-file accepts: each a known ITCH 5.0 type at exactly its length (the
    /// bytes after the type are numbered filler; only the framing matters here).
    static func itchFrames(_ count: Int) -> [[UInt8]] {
        let types = Array("SRHYLVWKJhAFECXDUPQBIN".utf8)
        return (0..<count).map { i in
            let type = types[i % types.count]
            return [type] + withUnsafeBytes(of: UInt32(i).bigEndian, Array.init)
                + Array(repeating: 0x20, count: ITCHDecoder.expectedLength(of: type) - 5)
        }
    }

    static func temporaryFile(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotecast-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    @Test func aPcapOfMoldUDP64PacketsYieldsEveryMessageWithItsTimeSessionAndSequence() throws {
        let path = Self.temporaryFile("mold.pcap")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let messages = Self.messages(300)
        let writer = try PcapWriter(path: path)
        var buffer = [UInt8](repeating: 0, count: 9000)
        var packets = 0
        for (i, chunk) in stride(from: 0, to: messages.count, by: 25).enumerated() {
            let batch = messages[chunk..<min(chunk + 25, messages.count)]
            try buffer.withUnsafeMutableBytes { raw in
                var builder = MoldUDP64PacketBuilder(buffer: raw, session: Self.session, firstSequenceNumber: UInt64(chunk + 1),
                                                     maxPayloadSize: 9000)
                for m in batch { _ = m.withUnsafeBytes { builder.append($0) } }
                try writer.write(payload: builder.packet, timestamp: 1_577_716_200_000_000_000 + UInt64(i) * 1_234_567,
                                 source: IPv4Endpoint("10.1.2.3:40000")!, destination: IPv4Endpoint("239.192.0.1:26400")!)
            }
            packets += 1
        }
        try writer.close()

        let capture = try CaptureFile(path: path)
        #expect(capture.kind == .pcap(.classic(bigEndian: false, nanosecond: true, linkType: 1)))
        var read: [[UInt8]] = []
        var sequences: [UInt64] = []
        let statistics = capture.forEachMessage { m in
            read.append(Array(m.message.bytes))
            sequences.append(m.sequenceNumber)
            #expect(m.session == Self.session)
            #expect(m.receiveTimestamp >= 1_577_716_200_000_000_000)
        }
        #expect(read == messages)
        #expect(sequences == Array(1...UInt64(messages.count)))
        #expect(statistics.messages == messages.count && statistics.packets == packets)
        #expect(statistics.truncatedPackets == 0 && statistics.countMismatches == 0)
    }

    @Test func aDayFileYieldsItsMessagesNumberedFromOne() throws {
        let path = Self.temporaryFile("day.itch")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let messages = Self.itchFrames(50)
        let writer = try DayFileWriter(path: path)
        for m in messages { try m.withUnsafeBytes { try writer.append($0) } }
        try writer.close()

        let capture = try CaptureFile(path: path)
        #expect(capture.kind == .dayFile)
        var read: [[UInt8]] = []
        var sequences: [UInt64] = []
        let statistics = capture.forEachMessage { m in
            read.append(Array(m.message.bytes))
            sequences.append(m.sequenceNumber)
            #expect(m.session == .blank && m.receiveTimestamp == 0)
        }
        #expect(read == messages)
        #expect(sequences == Array(1...50))
        #expect(statistics.messages == 50 && statistics.dayFileEnd == .complete)
        #expect(capture.forEachPacket { _ in Issue.record("a day-file has no packets") }.packets == 0)
    }

    /// Content that is no day-file, pcap or pcapng is refused by what it is, whatever its name.
    @Test func anyOtherContentIsRefusedWithItsFirstBytes() throws {
        let cases: [(String, [UInt8])] = [
            ("notes.itch", Array("# quotecast\nA real-time stock quote daemon.\n".utf8)),
            ("zeros.pcap", [UInt8](repeating: 0, count: 100)),
            ("empty.itch", []),
            // A length prefix whose type byte is no ITCH type (a day-file's first frame must be one).
            ("almost.itch", [0, 12, UInt8(ascii: "z")] + [UInt8](repeating: 0, count: 11)),
        ]
        for (name, bytes) in cases {
            let path = Self.temporaryFile(name)
            defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(throws: InputFileError.unrecognised(path: path, size: bytes.count, firstBytes: Array(bytes.prefix(16)))) {
                try CaptureFile(path: path)
            }
        }
        #expect(throws: InputFileError.unreadable(path: "/nonexistent/x.itch", .open(path: "/nonexistent/x.itch", errno: ENOENT))) {
            try CaptureFile(path: "/nonexistent/x.itch")
        }
        #expect("\(InputFileError.unrecognised(path: "a.bin", size: 40, firstBytes: [0x23, 0x20, 0x00, 0xFF]))"
                .hasSuffix(##"it starts with 23 20 00 ff "# .." (40 bytes in all)"##))
        #expect("\(InputFileError.unrecognised(path: "e.itch", size: 0, firstBytes: []))".hasPrefix("e.itch is empty: expected"))
    }
}

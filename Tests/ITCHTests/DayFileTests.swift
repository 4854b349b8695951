import Foundation
import PacketCapture
import Testing
import Market
@testable import ITCH

/// A path in a fresh temporary directory, removed by the caller.
func temporaryPath(_ name: String) -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotecast-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent(name).path
}

/// Some ITCH messages of assorted types, encoded: a system event, then adds, executes and deletes.
func sampleMessages(count: Int, seed: UInt64) -> [[UInt8]] {
    var rng = SplitMix64(seed: seed)
    var out: [[UInt8]] = []
    let header = { (t: UInt64) in ITCHHeader(stockLocate: 1, trackingNumber: 0, timestamp: 34_200_000_000_000 + t) }
    out.append(encodeMessage(length: SystemEvent.Layout.length) { SystemEvent.encode(header(0), eventCode: 0x4F, into: $0) })
    while out.count < count {
        let reference = UInt64(out.count)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0:
            out.append(encodeMessage(length: AddOrder.Layout.length) {
                AddOrder.encode(header(reference), orderReference: reference, side: 0x42,
                                shares: .random(in: 1...10_000, using: &rng), stock: Symbol("MSFT")!,
                                price: .random(in: 1...2_000_000, using: &rng), into: $0)
            })
        case 1:
            out.append(encodeMessage(length: OrderExecuted.Layout.length) {
                OrderExecuted.encode(header(reference), orderReference: reference, executedShares: 100,
                                     matchNumber: reference, into: $0)
            })
        default:
            out.append(encodeMessage(length: OrderDelete.Layout.length) {
                OrderDelete.encode(header(reference), orderReference: reference, into: $0)
            })
        }
    }
    return out
}

/// Frames messages as a day-file in memory.
func dayFileBytes(_ messages: [[UInt8]]) -> [UInt8] {
    messages.flatMap { [UInt8($0.count >> 8), UInt8($0.count & 0xFF)] + $0 }
}

@Suite struct DayFileTests {
    static func read(_ bytes: [UInt8]) -> (messages: [[UInt8]], end: DayFileEnd) {
        let file = MappedFile(copying: bytes)
        var messages: [[UInt8]] = []
        let end = DayFileReader(file).forEach { messages.append(Array($0.bytes)) }
        return (messages, end)
    }

    @Test func readsEveryMessageInPlace() {
        let messages = sampleMessages(count: 500, seed: 1)
        let (read, end) = Self.read(dayFileBytes(messages))
        #expect(end == .complete)
        #expect(read == messages)
    }

    @Test func messagesPointIntoTheFile() {
        let file = MappedFile(copying: dayFileBytes(sampleMessages(count: 20, seed: 2)))
        var offset = 0
        for message in DayFileReader(file) {
            #expect(message.base == file.bytes.baseAddress! + offset + 2)
            offset += 2 + message.length
        }
        #expect(offset == file.bytes.count)
    }

    @Test func truncatedFinalMessageIsReportedNotRead() {
        let messages = sampleMessages(count: 10, seed: 3)
        var bytes = dayFileBytes(messages)
        let fullLength = bytes.count
        bytes.removeLast(5)
        let (read, end) = Self.read(bytes)
        #expect(read == Array(messages.dropLast()))
        let lastLength = messages.last!.count
        #expect(end == .truncated(offset: fullLength - lastLength - 2, declaredLength: lastLength, available: lastLength - 5))
        // Cut inside the final length prefix.
        let (read2, end2) = Self.read(dayFileBytes(messages) + [0x00])
        #expect(read2 == messages)
        #expect(end2 == .truncated(offset: fullLength, declaredLength: nil, available: 1))
    }

    @Test func anEmptyFileIsComplete() {
        #expect(Self.read([]).end == .complete)
        #expect(Self.read([]).messages.isEmpty)
    }

    /// A frame that is no ITCH 5.0 message ends the walk, named by byte offset and message number,
    /// after the messages before it: the framing can no longer be trusted.
    @Test func garbageEndsTheWalkWhereItStarts() {
        let messages = sampleMessages(count: 6, seed: 7)
        let good = dayFileBytes(messages)
        let addOrder = UInt8(ascii: "A")
        let cases: [([UInt8], DayFileGarbage)] = [
            ([0, 0, 0, 1], .zeroLength),
            ([0, 5, UInt8(ascii: "z"), 1, 2, 3, 4], .unknownType(UInt8(ascii: "z"))),
            ([0, 35, addOrder] + [UInt8](repeating: 0, count: 34), .lengthMismatch(type: addOrder, length: 35, expected: 36)),
            // A prefix announcing far more than the file holds, before a known type: garbage, not a cut.
            ([0xFF, 0xFF, addOrder, 0, 0], .lengthMismatch(type: addOrder, length: 65_535, expected: 36)),
            ([0, 36, 0x00], .unknownType(0)),
        ]
        for (tail, reason) in cases {
            let (read, end) = Self.read(good + tail + good)
            #expect(read == messages, "\(reason)")
            #expect(end == .garbage(offset: good.count, index: messages.count + 1, reason: reason))
        }
        // Garbage first: nothing is read.
        #expect(Self.read([0, 0] + good).end == .garbage(offset: 0, index: 1, reason: .zeroLength))
        var iterator = DayFileReader(MappedFile(copying: good + [0, 0])).makeIterator()
        while iterator.next() != nil {}
        #expect(iterator.messageCount == messages.count)
        #expect(iterator.end == .garbage(offset: good.count, index: messages.count + 1, reason: .zeroLength))
    }

    @Test func garbageIsDescribedInWords() {
        #expect("\(DayFileGarbage.zeroLength)" == "a length prefix of 0")
        #expect("\(DayFileGarbage.unknownType(0x7A))" == "message type 0x7A ('z') is not an ITCH 5.0 type")
        #expect("\(DayFileGarbage.unknownType(0x0A))" == "message type 0x0A is not an ITCH 5.0 type")
        #expect("\(DayFileGarbage.lengthMismatch(type: 0x41, length: 35, expected: 36))"
                == "a length prefix of 35 for type 0x41 ('A'), which is 36 bytes long")
    }

    @Test func iteratorReportsProgressAndEnd() {
        let bytes = dayFileBytes(sampleMessages(count: 3, seed: 4))
        let file = MappedFile(copying: bytes)
        var iterator = DayFileReader(file).makeIterator()
        #expect(iterator.offset == 0)
        var count = 0
        while iterator.next() != nil {
            count += 1
            #expect(iterator.end == nil)
        }
        #expect(count == 3)
        #expect(iterator.offset == bytes.count)
        #expect(iterator.end == .complete)
    }

    @Test func writerAndReaderRoundTripThroughAFile() throws {
        let path = temporaryPath("day.itch")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let messages = sampleMessages(count: 20_000, seed: 5)
        // A small buffer forces many flushes across record boundaries.
        let writer = DayFileWriter(output: try BufferedFileOutput(path: path, capacity: 4096))
        for (i, message) in messages.enumerated() {
            if i % 2 == 0 {
                try message.withUnsafeBytes { try writer.append($0) }
            } else {
                try writer.append(length: message.count) { out in
                    message.withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                    return message.count
                }
            }
        }
        try writer.close()
        #expect(writer.messageCount == messages.count)
        let data = try #require(FileManager.default.contents(atPath: path))
        #expect(Array(data) == dayFileBytes(messages))
        var read: [[UInt8]] = []
        let end = try DayFileReader(path: path).forEach { read.append(Array($0.bytes)) }
        #expect(end == .complete)
        #expect(read == messages)
    }

    @Test func missingFileIsAnError() {
        #expect(throws: FileIOError.self) { try DayFileReader(path: "/nonexistent/quotecast/day.itch") }
    }

    @Test func recognisesADayFile() {
        let bytes = dayFileBytes(sampleMessages(count: 2, seed: 6))
        #expect(bytes.withUnsafeBytes { DayFileReader.looksLikeDayFile($0) })
        #expect(![UInt8](repeating: 0xAB, count: 8).withUnsafeBytes { DayFileReader.looksLikeDayFile($0) })
    }

    /// Property: random bytes (and valid files with random bytes changed) never crash the reader,
    /// every message lies inside the buffer, and the walk ends.
    @Test func randomGarbageNeverOverReads() {
        var rng = SplitMix64(seed: 0xDA7F11E)
        for round in 0..<3_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                bytes = dayFileBytes(sampleMessages(count: 8, seed: UInt64(round)))
                for _ in 0..<3 { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = .random(in: 0...255, using: &rng) }
                bytes.removeLast(Int.random(in: 0...20, using: &rng))
            }
            let file = MappedFile(copying: bytes)
            let lower = file.bytes.baseAddress.map { UnsafeRawPointer($0) }
            var total = 0
            DayFileReader(file).forEach { message in
                total += 2 + message.length
                if let lower { #expect(message.base >= lower && message.base + message.length <= lower + bytes.count) }
                _ = message.decode()
            }
            #expect(total <= bytes.count)
        }
    }

    /// The real Nasdaq snippet: 1000 messages, each a known type of its length. Skipped, and shown as
    /// skipped, when the capture is absent (`NasdaqCapture`).
    @Test(.enabled(if: NasdaqCapture.isPresent, "the real Nasdaq capture is not in ../shared/fixtures"))
    func readsTheRealNasdaqSnippet() throws {
        var messages = 0
        var bad = 0
        let end = try DayFileReader(path: NasdaqCapture.path).forEach { message in
            messages += 1
            if case .message = message.decode() {} else { bad += 1 }
        }
        #expect(messages == 1000)
        #expect(bad == 0)
        #expect(end == .complete)
    }
}

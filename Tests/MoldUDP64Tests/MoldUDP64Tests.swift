import ITCH
import Market
import MoldUDP64
import Testing

/// MoldUDP64 framing: header layout, blocks, heartbeats, end of session, requests, the packet
/// builder, and hostile packets.
@Suite struct MoldUDP64Tests {
    static let session = MoldUDP64Session("20191230A")!

    /// Builds a packet by hand: header then each message as a block.
    static func handPacket(session: MoldUDP64Session = session, sequence: UInt64, count: UInt16? = nil,
                           messages: [[UInt8]]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 20)
        bytes.withUnsafeMutableBytes {
            MoldUDP64.writeHeader(session: session, sequenceNumber: sequence, count: count ?? UInt16(messages.count),
                                  to: $0.baseAddress!)
        }
        for m in messages { bytes += [UInt8(m.count >> 8), UInt8(m.count & 0xFF)] + m }
        return bytes
    }

    static func blocks(of bytes: [UInt8]) throws -> (blocks: [(UInt64, [UInt8])], end: MoldUDP64BlockEnd) {
        try bytes.withUnsafeBytes { raw in
            let packet = try MoldUDP64Packet(raw)
            var out: [(UInt64, [UInt8])] = []
            let end = packet.forEachBlock { out.append(($0.sequenceNumber, Array($0.message.bytes))) }
            return (out, end)
        }
    }

    @Test func sessionIsTenSpacePaddedBytes() {
        #expect(Self.session.description == "20191230A")
        var wire = [UInt8](repeating: 0, count: 10)
        wire.withUnsafeMutableBytes { Self.session.write(to: $0.baseAddress!) }
        #expect(wire == Array("20191230A ".utf8))
        #expect(MoldUDP64Session("") == .blank)
        #expect(MoldUDP64Session("ELEVENCHARS") == nil)
        #expect(MoldUDP64Session("tab\there") == nil)
    }

    @Test func headerFieldsAreBigEndianAtTheSpecifiedOffsets() throws {
        let bytes = Self.handPacket(sequence: 0x0102_0304_0506_0708, messages: [[0x41, 0x42]])
        #expect(bytes.count == 24)
        #expect(Array(bytes[10..<18]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(bytes[18..<20]) == [0, 1])
        #expect(Array(bytes[20..<22]) == [0, 2])
        try bytes.withUnsafeBytes { raw in
            let packet = try MoldUDP64Packet(raw)
            #expect(packet.session == Self.session)
            #expect(packet.sequenceNumber == 0x0102_0304_0506_0708)
            #expect(packet.messageCount == 1)
            #expect(packet.kind == .messages(count: 1))
        }
    }

    @Test func blocksCarryConsecutiveSequenceNumbers() throws {
        let messages: [[UInt8]] = [[1], [2, 2], [], [4, 4, 4, 4]]
        let (blocks, end) = try Self.blocks(of: Self.handPacket(sequence: 41, messages: messages))
        #expect(end == .complete)
        #expect(blocks.map(\.0) == [41, 42, 43, 44])
        #expect(blocks.map(\.1) == messages)
    }

    @Test func heartbeatAndEndOfSession() throws {
        var bytes = [UInt8](repeating: 0xEE, count: 20)
        #expect(bytes.withUnsafeMutableBytes {
            MoldUDP64.encodeHeartbeat(session: Self.session, nextSequenceNumber: 77, into: $0.baseAddress!)
        } == 20)
        try bytes.withUnsafeBytes { raw in
            let packet = try MoldUDP64Packet(raw)
            #expect(packet.kind == .heartbeat)
            #expect(packet.sequenceNumber == 77)
            #expect(packet.validate() == .complete)
        }
        _ = bytes.withUnsafeMutableBytes {
            MoldUDP64.encodeEndOfSession(session: Self.session, nextSequenceNumber: 78, into: $0.baseAddress!)
        }
        #expect(Array(bytes[18..<20]) == [0xFF, 0xFF])
        try bytes.withUnsafeBytes { raw in
            let packet = try MoldUDP64Packet(raw)
            #expect(packet.kind == .endOfSession)
            #expect(packet.announcedBlocks == 0)
            #expect(packet.validate() == .complete)
        }
    }

    @Test func retransmissionRequestRoundTrips() throws {
        let request = MoldUDP64Request(session: Self.session, sequenceNumber: 1_000_001, count: 250)
        var bytes = [UInt8](repeating: 0, count: 20)
        #expect(bytes.withUnsafeMutableBytes { request.encode(into: $0.baseAddress!) } == 20)
        #expect(Array(bytes[0..<10]) == Array("20191230A ".utf8))
        #expect(try bytes.withUnsafeBytes { try MoldUDP64Request($0) } == request)
        #expect(throws: MoldUDP64Error.badRequestLength(length: 21)) {
            try (bytes + [0]).withUnsafeBytes { try MoldUDP64Request($0) }
        }
    }

    @Test func shortDatagramIsNotAPacket() {
        #expect(throws: MoldUDP64Error.shortHeader(length: 19)) {
            try [UInt8](repeating: 0, count: 19).withUnsafeBytes { try MoldUDP64Packet($0) }
        }
        #expect(throws: MoldUDP64Error.shortHeader(length: 0)) {
            try [UInt8]().withUnsafeBytes { try MoldUDP64Packet($0) }
        }
    }

    @Test func blockRunningPastTheEndStopsAndReportsTruncation() throws {
        var bytes = Self.handPacket(sequence: 1, messages: [[1, 2, 3], [4, 5, 6, 7]])
        bytes.removeLast()
        let (blocks, end) = try Self.blocks(of: bytes)
        #expect(blocks.count == 1)
        #expect(end == .truncated(blocks: 1))
        // A lone byte where a length prefix should be.
        let (_, end2) = try Self.blocks(of: Self.handPacket(sequence: 1, count: 2, messages: [[9]]) + [0])
        #expect(end2 == .truncated(blocks: 1))
    }

    @Test func countMismatchAndTrailingBytesAreReported() throws {
        let fewer = try Self.blocks(of: Self.handPacket(sequence: 1, count: 3, messages: [[1], [2]]))
        #expect(fewer.blocks.count == 2)
        #expect(fewer.end == .countMismatch(declared: 3, found: 2))
        let more = try Self.blocks(of: Self.handPacket(sequence: 1, count: 1, messages: [[1], [2]]))
        #expect(more.blocks.count == 1)
        #expect(more.end == .trailingBytes(count: 3))
    }

    @Test func builderPacksUntilFullThenContinuesTheSequence() throws {
        var buffer = [UInt8](repeating: 0, count: 2048)
        try buffer.withUnsafeMutableBytes { raw in
            var builder = MoldUDP64PacketBuilder(buffer: raw, session: Self.session, firstSequenceNumber: 1)
            #expect(builder.capacity == 1400)
            let header = ITCHHeader(stockLocate: 7, timestamp: 34_200_000_000_000)
            var appended = 0
            while builder.append(length: AddOrder.Layout.length, {
                AddOrder.encode(header, orderReference: UInt64(appended), side: 0x42, shares: 100,
                                stock: Symbol("AAPL")!, price: 1_892_500, into: $0)
            }) == .appended { appended += 1 }
            // (1400 - 20) / (36 + 2) = 36 whole blocks.
            #expect(appended == 36)
            #expect(builder.messageCount == 36)
            #expect(builder.byteCount == 20 + 36 * 38)
            let packet = try MoldUDP64Packet(builder.packet)
            #expect(packet.sequenceNumber == 1 && packet.messageCount == 36)
            var orders: [UInt64] = []
            #expect(packet.forEachBlock { block in
                if case .message(.addOrder(let add)) = block.message.decode() { orders.append(add.orderReference) }
            } == .complete)
            #expect(orders == Array(0..<36))
            builder.reset()
            #expect(builder.isEmpty && builder.sequenceNumber == 37)
            #expect(try MoldUDP64Packet(builder.packet).kind == .heartbeat)
            #expect(builder.append(UnsafeRawBufferPointer(start: nil, count: 0)) == .appended)
            #expect(builder.append(length: 1379, { _ in 1379 }) == .tooLarge)
            #expect(builder.append(length: 1377, { _ in 1377 }) == .full)
        }
    }

    @Test func builderRespectsASmallerBuffer() {
        var buffer = [UInt8](repeating: 0, count: 64)
        buffer.withUnsafeMutableBytes { raw in
            var builder = MoldUDP64PacketBuilder(buffer: raw, session: .blank, maxPayloadSize: 9000)
            #expect(builder.capacity == 64)
            #expect(builder.append(length: 42, { _ in 42 }) == .appended)
            #expect(builder.append(length: 1, { _ in 1 }) == .full)
            #expect(builder.remainingCapacity == 0)
        }
    }

    /// Property: random messages packed by the builder come back unchanged, in order, with
    /// consecutive sequence numbers, across as many packets as it takes.
    @Test func randomPacketsRoundTrip() throws {
        var rng = SplitMix64(seed: 0x6D6F_6C64)
        for _ in 0..<200 {
            let maxPayload = Int.random(in: 40...1500, using: &rng)
            let messages: [[UInt8]] = (0..<Int.random(in: 0...60, using: &rng)).map { _ in
                (0..<Int.random(in: 0...(maxPayload - 22), using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            let first = UInt64.random(in: 1...1 << 40, using: &rng)
            var decoded: [[UInt8]] = []
            var expectedSequence = first
            var buffer = [UInt8](repeating: 0, count: maxPayload)
            try buffer.withUnsafeMutableBytes { raw in
                var builder = MoldUDP64PacketBuilder(buffer: raw, session: Self.session, firstSequenceNumber: first,
                                                     maxPayloadSize: maxPayload)
                func drain() throws {
                    let packet = try MoldUDP64Packet(builder.packet)
                    #expect(packet.sequenceNumber == expectedSequence)
                    let end = packet.forEachBlock { block in
                        #expect(block.sequenceNumber == expectedSequence)
                        expectedSequence += 1
                        decoded.append(Array(block.message.bytes))
                    }
                    #expect(end == .complete)
                    builder.reset()
                }
                for message in messages {
                    let result = message.withUnsafeBytes { builder.append($0) }
                    if result == .full {
                        try drain()
                        #expect(message.withUnsafeBytes { builder.append($0) } == .appended)
                    } else {
                        #expect(result == .appended)
                    }
                }
                if !builder.isEmpty { try drain() }
            }
            #expect(decoded == messages)
        }
    }

    /// Property: random garbage, and valid packets with random bytes flipped or cut, never crash and
    /// never read outside the datagram: every block lies inside it, and the walk always ends.
    @Test func randomGarbageNeverOverReads() throws {
        var rng = SplitMix64(seed: 0x6761_7262)
        for round in 0..<5_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                let messages = (0..<Int.random(in: 1...8, using: &rng)).map { _ in
                    [UInt8](repeating: 0x41, count: Int.random(in: 0...40, using: &rng))
                }
                bytes = Self.handPacket(sequence: 1, messages: messages)
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                bytes.removeLast(Int.random(in: 0...min(10, bytes.count), using: &rng))
            }
            // Copy into an exactly sized allocation so any over-read is outside it.
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
            defer { raw.deallocate() }
            raw.copyBytes(from: bytes)
            guard let packet = try? MoldUDP64Packet(UnsafeRawBufferPointer(raw)) else {
                #expect(bytes.count < 20)
                continue
            }
            let lower = UnsafeRawPointer(raw.baseAddress!)
            let upper = lower + raw.count
            var blocks = 0
            let end = packet.forEachBlock { block in
                blocks += 1
                #expect(block.message.base >= lower + 22 && block.message.base + block.message.length <= upper)
                _ = block.message.decode()
            }
            #expect(blocks <= packet.announcedBlocks)
            if end == .complete { #expect(blocks == packet.announcedBlocks) }
        }
    }
}

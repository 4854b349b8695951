import Market
import MoldUDP64
import Testing

/// The exchange side's retransmission memory: what it answers (exactly the messages asked for, from
/// the sequence number asked, cut to the payload size), what it has forgotten (bounded by messages
/// and by bytes, oldest first) and what it counts.
@Suite struct RetransmissionWindowTests {
    static let session = MoldUDP64Session("20261207W")!

    /// Message `n` (its bytes say which it is, and vary in length).
    static func message(_ n: UInt64) -> [UInt8] {
        [UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + [UInt8](repeating: UInt8(n % 251), count: Int(n % 7) + 1)
    }

    /// Appends packets of `perPacket` messages each, from sequence number `first` through `last`.
    static func send(_ window: RetransmissionWindow, from first: UInt64, through last: UInt64, perPacket: Int) {
        var sequence = first
        while sequence <= last {
            let count = Int(min(UInt64(perPacket), last - sequence + 1))
            let packet = MoldUDP64Tests.handPacket(session: session, sequence: sequence,
                                                   messages: (0..<UInt64(count)).map { message(sequence + $0) })
            packet.withUnsafeBytes { raw in
                var base: UnsafeRawPointer? = raw.baseAddress
                var length = UInt32(raw.count)
                withUnsafePointer(to: &base) { bases in
                    withUnsafePointer(to: &length) { window.append(bases, lengths: $0, count: 1) }
                }
            }
            sequence += UInt64(count)
        }
    }

    /// What the window answers to `request`: the messages copied, and every (sequence, bytes) in
    /// the answer packets, each packet checked to be whole and of the session.
    static func answer(_ window: RetransmissionWindow, _ request: MoldUDP64Request,
                       payloadSize: Int = 1400) throws -> (copied: Int, blocks: [(UInt64, [UInt8])], packets: [Int]) {
        var answerPackets: [[UInt8]] = []
        let copied = window.answer(request, payloadSize: payloadSize) { answerPackets.append(Array($0)) }
        var blocks: [(UInt64, [UInt8])] = []
        for bytes in answerPackets {
            let (some, end) = try MoldUDP64Tests.blocks(of: bytes)
            #expect(end == .complete)
            #expect(bytes.count <= payloadSize + 20 || some.count == 1, "an answer packet of \(bytes.count) bytes")
            let packetSession = try bytes.withUnsafeBytes { raw throws(MoldUDP64Error) in try MoldUDP64Packet(raw).session }
            #expect(packetSession == session)
            blocks += some
        }
        return (copied, blocks, answerPackets.map(\.count))
    }

    @Test func answersExactlyTheMessagesAskedForFromAnyStartInsideAPacket() throws {
        let window = RetransmissionWindow(session: Self.session)
        Self.send(window, from: 1, through: 100, perPacket: 7)
        // Starts at a packet's first message, inside one, and a count running past what was sent.
        for (start, count, expected) in [(1, 10, 10), (5, 3, 3), (95, 20, 6), (100, 1, 1)] as [(UInt64, UInt16, Int)] {
            let (copied, blocks, _) = try Self.answer(window, MoldUDP64Request(session: Self.session, sequenceNumber: start, count: count))
            #expect(copied == expected, "from \(start), \(count)")
            #expect(blocks.map(\.0) == Array(start..<start + UInt64(expected)), "from \(start), \(count)")
            #expect(blocks.allSatisfy { $0.1 == Self.message($0.0) }, "the bytes sent, from \(start)")
        }
        #expect(window.statistics == (answered: 4, forgotten: 0))
    }

    @Test func answersAreCutToThePayloadSizeAndKeepTheSequence() throws {
        let window = RetransmissionWindow(session: Self.session)
        Self.send(window, from: 1, through: 400, perPacket: 40)
        let (copied, blocks, packets) = try Self.answer(window, MoldUDP64Request(session: Self.session, sequenceNumber: 3, count: 300),
                                                       payloadSize: 200)
        #expect(copied == 300)
        #expect(blocks.map(\.0) == Array(3..<303))
        #expect(packets.count > 10 && packets.allSatisfy { $0 <= 200 }, "\(packets)")
    }

    @Test func notYetSentAnotherSessionOrAnEmptyRequestIsNotAnswered() throws {
        let window = RetransmissionWindow(session: Self.session)
        Self.send(window, from: 1, through: 50, perPacket: 5)
        #expect(try Self.answer(window, MoldUDP64Request(session: Self.session, sequenceNumber: 51, count: 5)).copied == 0)
        let other = MoldUDP64Session("20261207X")!
        #expect(try Self.answer(window, MoldUDP64Request(session: other, sequenceNumber: 1, count: 5)).copied == 0)
        #expect(try Self.answer(window, MoldUDP64Request(session: Self.session, sequenceNumber: 1, count: 0)).copied == 0)
        #expect(try Self.answer(window, MoldUDP64Request(session: Self.session, sequenceNumber: 0, count: 5)).copied == 0)
        // Only the one for a sequence number not held is "forgotten"; the malformed ones are refused.
        #expect(window.statistics == (answered: 0, forgotten: 1))
    }

    @Test func theMessageBoundForgetsTheOldestPacketsFirst() throws {
        let window = RetransmissionWindow(session: Self.session, capacityMessages: 100)
        Self.send(window, from: 1, through: 1000, perPacket: 10)
        #expect(try Self.answer(window, MoldUDP64Request(session: Self.session, sequenceNumber: 900, count: 1)).copied == 0)
        let (copied, blocks, _) = try Self.answer(window, MoldUDP64Request(session: Self.session, sequenceNumber: 901, count: 200))
        #expect(copied == 100 && blocks.first?.0 == 901 && blocks.last?.0 == 1000)
        #expect(window.statistics == (answered: 1, forgotten: 1))
    }

    @Test func theByteBoundHoldsWhateverThePacketsAndTheRingWraps() throws {
        // 4096 bytes at most: the byte ring wraps many times; what is held is always a contiguous
        // tail of what was sent, within the bound, and answered with the bytes sent.
        let window = RetransmissionWindow(session: Self.session, capacityBytes: 4096)
        var sent: UInt64 = 0
        let seed: UInt64 = 0x4E7_0A11
        var random = SplitMix64(seed: seed)
        for _ in 0..<300 {
            let n = UInt64.random(in: 1...30, using: &random)
            Self.send(window, from: sent + 1, through: sent + n, perPacket: Int(n))
            sent += n
        }
        // Find the oldest message still held: every later one is held too, and their packets fit.
        var oldest = sent
        while oldest > 1, try Self.answer(window, MoldUDP64Request(session: Self.session, sequenceNumber: oldest - 1, count: 1)).copied == 1 {
            oldest -= 1
        }
        let (copied, blocks, _) = try Self.answer(window, MoldUDP64Request(session: Self.session, sequenceNumber: oldest,
                                                                           count: UInt16(sent - oldest + 1)), payloadSize: 9000)
        #expect(copied == Int(sent - oldest + 1), "seed \(seed)")
        #expect(blocks.map(\.0) == Array(oldest...sent), "seed \(seed)")
        #expect(blocks.allSatisfy { $0.1 == Self.message($0.0) }, "seed \(seed)")
        let heldBytes = blocks.map { 2 + $0.1.count }.reduce(0, +)
        #expect(heldBytes < 4096, "seed \(seed): \(heldBytes) bytes of blocks held")
        #expect(sent - oldest > 100, "seed \(seed): only \(sent - oldest + 1) messages held of \(sent)")
    }
}

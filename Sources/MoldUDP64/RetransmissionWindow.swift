import Market
import Synchronization

/// The exchange side's memory of what it sent: the last `capacityMessages` messages of one MoldUDP64
/// session, kept as the packets they went out in, so the retransmission server can answer requests.
/// Shared by the sending thread (appends) and the server thread (reads); one lock per appended batch
/// and per answered request, never per message.
///
/// Bounded twice: by messages (`capacityMessages`) and by bytes (`capacityBytes`); the oldest packets
/// are forgotten first. A request for something forgotten is not answered (MoldUDP64 has no negative
/// reply) and is counted.
public final class RetransmissionWindow: Sendable {
    /// The session whose messages this window holds.
    public let session: MoldUDP64Session
    /// Most messages remembered.
    public let capacityMessages: Int
    /// Most packet bytes remembered.
    public let capacityBytes: Int
    private let state: Mutex<State>

    /// Packets back to back in one byte ring, with an index ring of (first sequence, count, offset,
    /// length). Invariant: index entries are in sequence order and contiguous (each starts where the
    /// previous ended); `bytes` between the oldest entry's offset and the write offset are theirs.
    struct State: ~Copyable {
        var bytes: [UInt8]
        var first: [UInt64] = []
        var count: [Int] = []
        var offset: [Int] = []
        var length: [Int] = []
        var head = 0            // index of the oldest entry in the parallel arrays (a queue)
        var messages = 0        // messages in live entries
        var used = 0            // bytes in live entries
        var writeOffset = 0
        var forgotten = 0       // requests for messages no longer held
        var answered = 0
    }

    /// A window of at most `capacityMessages` messages and `capacityBytes` bytes of packets.
    public init(session: MoldUDP64Session, capacityMessages: Int = 1_000_000, capacityBytes: Int = 64 << 20) {
        self.session = session
        self.capacityMessages = max(1, capacityMessages)
        self.capacityBytes = max(4096, capacityBytes)
        state = Mutex(State(bytes: [UInt8](repeating: 0, count: max(4096, capacityBytes))))
    }

    /// Remembers the downstream packets `packets[0..<n]` (each a whole MoldUDP64 data packet of this
    /// session, in sequence order), forgetting the oldest ones beyond the bounds.
    public func append(_ packets: UnsafePointer<UnsafeRawPointer?>, lengths: UnsafePointer<UInt32>, count n: Int) {
        state.withLock { s in
            for i in 0..<n {
                let length = Int(lengths[i])
                guard let base = packets[i], length > MoldUDP64.headerLength, length <= capacityBytes else { continue }
                let packet = try! MoldUDP64Packet(UnsafeRawBufferPointer(start: base, count: length))
                let c = packet.announcedBlocks
                guard c > 0 else { continue }
                // Wrap the byte ring when the packet does not fit before its end.
                if s.writeOffset + length > s.bytes.count { s.writeOffset = 0 }
                // Forget the oldest while over either bound or while they overlap the bytes to write.
                while s.head < s.first.count {
                    let overBudget = s.messages + c > capacityMessages || s.used + length > capacityBytes
                    let o = s.offset[s.head]
                    let overlaps = o < s.writeOffset + length && o + s.length[s.head] > s.writeOffset
                    guard overBudget || overlaps else { break }
                    s.messages -= s.count[s.head]
                    s.used -= s.length[s.head]
                    s.head += 1
                }
                s.bytes.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: s.writeOffset).copyMemory(from: base, byteCount: length) }
                s.first.append(packet.sequenceNumber)
                s.count.append(c)
                s.offset.append(s.writeOffset)
                s.length.append(length)
                s.messages += c
                s.used += length
                s.writeOffset += length
                // Compact the queue's dead prefix now and then (amortized O(1)).
                if s.head > 4096 && s.head * 2 > s.first.count {
                    s.first.removeFirst(s.head); s.count.removeFirst(s.head)
                    s.offset.removeFirst(s.head); s.length.removeFirst(s.head)
                    s.head = 0
                }
            }
        }
    }

    /// Copies the messages `request` asks for (those still held, starting exactly at its sequence
    /// number, at most its count) into new packets of at most `payloadSize` bytes, calling `body` with
    /// each packet. Returns how many messages were copied (0 when the start is no longer, or not yet,
    /// held, or the session differs).
    @discardableResult
    public func answer(_ request: MoldUDP64Request, payloadSize: Int, _ body: (UnsafeRawBufferPointer) -> Void) -> Int {
        guard request.session == session, request.count > 0, request.sequenceNumber > 0 else { return 0 }
        return withUnsafeTemporaryAllocation(byteCount: max(payloadSize, 64), alignment: 8) { buffer in
            state.withLock { s in
                // Binary search for the entry holding the requested sequence number.
                var lo = s.head, hi = s.first.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if s.first[mid] + UInt64(s.count[mid]) <= request.sequenceNumber { lo = mid + 1 } else { hi = mid }
                }
                guard lo < s.first.count, s.first[lo] <= request.sequenceNumber else {
                    s.forgotten += 1
                    return 0
                }
                var builder = MoldUDP64PacketBuilder(buffer: buffer, session: session,
                                                     firstSequenceNumber: request.sequenceNumber, maxPayloadSize: payloadSize)
                var remaining = Int(request.count)
                var copied = 0
                var entry = lo
                s.bytes.withUnsafeBytes { raw in
                    while remaining > 0 && entry < s.first.count {
                        let packet = try! MoldUDP64Packet(UnsafeRawBufferPointer(start: raw.baseAddress! + s.offset[entry],
                                                                                count: s.length[entry]))
                        for block in packet where block.sequenceNumber >= request.sequenceNumber && remaining > 0 {
                            let m = UnsafeRawBufferPointer(start: block.message.base, count: block.message.length)
                            if builder.append(m) != .appended {
                                body(builder.packet)
                                builder.reset()
                                _ = builder.append(m)
                            }
                            remaining -= 1
                            copied += 1
                        }
                        entry += 1
                    }
                }
                if !builder.isEmpty { body(builder.packet) }
                s.answered += 1
                return copied
            }
        }
    }

    /// Requests answered, and requests for messages no longer (or not yet) held.
    public var statistics: (answered: Int, forgotten: Int) { state.withLock { ($0.answered, $0.forgotten) } }
}

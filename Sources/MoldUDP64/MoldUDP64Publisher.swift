import Market
import Sockets

/// The exchange's MoldUDP64 sending side: packs ITCH messages into packets of at most `payloadSize`
/// bytes, sends them on line A and optionally line B with `sendmmsg` (in batches of up to
/// `batchPackets`), remembers them in a `RetransmissionWindow`, sends heartbeats and the end of session,
/// and injects the configured faults. One owner thread.
///
/// Invariant: packets `0..<built` of the slab are complete and unsent; `builder` fills packet `built`.
public final class MoldUDP64Publisher {
    /// The session written into every packet.
    public let session: MoldUDP64Session
    /// Line A, then line B if there is one.
    public let lines: [SocketAddress]
    /// Largest packet built, bytes.
    public let payloadSize: Int
    /// Packets sent per `sendmmsg` batch.
    public let batchPackets: Int
    /// What was sent so far.
    public private(set) var statistics = PublisherStatistics()
    private let socket: UDPSocket
    private let window: RetransmissionWindow?
    private let faults: FaultInjection
    private var random: SplitMix64
    private let slab: UnsafeMutableRawPointer
    private let slotSize: Int
    private var builder: MoldUDP64PacketBuilder
    private var built = 0
    private let pointers: UnsafeMutablePointer<UnsafeRawPointer?>
    private let lengths: UnsafeMutablePointer<UInt32>
    private let linePointers: UnsafeMutablePointer<UnsafeRawPointer?>
    private let lineLengths: UnsafeMutablePointer<UInt32>
    private let scratch: UnsafeMutableRawPointer
    private var dropCounter = [0, 0]

    /// A publisher sending from `socket` (a multicast sender) to `lines` (A, then B if given).
    public init(socket: UDPSocket, lines: [SocketAddress], session: MoldUDP64Session, firstSequenceNumber: UInt64 = 1,
                payloadSize: Int = MoldUDP64.defaultMaxPayloadSize, batchPackets: Int = 64,
                window: RetransmissionWindow? = nil, faults: FaultInjection = FaultInjection()) {
        precondition(!lines.isEmpty && lines.count <= 2)
        self.socket = socket
        self.lines = lines
        self.session = session
        self.payloadSize = payloadSize
        self.batchPackets = max(1, batchPackets)
        self.window = window
        self.faults = faults
        random = SplitMix64(seed: faults.seed ^ 0x6D6F_6C64_7564_7036)
        slotSize = (payloadSize + 63) & ~63
        slab = .allocate(byteCount: slotSize * (self.batchPackets + 1), alignment: 64)
        pointers = .allocate(capacity: self.batchPackets + 1)
        lengths = .allocate(capacity: self.batchPackets + 1)
        // Per line: every packet at most twice plus one malformed datagram each.
        linePointers = .allocate(capacity: 3 * (self.batchPackets + 1))
        lineLengths = .allocate(capacity: 3 * (self.batchPackets + 1))
        scratch = .allocate(byteCount: slotSize * (self.batchPackets + 1), alignment: 64)
        builder = MoldUDP64PacketBuilder(buffer: UnsafeMutableRawBufferPointer(start: slab, count: payloadSize),
                                         session: session, firstSequenceNumber: firstSequenceNumber, maxPayloadSize: payloadSize)
    }

    deinit {
        slab.deallocate()
        pointers.deallocate()
        lengths.deallocate()
        linePointers.deallocate()
        lineLengths.deallocate()
        scratch.deallocate()
    }

    /// Sequence number the next message will get.
    public var nextSequenceNumber: UInt64 { builder.nextSequenceNumber }

    /// Adds one message (its bytes, no length prefix); sends a batch when the slab is full.
    @inline(__always)
    public func append(_ message: UnsafeRawBufferPointer) throws(SystemError) {
        statistics.messages &+= 1
        if builder.append(message) == .appended { return }
        try closePacket()
        if built == batchPackets { try sendBuilt() }
        _ = builder.append(message)
    }

    /// Sends everything built so far, the partly filled packet included. With `force` false and
    /// reordering injected, a lone packet is kept for the next flush instead (a batch of one has
    /// nothing to swap with, so a paced sender that flushes often would never reorder).
    public func flush(force: Bool = true) throws(SystemError) {
        if !force, faults.reorderRate > 0, built + (builder.isEmpty ? 0 : 1) < 2 { return }
        if !builder.isEmpty { try closePacket() }
        if built > 0 { try sendBuilt() }
    }

    /// Flushes, then sends a heartbeat (count 0, the next sequence number) on every line.
    public func heartbeat() throws(SystemError) {
        try flush()
        try sendControl(count: MoldUDP64.heartbeatCount)
        statistics.heartbeats += 1
    }

    /// Flushes, then sends the end of session (count 0xFFFF) on every line.
    public func endOfSession() throws(SystemError) {
        try flush()
        try sendControl(count: MoldUDP64.endOfSessionCount)
    }

    private func sendControl(count: UInt16) throws(SystemError) {
        // The scratch area is free here: malformed datagrams only live there during a batch send.
        MoldUDP64.writeHeader(session: session, sequenceNumber: builder.nextSequenceNumber, count: count, to: scratch)
        for (index, line) in lines.enumerated() {
            do {
                _ = try socket.send(UnsafeRawBufferPointer(start: scratch, count: MoldUDP64.headerLength), to: line)
            } catch {
                statistics.sendErrors[index] += 1
                statistics.lastSendError = "\(error)"
            }
        }
    }

    /// Ends the packet the builder fills and starts the next one in the following slot.
    private func closePacket() throws(SystemError) {
        let start = builder.nextSequenceNumber
        pointers[built] = UnsafeRawPointer(slab + built * slotSize)
        lengths[built] = UInt32(builder.byteCount)
        built += 1
        statistics.packets += 1
        builder = MoldUDP64PacketBuilder(buffer: UnsafeMutableRawBufferPointer(start: slab + built * slotSize, count: payloadSize),
                                         session: session, firstSequenceNumber: start, maxPayloadSize: payloadSize)
    }

    private func sendBuilt() throws(SystemError) {
        window?.append(pointers, lengths: lengths, count: built)
        for (index, line) in lines.enumerated() {
            var n = 0
            if faults.isEmpty || !faults.applies(toLine: index) {
                for i in 0..<built {
                    linePointers[i] = pointers[i]
                    lineLengths[i] = lengths[i]
                }
                n = built
            } else {
                n = faultyOrder(line: index)
            }
            var sent = 0
            while sent < n {
                do {
                    let k = try socket.send(linePointers + sent, lengths: lineLengths + sent, count: n - sent, to: line)
                    if k == 0 { break }
                    sent += k
                } catch {
                    statistics.sendErrors[index] += n - sent
                    statistics.lastSendError = "\(error)"
                    break
                }
            }
            statistics.datagrams[index] += sent
        }
        // Every caller closed the builder's packet first, so the builder is empty: restart it in slot 0.
        let next = builder.sequenceNumber
        built = 0
        builder = MoldUDP64PacketBuilder(buffer: UnsafeMutableRawBufferPointer(start: slab, count: payloadSize),
                                         session: session, firstSequenceNumber: next, maxPayloadSize: payloadSize)
    }

    /// A uniform draw in [0, 1) from the fault generator.
    private func chance() -> Double { Double(random.next() >> 11) * 0x1p-53 }

    /// Lays out line `index`'s datagrams for the built packets with the faults applied; returns how many.
    private func faultyOrder(line index: Int) -> Int {
        var n = 0
        var malformedUsed = 0
        var i = 0
        while i < built {
            var order = [i]
            if faults.reorderRate > 0, i + 1 < built, chance() < faults.reorderRate {
                order = [i + 1, i]
                statistics.reordered[index] += 1
            }
            for p in order {
                dropCounter[index] += 1
                let dropByCount = faults.dropEvery > 0 && dropCounter[index] % faults.dropEvery == 0
                let dropByChance = faults.dropRate > 0 && chance() < faults.dropRate
                if dropByCount || dropByChance {
                    statistics.dropped[index] += 1
                    continue
                }
                linePointers[n] = pointers[p]
                lineLengths[n] = lengths[p]
                n += 1
                if faults.duplicateRate > 0, chance() < faults.duplicateRate {
                    linePointers[n] = pointers[p]
                    lineLengths[n] = lengths[p]
                    n += 1
                    statistics.duplicated[index] += 1
                }
                if faults.malformedRate > 0, chance() < faults.malformedRate {
                    let out = scratch + malformedUsed * slotSize
                    linePointers[n] = UnsafeRawPointer(out)
                    lineLengths[n] = UInt32(makeMalformed(from: pointers[p]!, length: Int(lengths[p]), into: out))
                    n += 1
                    malformedUsed += 1
                    statistics.malformed[index] += 1
                }
            }
            i += order.count
        }
        return n
    }

    /// Writes a broken variant of a packet at `out` and returns its length: its header and blocks cut in
    /// the middle of the last block, a message count one too high, a 7-byte stub, or random bytes.
    private func makeMalformed(from packet: UnsafeRawPointer, length: Int, into out: UnsafeMutableRawPointer) -> Int {
        let kind = random.next() % 4
        switch kind {
        case 0:
            out.copyMemory(from: packet, byteCount: length)
            return max(MoldUDP64.headerLength + 1, length - 3)
        case 1:
            out.copyMemory(from: packet, byteCount: length)
            let count = UInt16(bigEndian: packet.loadUnaligned(fromByteOffset: MoldUDP64.messageCountOffset, as: UInt16.self))
            out.storeBytes(of: (count &+ 1).bigEndian, toByteOffset: MoldUDP64.messageCountOffset, as: UInt16.self)
            return length
        case 2:
            out.copyMemory(from: packet, byteCount: 7)
            return 7
        default:
            let n = 64
            for k in stride(from: 0, to: n, by: 8) { out.storeBytes(of: random.next(), toByteOffset: k, as: UInt64.self) }
            return n
        }
    }
}

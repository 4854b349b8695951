// Fuzz target `mold`: the input is one UDP payload, parsed as a MoldUDP64 downstream packet (and as
// a retransmission request). Blocks must lie inside the packet; a packet that parses as complete
// must be rebuilt byte for byte by the packet builder; every message is decoded.

import ITCH
import MoldUDP64

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    let packets = seedMoldPackets(seedOrderFlow(seed: 2, count: 60))
    var seeds = packets.enumerated().map { ("packet-\($0.offset).mold", $0.element) }
    var request = [UInt8](repeating: 0, count: 20)
    request.withUnsafeMutableBytes {
        _ = MoldUDP64Request(session: MoldUDP64Session("FUZZSESS01")!, sequenceNumber: 42, count: 7).encode(into: $0.baseAddress!)
    }
    seeds.append(("request.mold", request))
    return seeds
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    if let request = try? MoldUDP64Request(input) { keep(request.sequenceNumber) }
    guard let packet = try? MoldUDP64Packet(input) else { return 0 }
    let lower = UnsafeRawPointer(data)
    var sum: UInt64 = 0
    var blocks = 0
    let end = packet.forEachBlock { block in
        if block.message.base < lower + 22 || block.message.base + block.message.length > lower + size {
            propertyFailed("block outside packet")
        }
        if block.sequenceNumber != packet.sequenceNumber &+ UInt64(blocks) { propertyFailed("sequence numbering") }
        blocks += 1
        sum &+= exercise(block.message)
    }
    if blocks > packet.announcedBlocks { propertyFailed("more blocks than announced") }
    if end == .complete, packet.kind != .endOfSession {
        // Round trip: the builder must produce exactly these bytes from the decoded blocks.
        let rebuilt = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { rebuilt.deallocate() }
        var builder = MoldUDP64PacketBuilder(buffer: rebuilt, session: packet.session,
                                             firstSequenceNumber: packet.sequenceNumber, maxPayloadSize: size)
        packet.forEachBlock { block in
            if builder.append(block.message.bytes) != .appended { propertyFailed("rebuild refused a block") }
        }
        if builder.byteCount != size || !builder.packet.elementsEqual(input) { propertyFailed("rebuilt packet differs") }
    }
    keep(sum)
    return 0
}

// Fuzz target `pcap`: the input is a capture (classic pcap or pcapng). Every UDP payload must lie
// inside the input; each is parsed as MoldUDP64 and every message decoded.

import ITCH
import MoldUDP64
import PacketCapture

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    let frames = seedFrames(seedMoldPackets(seedOrderFlow(seed: 3, count: 40), maxPayload: 300))
    let classic = seedClassicPcap(frames)
    return [("classic.pcap", classic), ("cut.pcap", Array(classic.dropLast(9))), ("capture.pcapng", seedPcapng(frames))]
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let reader = try? PcapReader(bytes: UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    let lower = UnsafeRawPointer(data)
    var sum: UInt64 = 0
    let (statistics, _) = reader.forEach { datagram in
        if let base = datagram.payload.baseAddress, base < lower || base + datagram.payload.count > lower + size {
            propertyFailed("payload outside input")
        }
        sum &+= datagram.timestamp &+ UInt64(datagram.destination.address)
        guard let packet = try? MoldUDP64Packet(datagram.payload) else { return }
        packet.forEachBlock { sum &+= exercise($0.message) }
    }
    if statistics.datagrams > statistics.frames { propertyFailed("more datagrams than frames") }
    keep(sum)
    return 0
}

// Fuzz target `snapshot`: the snapshot protocol between a gateway and its feed node (Multicast
// module's SnapshotProtocol, docs/wire-format.md): the answer a gateway reads (first byte even) and
// the request a feed node reads (first byte odd), from the network. Properties: no crash; the answer
// decoder consumes only whole channels, never past its input, and what it accepted encodes back to
// exactly the bytes it consumed but for the directory entries' reserved byte (so every entry it kept
// is the entry it was sent: a directory entry names the instrument of the quote that follows it); fed one byte more at a time it never takes
// back a channel it accepted; a request parses to channels below the count, or is refused, or waits
// for more bytes only while a longer input could still complete it.

import Market
import MoldUDP64
import Multicast

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    var quote = Tick()
    quote.kind = .quote
    quote.symbol = Symbol("AAPL")!
    quote.locate = 7
    quote.seq = 42
    quote.bidCount = 1
    quote.bids[0] = PriceLevel(price: 1_892_500, size: 300)
    var other = quote
    other.symbol = Symbol("MSFT")!
    other.locate = 8
    other.askCount = 1
    other.asks[0] = PriceLevel(price: 4_100_000, size: 10)
    // One entry with bars (1 s and 1 m) and a tape, one without.
    var traded = InstrumentSnapshot(state: quote)
    for (i, second) in [34_200, 34_201, 34_261].enumerated() {
        traded.candles.record(price: 1_892_500 + UInt32(i), size: 100, timestamp: UInt64(second) * 1_000_000_000)
        traded.tape.append(TapeTrade(seq: UInt64(40 + i), timestamp: UInt64(second) * 1_000_000_000, price: 1_892_500 + UInt32(i),
                                     size: 100, side: UInt8(ascii: "B")))
    }
    var answer: [UInt8] = [0]
    SnapshotProtocol.encode(channel: 0, session: MoldUDP64Session("Q1234567")!, nextSequence: 17,
                            entries: [traded, InstrumentSnapshot(state: other)], to: &answer)
    SnapshotProtocol.encode(channel: 3, session: MoldUDP64Session("Q1234567")!, nextSequence: 1, entries: [], to: &answer)
    return [
        ("answer.snap", answer),
        ("cut.snap", Array(answer.dropLast(9))),
        ("request.snap", [1] + SnapshotProtocol.request(channels: [0, 1, 3])),
        ("bad-request.snap", [1] + Array("QCS2".utf8) + [1, 0]),
    ]
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] & 1 == 1 {
        checkRequest(bytes)
        return 0
    }
    guard let (snapshots, consumed) = try? SnapshotProtocol.decode(bytes) else { return 0 }
    if consumed > bytes.count { propertyFailed("consumed \(consumed) of \(bytes.count) bytes") }
    var again: [UInt8] = []
    for s in snapshots {
        if s.entries.contains(where: { $0.state.kind != .quote }) { propertyFailed("a state that is not a quote") }
        if s.entries.contains(where: { $0.instrument.map { $0.kind != .instrument } ?? false }) {
            propertyFailed("an entry's reference data that is not an instrument tick")
        }
        SnapshotProtocol.encode(channel: s.channel, session: s.session, nextSequence: s.nextSequence, entries: s.entries, to: &again)
    }
    // Byte for byte, but for the directory entries' reserved byte (sent 0, ignored when read).
    var sent = Array(bytes[0..<consumed])
    if again.count == sent.count {
        var o = 0
        while o + 3 < again.count {
            let n = Int(again[o]) << 8 | Int(again[o + 1])
            if n >= 2 && again[o + 2] == UInt8(ascii: "R") { sent[o + 3] = 0 }
            o += 2 + n
        }
    }
    if again != sent {
        propertyFailed("\(snapshots.count) channels accepted from \(consumed) bytes encode back to \(again.count) other bytes")
    }
    // A prefix decodes to a prefix of the channels: more bytes never undo an accepted channel.
    let cut = bytes.count / 2
    if let (early, earlyConsumed) = try? SnapshotProtocol.decode(Array(bytes[0..<cut])) {
        if earlyConsumed > consumed || early.count > snapshots.count || !zip(early, snapshots).allSatisfy({ $0.channel == $1.channel }) {
            propertyFailed("the first \(cut) bytes give \(early.count) channels, all \(bytes.count) give \(snapshots.count)")
        }
    }
    return 0
}

func checkRequest(_ bytes: [UInt8]) {
    let channelCount = 4
    do {
        if let channels = try SnapshotProtocol.parseRequest(bytes, channelCount: channelCount) {
            if channels.contains(where: { $0 < 0 || $0 >= channelCount }) { propertyFailed("channel out of range \(channels)") }
            if bytes.count != 5 + channels.count { propertyFailed("\(channels.count) channels from \(bytes.count) bytes") }
        } else if bytes.count >= 5 && bytes.count >= 5 + Int(bytes[4]) {
            propertyFailed("a complete request of \(bytes.count) bytes is still waiting")
        }
    } catch {
        keep(UInt64(bytes.count))
    }
}

// Shared by the ITCH libFuzzer targets (dayfile, mold, pcap, book; built by scripts/fuzz, not by
// SwiftPM): decoding every framed message, and seeds written from the project's own encoders.

import ITCH
import Market
import MoldUDP64
import PacketCapture

/// Decodes a framed message and reads its fields, so every view's loads run under AddressSanitizer;
/// returns a fold of what it read (kept alive by `keep`).
@inline(never)
func exercise(_ message: FramedMessage) -> UInt64 {
    guard case .message(let decoded) = message.decode() else { return 0 }
    switch decoded {
    case .addOrder(let m): return m.orderReference &+ UInt64(m.price) &+ UInt64(m.shares) &+ m.stock.raw &+ m.timestamp
    case .addOrderMPID(let m): return m.orderReference &+ UInt64(m.price) &+ UInt64(m.attribution)
    case .orderExecuted(let m): return m.orderReference &+ UInt64(m.executedShares) &+ m.matchNumber
    case .orderExecutedWithPrice(let m): return m.matchNumber &+ UInt64(m.executionPrice) &+ UInt64(m.printable)
    case .orderCancel(let m): return m.orderReference &+ UInt64(m.cancelledShares)
    case .orderDelete(let m): return m.orderReference &+ UInt64(m.stockLocate)
    case .orderReplace(let m): return m.newOrderReference &+ UInt64(m.price) &+ UInt64(m.shares)
    case .nonCrossTrade(let m): return m.matchNumber &+ UInt64(m.price)
    case .crossTrade(let m): return m.shares &+ UInt64(m.crossType)
    case .stockDirectory(let m): return m.stock.raw &+ UInt64(m.inverseIndicator)
    case .stockTradingAction(let m): return UInt64(m.reason) &+ UInt64(m.tradingState)
    case .netOrderImbalance(let m): return m.pairedShares &+ UInt64(m.priceVariationIndicator)
    case .directListingPriceDiscovery(let m): return m.nearExecutionTime &+ UInt64(m.upperPriceRangeCollar)
    default: return UInt64(message.base.load(as: UInt8.self))
    }
}

// MARK: - Seeds from the project's encoders

/// Encodes one message into a new array.
func encoded(_ length: Int, _ body: (UnsafeMutableRawPointer) -> Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: length)
    bytes.withUnsafeMutableBytes { raw in
        let n = body(raw.baseAddress!)
        precondition(n == length)
    }
    return bytes
}

/// A small, plausible order flow over three instruments: system event, directory, trading action,
/// then adds, executions, cancels, replaces, deletes and trades on live and unknown orders.
func seedOrderFlow(seed: UInt64, count: Int) -> [[UInt8]] {
    var rng = SplitMix64(seed: seed)
    var time: UInt64 = 34_200_000_000_000
    func header(_ locate: UInt16) -> ITCHHeader {
        time += UInt64.random(in: 1...50_000, using: &rng)
        return ITCHHeader(stockLocate: locate, trackingNumber: 0, timestamp: time)
    }
    let symbols = ["AAPL", "MSFT", "ZVZZT"].map { Symbol($0)! }
    var out: [[UInt8]] = [encoded(SystemEvent.Layout.length) { SystemEvent.encode(header(0), eventCode: 0x4F, into: $0) }]
    for (i, symbol) in symbols.enumerated() {
        let locate = UInt16(i + 1)
        out.append(encoded(StockDirectory.Layout.length) {
            StockDirectory.encode(header(locate), stock: symbol, marketCategory: 0x51, financialStatusIndicator: 0x4E,
                                  roundLotSize: 100, roundLotsOnly: 0x4E, issueClassification: 0x43, issueSubType: 0x5A20,
                                  authenticity: 0x50, shortSaleThresholdIndicator: 0x4E, ipoFlag: 0x20,
                                  luldReferencePriceTier: 0x31, etpFlag: 0x4E, etpLeverageFactor: 0, inverseIndicator: 0x4E,
                                  into: $0)
        })
        out.append(encoded(StockTradingAction.Layout.length) {
            StockTradingAction.encode(header(locate), stock: symbol, tradingState: 0x54, reserved: 0x20,
                                      reason: 0x2020_2020, into: $0)
        })
    }
    var live: [(reference: UInt64, locate: UInt16, side: UInt8, price: UInt32, shares: UInt32)] = []
    var nextReference: UInt64 = 1
    var match: UInt64 = 1
    while out.count < count {
        let locate = UInt16.random(in: 1...3, using: &rng)
        let pick = live.isEmpty ? 0 : Int.random(in: 0..<10, using: &rng)
        let index = live.isEmpty ? 0 : Int.random(in: 0..<live.count, using: &rng)
        switch pick {
        case 0...3:
            let side: UInt8 = Bool.random(using: &rng) ? 0x42 : 0x53
            let price = UInt32(1_000_000 + Int.random(in: -5_000...5_000, using: &rng) / 100 * 100)
            let shares = UInt32.random(in: 1...20, using: &rng) * 100
            let reference = nextReference
            nextReference += 1
            let symbol = symbols[Int(locate) - 1]
            if pick == 3 {
                out.append(encoded(AddOrderMPID.Layout.length) {
                    AddOrderMPID.encode(header(locate), orderReference: reference, side: side, shares: shares, stock: symbol,
                                        price: price, attribution: alpha4("GSCO"), into: $0)
                })
            } else {
                out.append(encoded(AddOrder.Layout.length) {
                    AddOrder.encode(header(locate), orderReference: reference, side: side, shares: shares, stock: symbol,
                                    price: price, into: $0)
                })
            }
            live.append((reference, locate, side, price, shares))
        case 4:
            let o = live[index]
            let executed = min(o.shares, 100)
            out.append(encoded(OrderExecuted.Layout.length) {
                OrderExecuted.encode(header(o.locate), orderReference: o.reference, executedShares: executed,
                                     matchNumber: match, into: $0)
            })
            match += 1
            live[index].shares -= executed
            if live[index].shares == 0 { live.remove(at: index) }
        case 5:
            let o = live[index]
            out.append(encoded(OrderExecutedWithPrice.Layout.length) {
                OrderExecutedWithPrice.encode(header(o.locate), orderReference: o.reference, executedShares: o.shares,
                                              matchNumber: match, printable: 0x59, executionPrice: o.price + 100, into: $0)
            })
            match += 1
            live.remove(at: index)
        case 6:
            let o = live[index]
            let cancelled = o.shares > 100 ? 100 : o.shares
            out.append(encoded(OrderCancel.Layout.length) {
                OrderCancel.encode(header(o.locate), orderReference: o.reference, cancelledShares: cancelled, into: $0)
            })
            live[index].shares -= cancelled
            if live[index].shares == 0 { live.remove(at: index) }
        case 7:
            let o = live[index]
            let reference = nextReference
            nextReference += 1
            out.append(encoded(OrderReplace.Layout.length) {
                OrderReplace.encode(header(o.locate), originalOrderReference: o.reference, newOrderReference: reference,
                                    shares: o.shares + 100, price: o.price &- 100, into: $0)
            })
            live[index] = (reference, o.locate, o.side, o.price &- 100, o.shares + 100)
        case 8:
            let o = live[index]
            out.append(encoded(OrderDelete.Layout.length) {
                OrderDelete.encode(header(o.locate), orderReference: o.reference, into: $0)
            })
            live.remove(at: index)
        default:
            // A trade, and a delete of an order the feed never saw (a mid-session join).
            out.append(encoded(NonCrossTrade.Layout.length) {
                NonCrossTrade.encode(header(locate), orderReference: 0, side: 0x42, shares: 300, stock: symbols[Int(locate) - 1],
                                     price: 1_000_000, matchNumber: match, into: $0)
            })
            match += 1
            out.append(encoded(OrderDelete.Layout.length) {
                OrderDelete.encode(header(locate), orderReference: 999_999_999, into: $0)
            })
        }
    }
    return out
}

/// Messages framed as a day-file.
func seedDayFile(_ messages: [[UInt8]]) -> [UInt8] {
    messages.flatMap { [UInt8($0.count >> 8), UInt8($0.count & 0xFF)] + $0 }
}

/// The messages packed into MoldUDP64 packets of at most `maxPayload` bytes, numbered from 1.
func seedMoldPackets(_ messages: [[UInt8]], maxPayload: Int = 400) -> [[UInt8]] {
    let session = MoldUDP64Session("FUZZSESS01")!
    var packets: [[UInt8]] = []
    var buffer = [UInt8](repeating: 0, count: maxPayload)
    buffer.withUnsafeMutableBytes { raw in
        var builder = MoldUDP64PacketBuilder(buffer: raw, session: session, maxPayloadSize: maxPayload)
        for message in messages {
            if message.withUnsafeBytes({ builder.append($0) }) == .full {
                packets.append(Array(builder.packet))
                builder.reset()
                _ = message.withUnsafeBytes { builder.append($0) }
            }
        }
        packets.append(Array(builder.packet))
        var last = [UInt8](repeating: 0, count: 20)
        _ = last.withUnsafeMutableBytes {
            MoldUDP64.encodeHeartbeat(session: session, nextSequenceNumber: builder.nextSequenceNumber, into: $0.baseAddress!)
        }
        packets.append(last)
        _ = last.withUnsafeMutableBytes {
            MoldUDP64.encodeEndOfSession(session: session, nextSequenceNumber: builder.nextSequenceNumber, into: $0.baseAddress!)
        }
        packets.append(last)
    }
    return packets
}

/// Ethernet/IPv4/UDP frames around each payload, every other one behind a VLAN tag.
func seedFrames(_ payloads: [[UInt8]]) -> [[UInt8]] {
    let source = IPv4Endpoint("10.0.0.1:40000")!
    let group = IPv4Endpoint("239.192.0.1:26400")!
    return payloads.enumerated().map { i, payload in
        let tags: [UInt16] = i % 2 == 0 ? [] : [100]
        var frame = [UInt8](repeating: 0, count: EthernetUDPFrame.length(payloadCount: payload.count, vlanCount: tags.count))
        frame.withUnsafeMutableBytes { out in
            payload.withUnsafeBytes {
                _ = EthernetUDPFrame.encode(payload: $0, source: source, destination: group, vlanTags: tags,
                                            into: out.baseAddress!)
            }
        }
        return frame
    }
}

/// A classic little-endian nanosecond pcap of the frames.
func seedClassicPcap(_ frames: [[UInt8]]) -> [UInt8] {
    var out: [UInt8] = le32(0xA1B2_3C4D) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(1)
    for (i, frame) in frames.enumerated() {
        out += le32(1_577_716_200) + le32(UInt32(i) * 1000) + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame
    }
    return out
}

/// A little-endian pcapng (SHB, IDB with nanosecond resolution, EPBs, one SPB) of the frames.
func seedPcapng(_ frames: [[UInt8]]) -> [UInt8] {
    func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
        var padded = body
        while padded.count % 4 != 0 { padded.append(0) }
        let total = le32(UInt32(padded.count + 12))
        return le32(type) + total + padded + total
    }
    var out = block(0x0A0D_0D0A, le32(0x1A2B_3C4D) + [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
    out += block(1, [1, 0, 0, 0] + le32(65535) + [9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0])
    for (i, frame) in frames.enumerated() {
        if i == frames.count - 1 {
            out += block(3, le32(UInt32(frame.count)) + frame)
        } else {
            out += block(6, le32(0) + le32(0x1619_0000) + le32(UInt32(i)) + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame)
        }
    }
    return out
}

func le32(_ v: UInt32) -> [UInt8] { [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: v >> UInt32($0)) } }

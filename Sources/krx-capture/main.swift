// krx-capture: writes KOSCOM records built by quotecast's encoders into a pcap, and reads a pcap's
// KOSCOM records back with quotecast's decoder, in forms `scripts/krx-tshark-check` compares with
// what Wireshark's KOSCOM dissector (run by tshark) finds in the same file. A development tool for
// the codec; `quotecast simulate --market krx` and `quotecast book` take this over once the KRX feed
// is wired into the CLI.
import Foundation
import ITCH
import KRX
import KRXSimulator
import Market
import PacketCapture

let usage = """
    usage: krx-capture write FILE.pcap [--day] [--listings N] [--records N] [--seed N] [--kospi GROUP:PORT] [--kosdaq GROUP:PORT]
           krx-capture read FILE.pcap [--fields]

    write   the instrument master batch of N listings (default 20), then --records records (default 5000) of
            KRXRecordMix (seed --seed, default 1) in payloads of at most 1400 bytes; KOSPI records go to
            --kospi (default 239.255.190.1:10031), KOSDAQ ones to --kosdaq (default 239.255.190.2:10141),
            polling records to both. Prints `records TRCODE COUNT` per TR code written. With --day, instead
            the simulated trading day of KRXTradingDay (N listings, seed --seed; --records ignored), each
            payload at its simulated time, and what the day did on standard error.
    read    decodes every UDP payload of the capture; prints `records TRCODE COUNT` per TR code accepted
            and `refused REASON COUNT` per reason. With --fields, instead one tab-separated line per
            datagram without instrument master records: frame number, then the TR codes, sequence
            numbers, ISINs, ask/bid level 1 prices, ask level 1 volumes, trade prices and volumes of
            its records, each a comma-separated list in record order.
    """

func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("krx-capture: \(message)\n".utf8))
    exit(status)
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("-h") || arguments.contains("--help") {
    print(usage)
    exit(0)
}
guard arguments.count >= 2 else { fail("expected a command and a file (--help explains)") }
let command = arguments.removeFirst()
let path = arguments.removeFirst()

/// The value of `--name` in what is left of the arguments, parsed by `parse`.
@MainActor func option<T>(_ name: String, default value: T, _ parse: (String) -> T?) -> T {
    guard let at = arguments.firstIndex(of: name) else { return value }
    guard at + 1 < arguments.count, let parsed = parse(arguments[at + 1]) else { fail("\(name) needs a valid value") }
    arguments.removeSubrange(at...(at + 1))
    return parsed
}

switch command {
case "write":
    let day = arguments.contains("--day")
    arguments.removeAll { $0 == "--day" }
    let listingCount = option("--listings", default: 20) { Int($0).flatMap { (1...1_000).contains($0) ? $0 : nil } }
    let recordCount = option("--records", default: 5_000) { Int($0).flatMap { $0 >= 0 && $0 <= 10_000_000 ? $0 : nil } }
    let seed = option("--seed", default: UInt64(1)) { UInt64($0) }
    let kospi = option("--kospi", default: IPv4Endpoint("239.255.190.1:10031")!) { IPv4Endpoint($0) }
    let kosdaq = option("--kosdaq", default: IPv4Endpoint("239.255.190.2:10141")!) { IPv4Endpoint($0) }
    if let extra = arguments.first { fail("unknown argument \(extra)") }
    let listings = KRXListingGenerator.listings(count: listingCount, seed: seed)
    var mix = KRXRecordMix(listings: listings, seed: seed)
    var counts: [String: Int] = [:]
    let writer: PcapWriter
    do { writer = try PcapWriter(path: path) } catch { fail("cannot write \(path): \(error)", status: 1) }
    let source = IPv4Endpoint("10.1.1.1:20000")!
    var time: UInt64 = 1_767_571_200_000_000_000 + 8 * 3_600_000_000_000  // 2026-01-05 08:00 UTC
    func send(_ payload: [UInt8], to destination: IPv4Endpoint) {
        time += 10_000
        do { try writer.write(payload: payload, timestamp: time, source: source, destination: destination) } catch {
            fail("cannot write \(path): \(error)", status: 1)
        }
        payload.withUnsafeBytes { raw in
            var reader = KRXRecordReader(payload: raw)
            while let record = reader.next() { counts[record.trCode.description, default: 0] += 1 }
            if reader.statistics.refusedTotal > 0 { fail("the encoder wrote a record the decoder refuses", status: 1) }
        }
    }
    if day {
        var configuration = KRXSimulatorConfiguration()
        configuration.seed = seed
        configuration.instrumentCount = listingCount
        var tradingDay = KRXTradingDay(configuration)
        let dayStart: UInt64 = 1_767_571_200_000_000_000 - 9 * 3_600_000_000_000  // 2026-01-05 00:00 KST
        while let payload = tradingDay.nextPayload() {
            time = dayStart + UInt64(payload.time) * 1_000 - 10_000
            let market = TRCode(at: payload.bytes.withUnsafeBytes { $0.baseAddress! }).market
            if market != .kosdaq { send(payload.bytes, to: kospi) }
            if market == .kosdaq || market == nil { send(payload.bytes, to: kosdaq) }
        }
        let s = tradingDay.statistics
        FileHandle.standardError.write(Data("""
            krx-capture: day of \(listingCount) listings: \(s.payloads) payloads, VIs static \(s.staticVIs) dynamic \(s.dynamicVIs) \
            both \(s.bothVIs), extended auctions \(s.extendedAuctions), halts \(s.halts), news \(s.news), uncrosses \(s.uncrosses), \
            continuous trades \(s.continuousTrades)

            """.utf8))
    } else {
        writeMix()
    }
    func writeMix() {
    // The master batch first, in payloads of its own (the dissector misreads A001, so the check
    // leaves those datagrams out).
    for record in mix.masterBatch() {
        send(record, to: TRCode(at: record.withUnsafeBytes { $0.baseAddress! }).market == .kospi ? kospi : kosdaq)
    }
    var packers = [KRXPayloadPacker(maxPayloadSize: 1_400), KRXPayloadPacker(maxPayloadSize: 1_400)]
    var scratch = [UInt8](repeating: 0, count: InstrumentMasterRecord.Layout.length)
    for i in 0..<recordCount {
        let length = scratch.withUnsafeMutableBytes { mix.next(into: $0.baseAddress!) }
        let record = Array(scratch[0..<length])
        let market = TRCode(at: record.withUnsafeBytes { $0.baseAddress! }).market
        for (p, line) in [KRXMarket.kospi, .kosdaq].enumerated() where market == line || market == nil {
            packers[p].append(time: 0) { out in
                record.withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: length) }
                return length
            }
            if i % 4 == 3 { packers[p].flush() }
        }
    }
    for (p, destination) in [kospi, kosdaq].enumerated() {
        packers[p].flush()
        for payload in packers[p].take() { send(payload.bytes, to: destination) }
    }
    }
    do { try writer.close() } catch { fail("cannot write \(path): \(error)", status: 1) }
    for (code, count) in counts.sorted(by: { $0.key < $1.key }) { print("records \(code) \(count)") }

case "read":
    let fields = arguments.contains("--fields")
    arguments.removeAll { $0 == "--fields" }
    if let extra = arguments.first { fail("unknown argument \(extra)") }
    let reader: PcapReader
    do { reader = try PcapReader(path: path) } catch { fail("cannot read \(path): \(error)", status: 1) }
    var counts: [String: Int] = [:]
    var statistics = KRXDecodeStatistics()
    var frame = 0
    for datagram in reader {
        frame += 1
        var records = KRXRecordReader(payload: datagram.payload)
        var codes: [String] = [], sequences: [String] = [], isins: [String] = [], asks: [String] = [], bids: [String] = []
        var askVolumes: [String] = [], prices: [String] = [], volumes: [String] = []
        var hasMaster = false
        func header(_ h: KRXRecordHeader) {
            sequences.append(String(h.sequenceNumber))
            isins.append(h.isin.description)
        }
        func text(_ value: Int64?) -> String { value.map(String.init) ?? "" }
        while let record = records.next() {
            switch record {
            case .polling: break
            case .quote(let q):
                header(q.header)
                asks.append(text(q.askPrice(level: 1)))
                bids.append(text(q.bidPrice(level: 1)))
                askVolumes.append(text(q.askQuantity(level: 1)))
            case .trade(let t):
                header(t.header)
                prices.append(text(t.price))
                volumes.append(text(t.quantity))
            case .marketOperation(let e): header(e.header)
            case .basePrice(let b): header(b.header)
            case .issueClosing(let c): header(c.header)
            case .volatilityInterruption(let v): header(v.header)
            case .instrumentMaster, .endOfBatch: hasMaster = true
            }
            codes.append(record.trCode.description)
        }
        statistics.add(records.statistics)
        for code in codes { counts[code, default: 0] += 1 }
        if fields, !hasMaster {
            print(([String(frame)] + [codes, sequences, isins, asks, bids, askVolumes, prices, volumes].map { $0.joined(separator: ",") })
                .joined(separator: "\t"))
        }
    }
    if !fields {
        for (code, count) in counts.sorted(by: { $0.key < $1.key }) { print("records \(code) \(count)") }
        for reason in KRXRecordError.allCases { print("refused \(reason.label) \(statistics.refused(reason))") }
    }

default:
    fail("unknown command \(command) (write or read)")
}

// Fuzz target `krx`: the input is one UDP payload of KOSCOM records. Every record the reader yields
// must lie inside the input and within its kind's length; accepted and refused records together
// must account for the input; every field of every accepted record is read (under AddressSanitizer)
// and its value survives an encode and a second decode unchanged.

import KRX
import KRXSimulator
import Market

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    let listings = KRXListingGenerator.listings(count: 6, seed: 4)
    var mix = KRXRecordMix(listings: listings, seed: 4)
    var seeds: [(String, [UInt8])] = []
    var packer = KRXPayloadPacker(maxPayloadSize: 1_400)
    for _ in 0..<120 {
        packer.append(time: 0) { mix.next(into: $0) }
    }
    packer.flush()
    for (i, payload) in packer.take().enumerated() { seeds.append(("payload-\(i).krx", payload.bytes)) }
    seeds.append(("master.krx", mix.masterBatch().prefix(2).flatMap { $0 }))
    seeds.append(("end-of-batch.krx", mix.masterBatch().last!))
    seeds.append(("short-end-of-batch.krx", Array("A001Q0000000799999999".utf8) + [0xFF]))
    return seeds
}

@inline(never)
func roundTrip<T: Equatable>(_ value: T, _ encode: (T, UnsafeMutableRawPointer) -> Int, _ decode: (KRXRecord) -> T?) {
    var bytes = [UInt8](repeating: 0, count: InstrumentMasterRecord.Layout.length)
    let length = bytes.withUnsafeMutableBytes { encode(value, $0.baseAddress!) }
    let again = bytes.withUnsafeBytes { raw -> T? in
        var reader = KRXRecordReader(payload: UnsafeRawBufferPointer(rebasing: raw[0..<length]))
        return reader.next().flatMap(decode)
    }
    if again != value { propertyFailed("re-encoded record decodes differently: \(value) → \(String(describing: again))") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let lower = UnsafeRawPointer(data)
    var reader = KRXRecordReader(payload: input)
    var records = 0
    var sum: UInt64 = 0
    func inside(_ base: UnsafeRawPointer, _ length: Int) {
        if base < lower || base + length > lower + size { propertyFailed("record outside the payload") }
    }
    while let record = reader.next() {
        records += 1
        switch record {
        case .polling(let p):
            inside(p.bytes.base, PollingRecord.Layout.length)
            sum &+= UInt64(p.minutesSinceMidnight)
        case .quote(let q):
            inside(q.bytes.base, QuoteRecord.Layout.length)
            roundTrip(q.contents, { QuoteRecord.encode($0, into: $1) }) { if case .quote(let r) = $0 { r.contents } else { nil } }
        case .trade(let t):
            inside(t.bytes.base, TradeRecord.Layout.length)
            roundTrip(t.contents, { TradeRecord.encode($0, into: $1) }) { if case .trade(let r) = $0 { r.contents } else { nil } }
        case .marketOperation(let e):
            inside(e.bytes.base, MarketOperationRecord.Layout.length)
            roundTrip(e.contents, { MarketOperationRecord.encode($0, into: $1) }) {
                if case .marketOperation(let r) = $0 { r.contents } else { nil }
            }
        case .basePrice(let b):
            inside(b.bytes.base, BasePriceRecord.Layout.length)
            roundTrip(b.contents, { BasePriceRecord.encode($0, into: $1) }) { if case .basePrice(let r) = $0 { r.contents } else { nil } }
        case .issueClosing(let c):
            inside(c.bytes.base, IssueClosingRecord.Layout.length)
            roundTrip(c.contents, { IssueClosingRecord.encode($0, into: $1) }) {
                if case .issueClosing(let r) = $0 { r.contents } else { nil }
            }
        case .volatilityInterruption(let v):
            inside(v.bytes.base, VolatilityInterruptionRecord.Layout.length)
            roundTrip(v.contents, { VolatilityInterruptionRecord.encode($0, into: $1) }) {
                if case .volatilityInterruption(let r) = $0 { r.contents } else { nil }
            }
        case .instrumentMaster(let m):
            inside(m.bytes.base, InstrumentMasterRecord.Layout.length)
            let contents = m.contents
            // A name that is not CP949 decodes as nil and cannot be written back.
            if contents.koreanName != nil {
                roundTrip(contents, { InstrumentMasterRecord.encode($0, into: $1) }) {
                    if case .instrumentMaster(let r) = $0 { r.contents } else { nil }
                }
            }
        case .endOfBatch(let code, let sequence):
            sum &+= code.raw &+ UInt64(bitPattern: sequence)
        }
    }
    let statistics = reader.statistics
    if statistics.acceptedTotal != records { propertyFailed("accepted count \(statistics.acceptedTotal) ≠ records \(records)") }
    if size > 0, records == 0, statistics.refusedTotal == 0 { propertyFailed("non-empty input neither accepted nor refused") }
    if reader.offset != size { propertyFailed("reader stopped at \(reader.offset) of \(size)") }
    keep(sum)
    return 0
}

import Foundation
import KRX
import KRXBook
import KRXSimulator
import Market

/// The Korea Exchange feed-handler benchmarks, single thread: `krx.decode` reads every record of
/// `krxRecordCount` records over 40 listings (`KRXRecordMix`, seed 1: 70 % quotes, 26 % trades),
/// packed into payloads of at most 1 400 bytes, validating each and reading one of its fields;
/// `krx.apply` decodes a simulated trading day (`KRXTradingDay`, 40 listings, seed 1, 30 orders a
/// minute: auctions, VIs, halts and all) and applies every record to a `KRXMarketState`, following
/// each instrument's sequence numbers with a `KRXSequenceTracker` as the feed will.
let krxSuite: [Benchmark] = [
    Benchmark(name: "krx.decode") { [krxDecodeBenchmark()] },
    Benchmark(name: "krx.apply") { [krxApplyBenchmark()] },
]

/// 2 M records in a release build, 100 k in debug.
let krxRecordCount = isOptimizedBuild ? 2_000_000 : 100_000
let krxRuns = isOptimizedBuild ? 5 : 1

/// The payloads the decode benchmark reads, built once per process: one flat buffer and the
/// payloads' (offset, length).
let krxBenchmarkPayloads: (bytes: [UInt8], payloads: [(Int, Int)]) = {
    var mix = KRXRecordMix(listings: KRXListingGenerator.listings(count: 40, seed: 1), seed: 1)
    var packer = KRXPayloadPacker(maxPayloadSize: 1_400)
    var bytes: [UInt8] = []
    var payloads: [(Int, Int)] = []
    for i in 0..<krxRecordCount {
        packer.append(time: 0) { mix.next(into: $0) }
        if i % 3 == 2 { packer.flush() }
        for payload in packer.take() {
            payloads.append((bytes.count, payload.bytes.count))
            bytes += payload.bytes
        }
    }
    packer.flush()
    for payload in packer.take() {
        payloads.append((bytes.count, payload.bytes.count))
        bytes += payload.bytes
    }
    return (bytes, payloads)
}()

func krxDecodeBenchmark() -> BenchmarkResult {
    let (bytes, payloads) = krxBenchmarkPayloads
    let rate = medianOf(runs: krxRuns) {
        bytes.withUnsafeBytes { raw in
            var checksum: Int64 = 0
            var count = 0
            var refused = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for (offset, length) in payloads {
                var reader = KRXRecordReader(payload: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + length]))
                while let record = reader.next() {
                    // Read a field of every record so the decode cannot be optimized away.
                    switch record {
                    case .quote(let q): checksum &+= q.sequenceNumber &+ (q.askPrice(level: 1) ?? 0)
                    case .trade(let t): checksum &+= t.sequenceNumber &+ (t.price ?? 0)
                    case .marketOperation(let e): checksum &+= e.sequenceNumber
                    case .volatilityInterruption(let v): checksum &+= v.sequenceNumber
                    case .basePrice(let b): checksum &+= b.sequenceNumber
                    case .issueClosing(let c): checksum &+= c.sequenceNumber
                    case .polling(let p): checksum &+= Int64(p.minutesSinceMidnight)
                    case .instrumentMaster, .endOfBatch: checksum &+= 1
                    }
                    count += 1
                }
                refused += reader.statistics.refusedTotal
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            precondition(checksum != 42 && count == krxRecordCount && refused == 0)
            return Double(count) / (Double(elapsed) / 1e9)
        }
    }
    return BenchmarkResult(name: "krx.decode", value: rate, unit: "records/s", runs: krxRuns)
}

/// The simulated day `krx.apply` replays: one flat buffer, the payloads' (offset, length), the
/// record count.
let krxBenchmarkDay: (bytes: [UInt8], payloads: [(Int, Int)], records: Int) = {
    var configuration = KRXSimulatorConfiguration()
    configuration.instrumentCount = 40
    configuration.ordersPerMinute = isOptimizedBuild ? 30 : 3
    var day = KRXTradingDay(configuration)
    var bytes: [UInt8] = []
    var payloads: [(Int, Int)] = []
    while let payload = day.nextPayload() {
        payloads.append((bytes.count, payload.bytes.count))
        bytes += payload.bytes
    }
    return (bytes, payloads, day.statistics.records.reduce(0, +))
}()

func krxApplyBenchmark() -> BenchmarkResult {
    let (bytes, payloads, records) = krxBenchmarkDay
    let passes = 3
    let rate = medianOf(runs: krxRuns) {
        bytes.withUnsafeBytes { raw in
            var applied = 0
            var gaps = 0
            var lastSum: Int64 = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<passes {
                var state = KRXMarketState(capacity: 1_024)
                var tracker = KRXSequenceTracker(instrumentCapacity: 1_024)
                for (offset, length) in payloads {
                    var reader = KRXRecordReader(payload: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + length]))
                    while let record = reader.next() {
                        if let (isin, board, sequence) = record.sequenceKey, let index = state.index(registering: isin),
                           case .gap = tracker.observe(instrument: index, board: board, sequenceNumber: sequence) {
                            gaps += 1
                            state.markStale(index)
                        }
                        state.apply(record)
                        applied += 1
                    }
                }
                lastSum &+= state.instruments.reduce(0) { $0 &+ ($1.last ?? 0) &+ $1.cumulativeVolume }
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            precondition(applied == passes * records && gaps == 0 && lastSum != 0)
            return Double(applied) / (Double(elapsed) / 1e9)
        }
    }
    return BenchmarkResult(name: "krx.apply", value: rate, unit: "records/s", runs: krxRuns)
}

import Foundation
import KRX
import KRXSimulator
import Market

/// The Korea Exchange feed-handler benchmarks, single thread: `krx.decode` reads every record of
/// `krxRecordCount` records over 40 listings (`KRXRecordMix`, seed 1: 70 % quotes, 26 % trades),
/// packed into payloads of at most 1 400 bytes, validating each and reading one of its fields.
let krxSuite: [Benchmark] = [
    Benchmark(name: "krx.decode") { [krxDecodeBenchmark()] },
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

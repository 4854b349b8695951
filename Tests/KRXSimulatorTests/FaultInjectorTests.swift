import KRX
import Market
import Testing
@testable import KRXSimulator

/// Faults over a payload stream.
@Suite struct FaultInjectorTests {
    static func stream(_ count: Int) -> [KRXPayload] {
        var mix = KRXRecordMix(listings: KRXListingGenerator.listings(count: 5, seed: 2), seed: 2)
        var packer = KRXPayloadPacker()
        for i in 0..<count {
            packer.append(time: Int64(i)) { mix.next(into: $0) }
            packer.flush()
        }
        return packer.take()
    }

    static func run(_ faults: KRXFaults, _ payloads: [KRXPayload]) -> ([KRXPayload], KRXFaultStatistics) {
        var injector = KRXFaultInjector(faults)
        var out: [KRXPayload] = []
        for payload in payloads { out += injector.process(payload) }
        out += injector.finish()
        return (out, injector.statistics)
    }

    @Test func noFaultsIsTheIdentity() {
        let payloads = Self.stream(300)
        #expect(Self.run(KRXFaults(), payloads).0 == payloads)
    }

    @Test func dropsAndDuplicatesAreCountedAndExact() {
        let payloads = Self.stream(3_000)
        var faults = KRXFaults()
        faults.dropRate = 0.05
        faults.duplicateRate = 0.05
        faults.seed = 5
        let (out, statistics) = Self.run(faults, payloads)
        #expect(statistics.dropped > 100 && statistics.duplicated > 100)
        #expect(out.count == payloads.count - statistics.dropped + statistics.duplicated)
        // Every payload out is one of the originals, in order; each arrives 0, 1 or 2 times.
        var seen: [Int64: Int] = [:]
        for payload in out { seen[payload.time, default: 0] += 1 }
        #expect(payloads.filter { seen[$0.time] == nil }.count == statistics.dropped)
        #expect(seen.values.filter { $0 == 2 }.count == statistics.duplicated)
        #expect(zip(out, out.dropFirst()).allSatisfy { $0.time <= $1.time })
        // Deterministic for a seed.
        #expect(Self.run(faults, payloads).0 == out)
    }

    @Test func aReorderSwapsAPayloadWithTheNext() {
        let payloads = Self.stream(3_000)
        var faults = KRXFaults()
        faults.reorderRate = 0.05
        faults.seed = 6
        let (out, statistics) = Self.run(faults, payloads)
        #expect(statistics.reordered > 100)
        #expect(out.count == payloads.count && Set(out.map(\.time)) == Set(payloads.map(\.time)))
        let inversions = zip(out, out.dropFirst()).filter { $0.time > $1.time }
        #expect(inversions.count == statistics.reordered)
        #expect(inversions.allSatisfy { $0.time == $1.time + 1 }, "swapped with the very next payload")
    }

    @Test func malformedCopiesAreRefusedByTheReaderAndLoseNothing() {
        let payloads = Self.stream(2_000)
        var faults = KRXFaults()
        faults.malformedRate = 0.2
        faults.seed = 9
        let (out, statistics) = Self.run(faults, payloads)
        #expect(out.count == payloads.count + statistics.malformed)
        #expect(statistics.cut > 20 && statistics.nonDigit > 20 && statistics.missingEndKeyword > 20 && statistics.unknownTRCode > 20)
        var refused = KRXDecodeStatistics()
        for payload in out where !payloads.contains(payload) {
            payload.bytes.withUnsafeBytes { raw in
                var reader = KRXRecordReader(payload: raw)
                while reader.next() != nil {}
                refused.add(reader.statistics)
            }
        }
        #expect(refused.refusedTotal == statistics.malformed, "one record refused per damaged copy")
        #expect(refused.refused(.truncated) + refused.refused(.missingEndKeyword) >= statistics.cut)
        #expect(refused.refused(.nonDigit) == statistics.nonDigit && refused.refused(.unknownTRCode) == statistics.unknownTRCode)
        // The originals all still arrive, in order.
        #expect(out.filter { payloads.contains($0) } == payloads)
    }
}

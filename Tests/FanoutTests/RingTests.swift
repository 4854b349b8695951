import Fanout
import Market
import Testing

extension RingSuite {
    /// Single-thread behaviour of the broadcast ring: wrap-around, empty, full, lapping, close.
    @Suite struct RingTests {
        func makeRing(capacity: Int, readers: [RingReaderKind], policy: RingFullPolicy = .wait,
                      batch: Int = 1) throws -> BroadcastRing {
            try BroadcastRing(RingConfiguration(capacity: capacity, readers: readers, fullPolicy: policy,
                                                publishBatch: batch, wait: .adaptive))
        }

        @Test func ringRejectsInvalidConfigurations() {
            #expect(throws: RingConfigurationError.capacityNotPowerOfTwo(12)) {
                try BroadcastRing(RingConfiguration(capacity: 12, readers: [.gating]))
            }
            #expect(throws: RingConfigurationError.readerCount(0)) {
                try BroadcastRing(RingConfiguration(capacity: 8, readers: []))
            }
            #expect(throws: RingConfigurationError.publishBatch(9)) {
                try BroadcastRing(RingConfiguration(capacity: 8, readers: [.gating], publishBatch: 9))
            }
        }

        @Test func ringEmptyUntilPublished() throws {
            let ring = try makeRing(capacity: 8, readers: [.gating], batch: 4)
            var writer = ring.makeWriter()
            var reader = ring.makeReader(0)
            var tick = Tick()
            let read1 = reader.poll(into: &tick)
            #expect(read1 == .empty)
            let written2 = writer.write(ringTestTick(0))
            #expect(written2)
            let pending3 = writer.pending
            #expect(pending3 == 1)
            let read4 = reader.poll(into: &tick)
            #expect(read4 == .empty, "a written tick is invisible until published")
            writer.flush()
            let read5 = reader.poll(into: &tick)
            #expect(read5 == .tick)
            #expect(tick.seq == 0 && isIntact(tick))
            let read6 = reader.poll(into: &tick)
            #expect(read6 == .empty)
            for i in 1...4 {
                let ok = writer.write(ringTestTick(i))
                #expect(ok)
            }
            let pending7 = writer.pending
            #expect(pending7 == 0, "a full batch publishes itself")
            for i in 1...4 {
                let read8 = reader.poll(into: &tick)
                #expect(read8 == .tick)
                #expect(tick.seq == UInt64(i))
            }
        }

        @Test(arguments: [RingReaderKind.gating, .nonGating])
        func ringWrapsAround(kind: RingReaderKind) throws {
            let ring = try makeRing(capacity: 8, readers: [kind])
            var writer = ring.makeWriter()
            var reader = ring.makeReader(0)
            var tick = Tick()
            var next = 0
            for round in 0..<50 {
                let burst = 1 + round % 8
                for _ in 0..<burst {
                    let written9 = writer.write(ringTestTick(next))
                    #expect(written9)
                    next += 1
                }
                writer.flush()
                for i in (next - burst)..<next {
                    let read10 = reader.poll(into: &tick)
                    #expect(read10 == .tick)
                    #expect(tick.seq == UInt64(i) && isIntact(tick))
                }
                let read11 = reader.poll(into: &tick)
                #expect(read11 == .empty)
            }
            let position12 = reader.position
            #expect(position12 == next)
            #expect(ring.metrics().readers[0].laps == 0)
        }

        @Test func ringFullFailsAndCounts() throws {
            let ring = try makeRing(capacity: 4, readers: [.gating], policy: .fail)
            var writer = ring.makeWriter()
            var reader = ring.makeReader(0)
            for i in 0..<4 {
                let ok = writer.write(ringTestTick(i))
                #expect(ok)
            }
            let written13 = writer.write(ringTestTick(4))
            #expect(!written13, "the writer never overtakes a gating reader")
            let written14 = writer.write(ringTestTick(4))
            #expect(!written14)
            #expect(ring.metrics().writerFails == 2)
            #expect(ring.metrics().readers[0].lag == 4)
            var tick = Tick()
            let read15 = reader.poll(into: &tick)
            #expect(read15 == .tick && tick.seq == 0)
            let written16 = writer.write(ringTestTick(4))
            #expect(written16, "one slot freed, one write fits")
            let written17 = writer.write(ringTestTick(5))
            #expect(!written17)
            for i in 1...4 {
                let read18 = reader.poll(into: &tick)
                #expect(read18 == .tick)
                #expect(tick.seq == UInt64(i) && isIntact(tick))
            }
            #expect(ring.metrics().writerFails == 3)
        }

        @Test func ringNonGatingReaderDetectsAWholeLap() throws {
            let ring = try makeRing(capacity: 8, readers: [.nonGating])
            var writer = ring.makeWriter()
            var reader = ring.makeReader(0)
            for i in 0..<20 {
                let ok = writer.write(ringTestTick(i))
                #expect(ok, "a non-gating reader never blocks the writer")
            }
            var tick = Tick()
            let read19 = reader.poll(into: &tick)
            #expect(read19 == .lapped(lost: 20))
            let position20 = reader.position
            #expect(position20 == 20)
            let read21 = reader.poll(into: &tick)
            #expect(read21 == .empty)
            for i in 20..<23 { _ = writer.write(ringTestTick(i)) }
            for i in 20..<23 {
                let read22 = reader.poll(into: &tick)
                #expect(read22 == .tick)
                #expect(tick.seq == UInt64(i) && isIntact(tick))
            }
            let metrics = ring.metrics().readers[0]
            #expect(metrics.laps == 1 && metrics.lostTicks == 20 && metrics.lag == 0)
        }

        @Test func ringNonGatingReaderDetectsAnOverwrittenSlot() throws {
            // The reader's cached view of the writer says slot 1 is readable, but the writer has since
            // reused it: the stamp, not the cursor, must catch that.
            let ring = try makeRing(capacity: 8, readers: [.nonGating])
            var writer = ring.makeWriter()
            var reader = ring.makeReader(0)
            for i in 0..<8 { _ = writer.write(ringTestTick(i)) }
            var tick = Tick()
            let read23 = reader.poll(into: &tick)
            #expect(read23 == .tick && tick.seq == 0)
            for i in 8..<12 { _ = writer.write(ringTestTick(i)) }
            let read24 = reader.poll(into: &tick)
            #expect(read24 == .lapped(lost: 11))
            let position25 = reader.position
            #expect(position25 == 12)
        }

        @Test func ringMixedReadersGateOnlyTheGatingOne() throws {
            let ring = try makeRing(capacity: 4, readers: [.gating, .nonGating], policy: .fail)
            var writer = ring.makeWriter()
            var publisher = ring.makeReader(0)
            var gateway = ring.makeReader(1)
            var tick = Tick()
            for i in 0..<4 {
                let ok = writer.write(ringTestTick(i))
                #expect(ok)
            }
            let written26 = writer.write(ringTestTick(4))
            #expect(!written26)
            for i in 0..<4 {
                let read27 = gateway.poll(into: &tick)
                #expect(read27 == .tick && tick.seq == UInt64(i))
            }
            let written28 = writer.write(ringTestTick(4))
            #expect(!written28, "only the gating reader frees slots")
            for _ in 0..<4 {
                let ok = publisher.poll(into: &tick) == .tick
                #expect(ok)
            }
            for i in 4..<8 {
                let ok = writer.write(ringTestTick(i))
                #expect(ok)
            }
            let metrics = ring.metrics()
            #expect(metrics.readers.map(\.lag) == [4, 4])
            #expect(metrics.readers.map(\.kind) == [.gating, .nonGating])
        }

        @Test(arguments: [RingReaderKind.gating, .nonGating])
        func ringClosedAfterDrain(kind: RingReaderKind) throws {
            let ring = try makeRing(capacity: 8, readers: [kind], batch: 8)
            var writer = ring.makeWriter()
            var reader = ring.makeReader(0)
            for i in 0..<3 { _ = writer.write(ringTestTick(i)) }
            writer.flush()
            ring.close()
            #expect(ring.isClosed)
            var tick = Tick()
            for i in 0..<3 {
                let read = reader.next(into: &tick)
                #expect(read == .tick && tick.seq == UInt64(i))
            }
            let end = reader.next(into: &tick)
            #expect(end == .closed)
            let again = reader.poll(into: &tick)
            #expect(again == .closed)
        }

        @Test func ringDetachedGatingReaderStopsGating() throws {
            let ring = try makeRing(capacity: 4, readers: [.gating], policy: .fail)
            var writer = ring.makeWriter()
            do {
                let reader = ring.makeReader(0)
                _ = reader
            }
            for i in 0..<100 {
                let ok = writer.write(ringTestTick(i))
                #expect(ok)
            }
            #expect(ring.metrics().readers[0].attached == false)
        }
    }
}

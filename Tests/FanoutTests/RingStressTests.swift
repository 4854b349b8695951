import CShim
import Fanout
import Glibc
import Market
import Testing

extension RingSuite {
    /// One writer, 1, 2 and 4 readers, millions of ticks: every gating reader sees every tick in order,
    /// every non-gating reader sees ticks in order with detected laps between them, and nothing is torn.
    @Suite struct RingStressTests {
        /// What one reader thread saw.
        struct ReaderReport: Sendable {
            var received = 0
            var lost = 0
            var laps = 0
            var finalPosition = 0
            var failures: [String] = []
        }

        static let shapes: [(readers: [RingReaderKind], ticks: Int)] = [
            ([.gating], 20_000_000),
            ([.nonGating], 20_000_000),
            ([.gating, .nonGating], 20_000_000),
            ([.gating, .gating, .nonGating, .nonGating], 10_000_000),
        ]

        @Test(arguments: 0..<shapes.count)
        func ringStress(shape: Int) throws {
            let (kinds, releaseTicks) = Self.shapes[shape]
            let ticks = stressTicks(releaseTicks)
            // A small ring and short spins so laps, full waits and parks all happen many times.
            let ring = try BroadcastRing(RingConfiguration(capacity: 1024, readers: kinds, fullPolicy: .wait,
                                                           publishBatch: 16, wait: .adaptive))
            let pauseEvery = max(1000, ticks / 16)
            let threads = kinds.indices.map { index in
                TestThread { () -> ReaderReport in
                    var reader = ring.makeReader(index)
                    var report = ReaderReport()
                    var tick = Tick()
                    var expected = 0
                    loop: while true {
                        switch reader.next(into: &tick) {
                        case .tick:
                            if tick.seq != UInt64(expected), report.failures.count < 5 {
                                report.failures.append("reader \(index): seq \(tick.seq), expected \(expected)")
                            }
                            if !isIntact(tick), report.failures.count < 5 {
                                report.failures.append("reader \(index): torn tick at \(expected)")
                            }
                            expected += 1
                            report.received += 1
                            // Readers stall now and then (index-staggered), so the writer laps or waits.
                            if (report.received + index * 97) % pauseEvery == 0 { usleep(2000) }
                        case .lapped(let lost):
                            if kinds[index] == .gating, report.failures.count < 5 {
                                report.failures.append("gating reader \(index) lapped")
                            }
                            if lost <= 0, report.failures.count < 5 {
                                report.failures.append("reader \(index): lap of \(lost)")
                            }
                            expected += lost
                            report.lost += lost
                            report.laps += 1
                        case .empty:
                            report.failures.append("reader \(index): next returned .empty")
                        case .closed:
                            break loop
                        }
                    }
                    report.finalPosition = reader.position
                    return report
                }
            }
            var writer = ring.makeWriter()
            var tick = ringTestTick(0)
            for i in 0..<ticks {
                tick = ringTestTick(i)
                let written = writer.write(tick)
                if !written { Issue.record("write \(i) refused under .wait"); break }
                if i % 7 == 3 { writer.flush() }
            }
            writer.flush()
            ring.close()
            let reports = threads.map { $0.join() }
            let metrics = ring.metrics()
            for (index, report) in reports.enumerated() {
                #expect(report.failures.isEmpty, "\(report.failures)")
                #expect(report.finalPosition == ticks)
                #expect(report.received + report.lost == ticks)
                #expect(metrics.readers[index].lostTicks == report.lost)
                #expect(metrics.readers[index].laps == report.laps)
                if kinds[index] == .gating {
                    #expect(report.received == ticks && report.laps == 0)
                }
            }
            #expect(metrics.published == ticks)
            #expect(metrics.writerFails == 0)
            // Parks end by a signal, or by their safety timeout; a timeout that found work while nobody had
            // taken the sleeper's mark is a lost wakeup (the safety net hides it from every check above:
            // the run completes, only later). None may happen (docs/architecture.md, "The lost wakeup").
            #expect(metrics.missedWakeups == 0, "shape \(shape): \(metrics.missedWakeups) wakeup(s) lost, recovered by the park timeout")
        }

        @Test func ringNonGatingReaderLappedWhileCopyingNeverSeesATornTick() throws {
            // A tiny ring, a writer that never waits and a reader that never parks (parking would order
            // the two threads): the writer keeps overwriting the slot the reader is copying. This is the
            // race the seqlock stamps and atomic-word copies exist for (and what TSan checks).
            let ticks = stressTicks(5_000_000)
            let ring = try BroadcastRing(RingConfiguration(capacity: 8, readers: [.nonGating], publishBatch: 1))
            let reader = TestThread { () -> ReaderReport in
                var reader = ring.makeReader(0)
                var report = ReaderReport()
                var tick = Tick()
                var expected = 0
                while true {
                    switch reader.poll(into: &tick) {
                    case .tick:
                        if tick.seq != UInt64(expected) || !isIntact(tick), report.failures.count < 5 {
                            report.failures.append("seq \(tick.seq) at \(expected), intact: \(isIntact(tick))")
                        }
                        expected += 1
                        report.received += 1
                    case .lapped(let lost):
                        expected += lost
                        report.lost += lost
                        report.laps += 1
                    case .empty:
                        qc_cpu_relax()
                    case .closed:
                        report.finalPosition = reader.position
                        return report
                    }
                }
            }
            var writer = ring.makeWriter()
            for i in 0..<ticks { _ = writer.write(ringTestTick(i)) }
            writer.flush()
            ring.close()
            let report = reader.join()
            #expect(report.failures.isEmpty, "\(report.failures)")
            #expect(report.received + report.lost == ticks)
            #expect(report.finalPosition == ticks)
        }
    }
}

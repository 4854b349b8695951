import LoadTest
import Testing

/// The server's CPU per million deliveries, from its own `process_cpu_seconds_total`.
@Suite struct ServerCPUTests {
    @Test func cpuPerMillionDeliveriesIsTheMetricsDeltaOverTheMessages() throws {
        let cpu = try #require(LoadReport.serverCPU(before: ["process_cpu_seconds_total": 10.5, "other": 1],
                                                    after: ["process_cpu_seconds_total": 12.0, "other": 9],
                                                    deliveries: 3_000_000))
        #expect(abs(cpu.seconds - 1.5) < 1e-9)
        #expect(abs(cpu.perMillionDeliveries - 0.5) < 1e-9)
    }

    @Test func withoutTheMetricOrDeliveriesThereIsNoFigure() {
        #expect(LoadReport.serverCPU(before: nil, after: ["process_cpu_seconds_total": 1], deliveries: 10) == nil)
        #expect(LoadReport.serverCPU(before: ["x": 1], after: ["x": 2], deliveries: 10) == nil)
        #expect(LoadReport.serverCPU(before: ["process_cpu_seconds_total": 1], after: ["process_cpu_seconds_total": 2],
                                     deliveries: 0) == nil)
        // A restarted server (its counter went back) gives no figure rather than a negative one.
        #expect(LoadReport.serverCPU(before: ["process_cpu_seconds_total": 5], after: ["process_cpu_seconds_total": 2],
                                     deliveries: 10) == nil)
    }
}

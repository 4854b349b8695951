import Foundation
import Sockets
import Testing

/// `/metrics` of `serve` carries Prometheus's standard `process_*` samples, read at each scrape:
/// they follow what the process does (descriptors it opens, CPU it spends), not a timer.
@Suite struct ProcessMetricsTests {
    /// Every `process_*` sample of a page, by name.
    func processSamples(_ page: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in page.split(separator: "\n") where line.hasPrefix("process_") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { out[String(parts[0])] = v }
        }
        return out
    }

    @Test func serveReportsItsCPUMemoryDescriptorsAndStartTime() throws {
        let launched = Date().timeIntervalSince1970
        let server = try WebSocketServeTests.Server()
        defer { server.stop() }
        let started = Date().timeIntervalSince1970
        let scrape = StreamBackpressureTests()
        let page = try scrape.get(server.port, "/metrics")
        let first = processSamples(page)
        #expect(Set(first.keys) == ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                                    "process_max_fds", "process_start_time_seconds"], "\(first)")
        for (name, type) in [("process_cpu_seconds_total", "counter"), ("process_resident_memory_bytes", "gauge"),
                             ("process_open_fds", "gauge"), ("process_max_fds", "gauge"), ("process_start_time_seconds", "gauge")] {
            #expect(page.contains("# TYPE \(name) \(type)\n"), "\(name)")
        }
        // The kernel keeps the start time in clock ticks after a boot time in whole seconds: within 2 s.
        let start = try #require(first["process_start_time_seconds"])
        #expect(start >= launched - 2 && start <= started + 2, "started \(start), launched \(launched)...\(started)")
        #expect(try #require(first["process_resident_memory_bytes"]) > Double(1 << 20))
        let open = try #require(first["process_open_fds"])
        #expect(open >= 3 && open <= (first["process_max_fds"] ?? 0))
        // serve raises its soft limit for --max-clients (10 000 + 1 024 + 256) where the hard limit allows.
        #expect(try #require(first["process_max_fds"]) >= 1024)

        // Twenty more connections are twenty more descriptors at the next scrape.
        let held = try (0..<20).map { _ in try TCPConnection.connect(to: server.address, blocking: true) }
        defer { held.forEach { $0.close() } }
        var now = first
        let deadline = Date().addingTimeInterval(30)
        while (now["process_open_fds"] ?? 0) < open + 20, Date() < deadline {
            usleep(50_000)
            now = processSamples(try scrape.get(server.port, "/metrics"))
        }
        #expect((now["process_open_fds"] ?? 0) >= open + 20, "\(open) then \(now["process_open_fds"] ?? -1)")
        #expect((now["process_cpu_seconds_total"] ?? -1) >= (first["process_cpu_seconds_total"] ?? 0))
        #expect(now["process_start_time_seconds"] == start)
    }
}

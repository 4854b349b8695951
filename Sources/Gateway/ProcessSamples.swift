import Market
import System

extension ProcessMetrics {
    /// The process's figures as Prometheus's standard `process_*` samples (the names every exporter
    /// uses, so existing dashboards and alerts apply); a figure the kernel did not give is left out.
    public func samples() -> [MetricSample] {
        let figures: [(String, MetricSample.Kind, String, Double?)] = [
            ("process_cpu_seconds_total", .counter, "User and system CPU time spent, seconds.", cpuSeconds),
            ("process_resident_memory_bytes", .gauge, "Resident memory size, bytes.", residentBytes),
            ("process_open_fds", .gauge, "Open file descriptors.", openDescriptors),
            ("process_max_fds", .gauge, "Most open file descriptors allowed (the soft limit).", maxDescriptors),
            ("process_start_time_seconds", .gauge, "When the process started, seconds since the Unix epoch.", startTimeSeconds),
        ]
        return figures.compactMap { name, kind, help, value in value.map { MetricSample(name, kind, help: help, value: $0) } }
    }
}

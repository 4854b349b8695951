import Glibc

/// The process's own resource figures, read from the kernel when asked (at each `/metrics` scrape,
/// never on a timer), with the meanings of Prometheus's standard `process_*` metrics:
/// CPU time from `/proc/self/stat`, resident memory from `/proc/self/statm`, open descriptors by
/// listing `/proc/self/fd`, the descriptor limit from `getrlimit`, the start time from
/// `/proc/self/stat` and the boot time in `/proc/stat`. A figure the kernel does not give (no /proc)
/// is nil, and left out of `/metrics` rather than reported as 0.
public struct ProcessMetrics: Sendable, Equatable {
    /// User and system CPU time the process has used, seconds (`process_cpu_seconds_total`).
    public var cpuSeconds: Double?
    /// Resident set size, bytes (`process_resident_memory_bytes`).
    public var residentBytes: Double?
    /// Open file descriptors (`process_open_fds`).
    public var openDescriptors: Double?
    /// The soft limit on open file descriptors (`process_max_fds`).
    public var maxDescriptors: Double?
    /// When the process started, seconds since the Unix epoch (`process_start_time_seconds`).
    public var startTimeSeconds: Double?

    /// All unknown.
    public init() {}

    /// Reads every figure now.
    public static func read() -> ProcessMetrics {
        var m = ProcessMetrics()
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let stat = ProcessStatFields(readFile("/proc/self/stat") ?? ""), ticksPerSecond > 0 {
            m.cpuSeconds = Double(stat.userTicks + stat.systemTicks) / ticksPerSecond
            if let boot = bootTime(readFile("/proc/stat") ?? "") {
                m.startTimeSeconds = Double(boot) + Double(stat.startTicks) / ticksPerSecond
            }
        }
        if let pages = residentPages(readFile("/proc/self/statm") ?? "") {
            m.residentBytes = Double(pages) * Double(sysconf(Int32(_SC_PAGESIZE)))
        }
        m.openDescriptors = openDescriptorCount().map(Double.init)
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 { m.maxDescriptors = Double(limit.rlim_cur) }
        return m
    }

    /// The second field of `/proc/self/statm` (resident pages).
    static func residentPages(_ text: String) -> UInt64? {
        let fields = text.split(separator: " ")
        return fields.count >= 2 ? UInt64(fields[1]) : nil
    }

    /// `btime` of `/proc/stat`: when the system booted, seconds since the Unix epoch.
    static func bootTime(_ text: String) -> UInt64? {
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return UInt64(line.dropFirst("btime ".count).trimmingSuffix(while: { $0 == " " }))
        }
        return nil
    }

    /// Entries of /proc/self/fd, less the descriptor that lists them.
    static func openDescriptorCount() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        let own = dirfd(directory)
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let fd = Int32(name), fd != own else { continue }
            count += 1
        }
        return count
    }

    /// A whole small file (a /proc file reports size 0, so it is read until end of file), at most 1 MiB.
    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The fields of `/proc/[pid]/stat` the process metrics need (proc(5)). The second field, the
/// command name in parentheses, may itself hold spaces and parentheses, so fields are counted from
/// the last `)`: after it come field 3 (`state`) onwards.
struct ProcessStatFields: Equatable {
    /// Field 14, `utime`: user-mode CPU time, clock ticks.
    var userTicks: UInt64
    /// Field 15, `stime`: kernel-mode CPU time, clock ticks.
    var systemTicks: UInt64
    /// Field 22, `starttime`: when the process started, clock ticks after boot.
    var startTicks: UInt64

    /// Field numbers (1-based, as in proc(5)).
    enum Field {
        static let firstAfterName = 3
        static let userTicks = 14
        static let systemTicks = 15
        static let startTicks = 22
    }
}

extension ProcessStatFields {
    /// The fields of one reading of `/proc/[pid]/stat`; nil when it is not that.
    init?(_ text: String) {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        func field(_ number: Int) -> UInt64? {
            let i = number - Field.firstAfterName
            return i < fields.count ? UInt64(fields[i].trimmingSuffix(while: { $0 == "\n" })) : nil
        }
        guard let user = field(Field.userTicks), let system = field(Field.systemTicks), let start = field(Field.startTicks) else {
            return nil
        }
        userTicks = user
        systemTicks = system
        startTicks = start
    }
}

extension Substring {
    /// The substring without the trailing characters that match.
    fileprivate func trimmingSuffix(while matches: (Character) -> Bool) -> Substring {
        var end = endIndex
        while end > startIndex, matches(self[index(before: end)]) { end = index(before: end) }
        return self[startIndex..<end]
    }
}

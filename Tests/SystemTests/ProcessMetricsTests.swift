import Testing
@testable import System

/// The parsing of /proc behind the `process_*` metrics, and a reading of this process.
@Suite struct ProcessMetricsTests {
    @Test func statFieldsCountFromTheLastParenthesisOfTheCommandName() throws {
        // proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
        // utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize ...
        let tail = "S 1 2 3 0 -1 4194560 10 0 0 0 1234 567 0 0 20 0 5 0 987654 123456789 2000 18446744073709551615\n"
        for name in ["quotecast", "qc feed", "a) (b", ") ) ("] {
            let fields = try #require(ProcessStatFields("4242 (\(name)) " + tail), "\(name)")
            #expect(fields == ProcessStatFields(userTicks: 1234, systemTicks: 567, startTicks: 987_654))
        }
        #expect(ProcessStatFields("4242 (cut short) S 1 2") == nil)
        #expect(ProcessStatFields("no parenthesis") == nil)
    }

    @Test func statmAndBootTime() {
        #expect(ProcessMetrics.residentPages("5000 1234 300 10 0 900 0\n") == 1234)
        #expect(ProcessMetrics.residentPages("") == nil)
        #expect(ProcessMetrics.bootTime("cpu  1 2 3\nintr 5\nbtime 1767225600\nprocesses 99\n") == 1_767_225_600)
        #expect(ProcessMetrics.bootTime("cpu 1\n") == nil)
    }

    @Test func thisProcessHasEveryFigure() throws {
        let m = ProcessMetrics.read()
        #expect(try #require(m.cpuSeconds) > 0)
        #expect(try #require(m.residentBytes) > Double(1 << 20))
        let open = try #require(m.openDescriptors)
        #expect(open >= 3 && open <= (m.maxDescriptors ?? 0))
        #expect(try #require(m.startTimeSeconds) > 1_600_000_000)
    }
}

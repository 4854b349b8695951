import Foundation
import LoadTest
import Testing

/// `--fail-if` bounds: parsing with units, and evaluation both ways.
@Suite struct FailConditionTests {
    @Test func parsesUnitsAndComparisons() throws {
        let p99 = try FailCondition(parsing: "p99<10ms")
        #expect(p99.metric == "p99" && p99.comparison == .less && p99.bound == 10_000_000)
        #expect(try FailCondition(parsing: "p99.9 <= 500us").bound == 500_000)
        #expect(try FailCondition(parsing: "p999<2s").metric == "p99.9")
        #expect(try FailCondition(parsing: "msgs_per_s>=2.5k").bound == 2500)
        #expect(try FailCondition(parsing: "msgs_per_s>1M").comparison == .greater)
        #expect(try FailCondition(parsing: "errors==0").comparison == .equal)
        #expect(try FailCondition(parsing: "cpu_percent<80%").bound == 80)
    }

    @Test(arguments: ["p99", "p99<", "p99<10", "p99<ten ms", "latency<1ms", "msgs_per_s>fast", "p99~1ms", "<1ms", "p99<-1ms"])
    func rejectsMalformedBounds(_ text: String) {
        #expect(throws: LoadConfigurationError.self) { try FailCondition(parsing: text) }
    }

    @Test func holdsBothWays() throws {
        let bound = try FailCondition(parsing: "p99<10ms")
        #expect(bound.holds(9_999_999))
        #expect(!bound.holds(10_000_000))
        #expect(!bound.holds(nil), "an unmeasured figure breaks the bound")
        #expect(try FailCondition(parsing: "msgs_per_s>=100").holds(100))
    }
}

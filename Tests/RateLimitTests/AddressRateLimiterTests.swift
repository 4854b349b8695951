import Testing
@testable import RateLimit

/// The per-address table of new-connection buckets: each address is limited on its own, entries of
/// addresses whose bucket refilled are reused, and a set full of addresses still being limited
/// refuses newcomers (`tableFull`) instead of growing.
@Suite struct AddressRateLimiterTests {
    let start: UInt64 = 7_000_000_000
    let a = SourceAddressKey(ipv4: 0x7F00_0001)
    let b = SourceAddressKey(ipv4: 0x7F00_0002)

    @Test func eachAddressHasItsOwnBucket() {
        var limiter = AddressRateLimiter(.init(ratePerSecond: 10, burst: 3))
        let burst = (0..<3).map { _ in limiter.admit(a, now: start) }
        #expect(burst == [.admitted, .admitted, .admitted])
        let more = [limiter.admit(a, now: start), limiter.admit(b, now: start),
                    limiter.admit(a, now: start + 100_000_000), limiter.admit(a, now: start + 100_000_000)]
        #expect(more == [.limited, .admitted, .admitted, .limited])
        #expect(limiter.tracked == 2)
    }

    @Test func ipv4IsKeyedAsItsMappedIPv6Form() {
        #expect(SourceAddressKey(ipv4: 0x7F00_0001) == SourceAddressKey(high: 0, low: 0x0000_FFFF_7F00_0001))
    }

    @Test func aFullSetRefusesNewcomersUntilAnEntryRefills() {
        // Capacity 8: one set, so every address shares it.
        var limiter = AddressRateLimiter(.init(ratePerSecond: 1, burst: 2, capacity: 8))
        #expect(limiter.capacity == 8)
        let eight = (0..<8).map { limiter.admit(SourceAddressKey(ipv4: 0x0A00_0000 + UInt32($0)), now: start) }
        #expect(eight.allSatisfy { $0 == .admitted })
        let newcomer = SourceAddressKey(ipv4: 0x0B00_0001)
        let refused = limiter.admit(newcomer, now: start)
        #expect(refused == .tableFull)
        // Tracked addresses keep their own buckets meanwhile.
        let third = [limiter.admit(SourceAddressKey(ipv4: 0x0A00_0003), now: start),
                     limiter.admit(SourceAddressKey(ipv4: 0x0A00_0003), now: start)]
        #expect(third == [.admitted, .limited])
        // One second later address 0 (one token used) is full again; its entry goes to the newcomer.
        let later = limiter.admit(newcomer, now: start + 1_000_000_000)
        #expect(later == .admitted)
        #expect(limiter.tracked == 8)
    }

    @Test func manyAddressesStayWithinTheTable() {
        var limiter = AddressRateLimiter(.init(ratePerSecond: 1000, burst: 5, capacity: 64))
        var refused = 0
        var now = start
        for i in 0..<10_000 {
            now += 1_000_000   // each address connects once; 1 ms later its entry is reusable
            if limiter.admit(SourceAddressKey(ipv4: UInt32(i)), now: now) != .admitted { refused += 1 }
        }
        #expect(refused == 0)
        #expect(limiter.tracked <= limiter.capacity)
    }
}

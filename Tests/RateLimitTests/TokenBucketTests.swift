import Testing
@testable import RateLimit

/// Token buckets driven by an explicit clock (nanoseconds): the burst, the refill, the recovery of a
/// client that slows down and the closing of one that does not.
@Suite struct TokenBucketTests {
    let second: UInt64 = 1_000_000_000
    let start: UInt64 = 5_000_000_000

    @Test func aFullBucketGivesItsBurstThenOneTokenPerInterval() {
        var bucket = TokenBucket(ratePerSecond: 20, burst: 50)
        #expect(bucket.available(now: start) == 50)
        let burst = (0..<50).map { _ in bucket.take(now: start) }
        #expect(burst.allSatisfy { $0 })
        let overBurst = bucket.take(now: start)
        #expect(!overBurst)
        #expect(bucket.available(now: start) == 0)
        // 20 per second: one token every 50 ms, not before.
        let early = bucket.take(now: start + 49_999_999)
        let onTime = bucket.take(now: start + 50_000_000)
        let again = bucket.take(now: start + 50_000_000)
        #expect(!early && onTime && !again)
        // After 2.5 s idle (50 tokens' worth) it is full again, and never holds more than the burst.
        #expect(bucket.isFull(now: start + 50_000_000 + 2_500_000_000))
        #expect(bucket.available(now: start + 100 * second) == 50)
    }

    @Test func availableCountsWholeTokens() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 3)
        _ = bucket.take(now: start)
        #expect(bucket.available(now: start) == 2)
        _ = bucket.take(now: start)
        _ = bucket.take(now: start)
        #expect(bucket.available(now: start) == 0)
        #expect(bucket.available(now: start + 99_999_999) == 0)
        #expect(bucket.available(now: start + 100_000_000) == 1)
        #expect(bucket.available(now: start + 250_000_000) == 2)
    }

    @Test func aSteadyClientAtTheRateIsNeverRefused() {
        var bucket = TokenBucket(ratePerSecond: 20, burst: 1)
        let served = (0..<1000).filter { bucket.take(now: start + UInt64($0) * 50_000_000) }
        #expect(served.count == 1000)
    }

    @Test func fractionalAndExtremeRatesStayInRange() {
        var slow = TokenBucket(ratePerSecond: 0.001, burst: 1_000_000)
        let first = slow.take(now: start)
        #expect(first && slow.available(now: start) == 999_999)
        var fast = TokenBucket(ratePerSecond: 1e12, burst: 1)
        let one = fast.take(now: start), two = fast.take(now: start + 1)
        #expect(one && two)
    }

    @Test func aClientOverTheRateNowAndThenRecoversButAFloodIsClosed() {
        var limit = MessageRateLimit(ratePerSecond: 20, burst: 50)
        #expect(limit.refusalsBeforeClose == 100)
        // A burst of 60: 50 served, 10 refused.
        var verdicts = (0..<60).map { _ in limit.admit(now: start) }
        #expect(verdicts.filter { $0 == .allowed }.count == 50)
        #expect(verdicts.suffix(10).allSatisfy { $0 == .refused })
        // It pauses long enough for the bucket to fill: the refusals are forgiven.
        let afterPause = limit.admit(now: start + 3 * second)
        #expect(afterPause == .allowed)
        #expect(limit.refusalsInStreak == 0)
        // A flood of 1 000 messages per second for one second: closed at the 100th refusal.
        var t = start + 3 * second
        verdicts = []
        for _ in 0..<1000 {
            t += 1_000_000
            let v = limit.admit(now: t)
            verdicts.append(v)
            if v == .abusive { break }
        }
        #expect(verdicts.last == .abusive)
        #expect(verdicts.filter { $0 == .refused }.count == 99)
    }
}

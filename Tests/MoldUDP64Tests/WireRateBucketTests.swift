import MoldUDP64
import Testing

/// The byte budget of a paced sender: what leaves over any interval is at most the burst plus the
/// rate times the interval, and a sender that always has more sends exactly the rate.
@Suite struct WireRateBucketTests {
    @Test func aFullBucketLetsTheBurstGoThenOnePacketPerItsWireTime() {
        let packet = WireRateBucket.wireBytes(datagram: 1400)
        #expect(packet == 1428, "IPv4 20 + UDP 8 around the MoldUDP64 packet")
        // 8 Mbit/s = 1 byte per microsecond: a 1428-byte packet every 1428 µs.
        var bucket = WireRateBucket(bitsPerSecond: 8_000_000, burstBytes: 4 * packet, now: 1_000)
        for _ in 0..<4 {
            #expect(bucket.allows(wireBytes: packet))
            bucket.take(wireBytes: packet)
        }
        #expect(!bucket.allows(wireBytes: packet))
        #expect(bucket.readyAt(wireBytes: packet) == 1_000 + 1_428_000)
        bucket.fill(now: 1_000 + 1_427_999)
        #expect(!bucket.allows(wireBytes: packet))
        bucket.fill(now: 1_000 + 1_428_000)
        #expect(bucket.allows(wireBytes: packet))
        // Idle for a minute: the bucket holds the burst, never more.
        bucket.fill(now: 60_000_000_000)
        for _ in 0..<4 { bucket.take(wireBytes: packet) }
        #expect(!bucket.allows(wireBytes: 1))
    }

    /// A sender that sleeps until each deadline (here: jumps the clock there, sometimes late by a
    /// seeded random amount, now and then nearly the burst's time) sends, over every window after the first burst,
    /// the rate within one packet.
    @Test func aSaturatedSenderSendsTheRateOverEveryWindow() {
        let seed: UInt64 = 0x5EED_0024
        var random = seed
        func next() -> UInt64 {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return random >> 33
        }
        let rate: UInt64 = 3_000_000
        let sizes = [1428, 900, 120, 1428, 48]
        var bucket = WireRateBucket(bitsPerSecond: rate, burstBytes: 4 * 1428, now: 0)
        var now: UInt64 = 0
        var sent: [(time: UInt64, bytes: Int)] = []
        var i = 0
        while now < 10_000_000_000 {
            let size = sizes[i % sizes.count]
            bucket.fill(now: now)
            if bucket.allows(wireBytes: size) {
                bucket.take(wireBytes: size)
                sent.append((now, size))
                i += 1
            } else {
                // Late by up to 1 ms, and one sleep in 50 by up to 10 ms (less than the 15 ms the
                // burst holds at this rate).
                let late = next() % 50 == 0 ? next() % 10_000_000 : next() % 1_000_000
                now = bucket.readyAt(wireBytes: size) + late
            }
        }
        let perSecond = Double(rate) / 8
        for second in 1..<9 {
            let start = UInt64(second) * 1_000_000_000
            let bytes = sent.filter { $0.time >= start && $0.time < start + 1_000_000_000 }.reduce(0) { $0 + $1.bytes }
            #expect(abs(Double(bytes) - perSecond) <= 1428 * 2, "second \(second): \(bytes) bytes, seed \(seed)")
        }
    }
}

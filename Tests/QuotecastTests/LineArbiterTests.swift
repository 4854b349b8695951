import Foundation
import ITCH
import Sockets
import Testing
@testable import Feed

/// The receiver's sequencing rules, driven directly: datagrams in, the messages applied (each test
/// message carries its own sequence number, so order and completeness are checked exactly), the
/// requests sent and the stale changes made.
@Suite struct LineArbiterTests {
    static let session = MoldUDP64Session("TEST")!
    static let ms: UInt64 = 1_000_000

    /// A data packet of `count` messages from `seq`; message k is the 8 bytes of its sequence number.
    static func packet(_ seq: UInt64, _ count: Int, session: MoldUDP64Session = session) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: MoldUDP64.headerLength)
        bytes.withUnsafeMutableBytes { MoldUDP64.writeHeader(session: session, sequenceNumber: seq, count: UInt16(count), to: $0.baseAddress!) }
        for k in 0..<count {
            bytes += [0, 8]
            bytes += withUnsafeBytes(of: (seq + UInt64(k)).bigEndian, Array.init)
        }
        return bytes
    }

    static func heartbeat(_ next: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: MoldUDP64.headerLength)
        bytes.withUnsafeMutableBytes { MoldUDP64.writeHeader(session: session, sequenceNumber: next, count: 0, to: $0.baseAddress!) }
        return bytes
    }

    /// Drives one arbiter and records what it does.
    struct Harness {
        var arbiter: LineArbiter
        var applied: [UInt64] = []
        var requests: [MoldUDP64Request] = []
        var staleChanges: [Bool] = []
        var events: [FeedEvent] = []

        init(b: Bool = false, retransmit: Bool = false, buffer: Int = 4096) {
            var c = MulticastFeedConfiguration(lineA: SocketAddress(parsing: "239.1.1.1:1")!)
            if b { c.lineB = SocketAddress(parsing: "239.1.1.2:1")! }
            if retransmit { c.retransmit = SocketAddress(parsing: "127.0.0.1:9")! }
            c.bufferPackets = buffer
            arbiter = LineArbiter(configuration: c)
        }

        mutating func receive(_ bytes: [UInt8], line: Int, at now: UInt64) {
            var applied = self.applied, events = self.events, changes = self.staleChanges
            bytes.withUnsafeBytes { raw in
                arbiter.receive(raw, line: line, now: now, receiveTime: 0, events: { events.append($0) },
                                apply: { base, length, _, _, _ in
                                    #expect(length == 8)
                                    applied.append(UInt64(bigEndian: base.loadUnaligned(as: UInt64.self)))
                                },
                                staleChange: { changes.append($0); return 5 })
            }
            self.applied = applied
            self.events = events
            self.staleChanges = changes
        }

        mutating func service(at now: UInt64) {
            var requests = self.requests, events = self.events, changes = self.staleChanges
            arbiter.service(now: now, events: { events.append($0) }, send: { requests.append($0) },
                            staleChange: { changes.append($0); return 5 })
            self.requests = requests
            self.events = events
            self.staleChanges = changes
        }
    }

    @Test func aHoleOnLineAThatLineBFillsIsNoGap() {
        var h = Harness(b: true, retransmit: true)
        defer { h.arbiter.deallocate() }
        h.receive(Self.packet(1, 3), line: 0, at: 1)
        h.receive(Self.packet(7, 2), line: 0, at: 2)      // A lost 4...6
        h.service(at: 3)                                   // B has not shown anything past 4 yet: wait
        #expect(h.requests.isEmpty)
        h.receive(Self.packet(1, 3), line: 1, at: 4)      // B's copies: duplicates
        h.receive(Self.packet(4, 3), line: 1, at: 5)      // B fills the hole
        h.receive(Self.packet(7, 2), line: 1, at: 6)
        h.service(at: 7)
        #expect(h.applied == Array(1...8))
        #expect(h.requests.isEmpty)
        #expect(h.arbiter.tally.gaps == 0 && h.arbiter.tally.lineFills == 1)
        #expect(h.arbiter.tally.duplicatePackets == 2)
    }

    @Test func aGapOnEveryLineIsRequestedBoundedAndRetried() {
        var h = Harness(retransmit: true)
        defer { h.arbiter.deallocate() }
        h.receive(Self.packet(1, 2), line: 0, at: 0)
        h.receive(Self.packet(5000, 2), line: 0, at: 1)   // 3...4999 missing
        for t in 0..<10 { h.service(at: 2 + UInt64(t)) }  // many rounds within the timeout: one request
        #expect(h.requests == [MoldUDP64Request(session: Self.session, sequenceNumber: 3, count: 2000)])
        #expect(h.arbiter.health == .recovering)
        h.service(at: 2 + 100 * Self.ms)                  // request timeout: retried
        #expect(h.requests.count == 2 && h.arbiter.tally.requestRetries == 1)
        // The answer (in packets of at most 100 messages): everything missing; then the buffered
        // packet follows in order.
        for first in stride(from: UInt64(3), to: 5000, by: 100) {
            h.receive(Self.packet(first, Int(min(100, 5000 - first))), line: 2, at: 3 + 100 * Self.ms)
        }
        #expect(h.applied == Array(1...5001))
        #expect(h.arbiter.tally.recoveredMessages == 4997 && h.arbiter.tally.gapsRecovered == 1)
        #expect(h.arbiter.health == .live)
    }

    @Test func aLateJoinIsRecoveredFromOnePartAtATimeWithoutGoingStale() {
        var h = Harness(retransmit: true)
        defer { h.arbiter.deallocate() }
        h.receive(Self.packet(10_001, 1), line: 0, at: 0)   // joined late: 1...10000 asked for
        var now: UInt64 = 1
        h.service(at: now)
        for part in 0..<5 {
            #expect(h.requests.last == MoldUDP64Request(session: Self.session, sequenceNumber: UInt64(1 + 2000 * part), count: 2000))
            // Each part takes longer than the recovery timeout in all, but keeps making progress.
            for first in stride(from: UInt64(1 + 2000 * part), to: UInt64(2001 + 2000 * part), by: 100) {
                now += 100 * Self.ms
                h.receive(Self.packet(first, 100), line: 2, at: now)
                h.service(at: now)
            }
        }
        #expect(h.applied == Array(1...10_001))
        #expect(h.requests.count == 5 && h.arbiter.tally.requestRetries == 0)
        #expect(h.staleChanges.isEmpty && h.arbiter.health == .live)
        #expect(h.arbiter.tally.gaps == 1 && h.arbiter.tally.gapsRecovered == 1)
    }

    @Test func anUnrecoveredGapMarksStaleAndALateAnswerClearsIt() {
        var h = Harness(retransmit: true)
        defer { h.arbiter.deallocate() }
        h.receive(Self.packet(1, 2), line: 0, at: 0)
        h.receive(Self.packet(4, 2), line: 0, at: 1)
        h.service(at: 2)
        h.service(at: 2 + 999 * Self.ms)
        #expect(h.staleChanges.isEmpty)
        h.service(at: 2 + 1000 * Self.ms)                 // recovery timeout
        #expect(h.staleChanges == [true])
        #expect(h.arbiter.health == .stale && h.arbiter.tally.unrecoveredGaps == 1 && h.arbiter.tally.staleInstruments == 5)
        #expect(h.applied == [1, 2])                      // nothing past the gap while stale
        h.receive(Self.packet(6, 1), line: 0, at: 3 + 1000 * Self.ms)
        #expect(h.applied == [1, 2])
        h.receive(Self.packet(3, 1), line: 2, at: 4 + 1000 * Self.ms)   // the answer, late
        #expect(h.staleChanges == [true, false])
        #expect(h.applied == Array(1...6))
        #expect(h.arbiter.health == .live && h.arbiter.tally.staleInstruments == 0 && h.arbiter.tally.unstaleEvents == 1)
    }

    @Test func withoutARetransmissionServerAGapGoesStaleAfterTheTimeout() {
        var h = Harness()
        defer { h.arbiter.deallocate() }
        h.receive(Self.packet(1, 1), line: 0, at: 0)
        h.receive(Self.heartbeat(3), line: 0, at: 1)       // a heartbeat reveals message 2 was lost
        h.service(at: 2)
        #expect(h.arbiter.tally.gaps == 1 && h.requests.isEmpty)
        h.service(at: 2 + 1000 * Self.ms)
        #expect(h.staleChanges == [true])
    }

    @Test func theReorderBufferIsBounded() {
        var h = Harness(retransmit: true, buffer: 16)
        defer { h.arbiter.deallocate() }
        h.receive(Self.packet(1, 1), line: 0, at: 0)
        for k in 0..<20 { h.receive(Self.packet(3 + UInt64(k), 1), line: 0, at: 1) }
        #expect(h.arbiter.tally.buffered == 16 && h.arbiter.tally.bufferOverflows == 4)
        h.receive(Self.packet(2, 1), line: 2, at: 2)
        #expect(h.applied == Array(1...18))               // 19...22 were dropped: the next hole
        h.service(at: 3)
        #expect(h.requests.last?.sequenceNumber == 19)
    }

    @Test func malformedDatagramsAreCountedAndNeverApplied() {
        var h = Harness()
        defer { h.arbiter.deallocate() }
        h.receive(Self.packet(1, 2), line: 0, at: 0)
        h.receive(Array(Self.packet(3, 3).dropLast(3)), line: 0, at: 1)   // cut
        var wrongCount = Self.packet(3, 3)
        wrongCount[19] = 4
        h.receive(wrongCount, line: 0, at: 1)
        h.receive([1, 2, 3, 4, 5, 6, 7], line: 0, at: 1)
        h.receive(Self.packet(3, 1, session: MoldUDP64Session(head: 0x0102_0304_0506_0708, tail: 9)), line: 0, at: 1)
        h.receive(Self.packet(3, 3), line: 0, at: 2)
        #expect(h.applied == Array(1...5))
        let t = h.arbiter.tally
        #expect(t.malformedFraming == 2 && t.malformedShort == 1 && t.malformedSession == 1 && t.gaps == 0)
    }

    @Test func aNewSessionStartsOverAndTheOldOneIsIgnored() {
        var h = Harness()
        defer { h.arbiter.deallocate() }
        let next = MoldUDP64Session("NEXT")!
        h.receive(Self.packet(1, 2), line: 0, at: 0)
        h.receive(Self.packet(1, 2, session: next), line: 0, at: 1)
        h.receive(Self.packet(3, 1), line: 1, at: 2)                     // a late packet of the old session
        #expect(h.applied == [1, 2, 1, 2])
        #expect(h.arbiter.tally.oldSessionPackets == 1 && h.arbiter.tally.sessions == 2)
        #expect(h.events.contains(.sessionChanged(from: "TEST", to: "NEXT", sequence: 1)))
    }

    @Test func aNewSessionWhileStaleAppliesNothing() {
        var h = Harness()
        defer { h.arbiter.deallocate() }
        h.receive(Self.packet(1, 1), line: 0, at: 0)
        h.receive(Self.packet(3, 1), line: 0, at: 1)
        h.service(at: 2)
        h.service(at: 2 + 1000 * Self.ms)
        #expect(h.arbiter.health == .stale)
        h.receive(Self.packet(1, 3, session: MoldUDP64Session("NEXT")!), line: 0, at: 3 + 1000 * Self.ms)
        #expect(h.applied == [1])
        #expect(h.arbiter.tally.frozenPackets == 1 && h.arbiter.health == .stale)
    }

    @Test func silenceAndTheEndOfSessionAreNoticed() {
        var h = Harness(b: true)
        defer { h.arbiter.deallocate() }
        h.receive(Self.packet(1, 1), line: 0, at: 0)
        h.service(at: 3000 * Self.ms)
        #expect(h.arbiter.health == .silent)
        #expect(h.events.contains(.silent(line: "a", seconds: 3)) && h.events.contains(.silent(line: "feed", seconds: 3)))
        var end = Self.heartbeat(2)
        end[18] = 0xFF
        end[19] = 0xFF
        h.receive(end, line: 0, at: 3001 * Self.ms)
        #expect(h.events.contains(.resumed(line: "feed")))
        #expect(h.arbiter.health == .ended && h.arbiter.tally.endsOfSession == 1)
    }

    @Test func countersExposeTheTallyAsMetricsAndHealth() {
        let counters = FeedCounters()
        #expect(!counters.metricSamples().contains { $0.name == "quotecast_feed_gaps_total" })   // not multicast
        var t = ReceiverTally()
        t.gaps = 3
        t.recoveredMessages = 42
        t.staleInstruments = 7
        t.malformedFraming = 2
        t.datagrams = [10, 9, 1]
        counters.publish(t)
        counters.setHealth(.stale)
        let samples = counters.metricSamples()
        func value(_ name: String, _ labels: [(String, String)] = []) -> Double? {
            samples.first { $0.name == name && $0.labels.map(\.0) == labels.map(\.0) && $0.labels.map(\.1) == labels.map(\.1) }?.value
        }
        #expect(value("quotecast_feed_gaps_total") == 3)
        #expect(value("quotecast_feed_recovered_messages_total") == 42)
        #expect(value("quotecast_feed_stale_instruments") == 7)
        #expect(value("quotecast_feed_malformed_total", [("reason", "framing")]) == 2)
        #expect(value("quotecast_feed_datagrams_total", [("line", "b")]) == 9)
        #expect(value("quotecast_feed_state", [("state", "stale")]) == 1)
        #expect(value("quotecast_feed_state", [("state", "live")]) == 0)
        #expect(Set(samples.map(\.name)).allSatisfy { $0.hasPrefix("quotecast_feed_") })
        #expect(!counters.health.isHealthy)
        let json = try? JSONSerialization.jsonObject(with: Data(counters.healthJSON().utf8)) as? [String: Any]
        #expect(json?["state"] as? String == "stale" && json?["stale_instruments"] as? Int == 7)
    }
}

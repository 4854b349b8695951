import Foundation
import Market
import Testing
@testable import MoldUDP64

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
        var events: [SessionEvent] = []
        /// Every step in the order it was handed back: `m<first>` for messages, `request`, `stale`,
        /// `current`, `event`.
        var trace: [String] = []

        init(b: Bool = false, retransmit: Bool = false, buffer: Int = 4096) {
            var c = SequencingConfiguration()
            c.bufferPackets = buffer
            arbiter = LineArbiter(configuration: c, lines: b ? 2 : 1, retransmission: retransmit)
        }

        mutating func receive(_ bytes: [UInt8], line: Int, at now: UInt64) {
            bytes.withUnsafeBytes { raw in
                arbiter.receive(raw, line: SessionLine(rawValue: line)!, now: now, receiveTime: 0)
                takeSteps()   // while the datagram's bytes are still there
            }
        }

        mutating func service(at now: UInt64) {
            arbiter.service(now: now)
            takeSteps()
        }

        /// Acts on what the arbiter handed back, in order, as an owner would.
        mutating func takeSteps() {
            while let step = arbiter.nextStep() {
                switch step {
                case .messages(let packet, let skip, _):
                    trace.append("m\(packet.sequenceNumber + UInt64(skip))")
                    var index = 0
                    for block in packet {
                        defer { index += 1 }
                        guard index >= skip else { continue }
                        #expect(block.message.length == 8)
                        applied.append(UInt64(bigEndian: block.message.base.loadUnaligned(as: UInt64.self)))
                    }
                case .request(let request): requests.append(request); trace.append("request")
                case .stale: staleChanges.append(true); trace.append("stale")
                case .current: staleChanges.append(false); trace.append("current")
                case .event(let event): events.append(event); trace.append("event")
                }
            }
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
        #expect(h.arbiter.health == .stale && h.arbiter.tally.unrecoveredGaps == 1)
        #expect(h.applied == [1, 2])                      // nothing past the gap while stale
        h.receive(Self.packet(6, 1), line: 0, at: 3 + 1000 * Self.ms)
        #expect(h.applied == [1, 2])
        h.receive(Self.packet(3, 1), line: 2, at: 4 + 1000 * Self.ms)   // the answer, late
        #expect(h.staleChanges == [true, false])
        #expect(h.applied == Array(1...6))
        #expect(h.arbiter.health == .live && h.arbiter.tally.unstaleEvents == 1)
    }

    @Test func theArbiterHandsBackWhatHappenedInTheOrderToActOnIt() {
        var h = Harness(retransmit: true)
        defer { h.arbiter.deallocate() }
        h.receive(Self.packet(1, 2), line: 0, at: 0)
        #expect(h.trace == ["event", "m1"])                        // session started, then its messages
        h.receive(Self.packet(5, 2), line: 0, at: 1)               // 3...4 missing: 5...6 wait, nothing out
        #expect(h.trace.count == 2)
        h.service(at: 2)
        #expect(h.trace.suffix(2) == ["event", "request"])         // the gap, then the request for it
        h.service(at: 2 + 1000 * Self.ms)
        #expect(h.trace.suffix(2) == ["request", "stale"])         // a retry, then the recovery timeout
        h.trace = []
        h.receive(Self.packet(3, 2), line: 2, at: 3 + 1000 * Self.ms)
        // Current again before the messages that complete the gap, then the buffered packet behind it.
        #expect(h.trace == ["current", "event", "m3", "m5"])
        #expect(h.applied == Array(1...6))
        #expect(h.events.last == .recovered(from: 3, to: 5, requests: 2))
    }

    @Test func aPacketThatOverlapsWhatWasAppliedHandsOutOnlyTheRest() {
        var h = Harness(b: true)
        defer { h.arbiter.deallocate() }
        h.receive(Self.packet(1, 3), line: 0, at: 0)
        h.receive(Self.packet(2, 4), line: 1, at: 1)               // 2...3 were applied from A
        #expect(h.applied == Array(1...5))
        #expect(h.trace.last == "m4")
        #expect(h.arbiter.tally.duplicateMessages == 2)
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
        #expect(h.events.contains(.sessionChanged(from: Self.session, to: next, sequence: 1)))
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
        #expect(h.events.contains(.silent(line: .a, seconds: 3)) && h.events.contains(.silent(line: nil, seconds: 3)))
        var end = Self.heartbeat(2)
        end[18] = 0xFF
        end[19] = 0xFF
        h.receive(end, line: 0, at: 3001 * Self.ms)
        #expect(h.events.contains(.resumed(line: nil)))
        #expect(h.arbiter.health == .ended && h.arbiter.tally.endsOfSession == 1)
    }
}

import Foundation
import LoadTest
import Testing

/// The seq rules of contract section 2, one message at a time.
@Suite struct SequenceCheckerTests {
    func message(_ type: MessageType, seq: UInt64? = nil, prev: UInt64? = nil, conflated: Bool = false,
                 from: UInt64? = nil, to: UInt64? = nil) -> ServerMessage {
        var m = ServerMessage()
        if let prev { m.prev = prev; m.hasPrev = true }
        m.type = type
        m.hasType = true
        if let seq { m.seq = seq; m.hasSeq = true }
        m.conflated = conflated
        if let from { m.from = from; m.hasFrom = true }
        if let to { m.to = to; m.hasTo = true }
        return m
    }

    func run(_ messages: [ServerMessage], depthSkips: Bool = false) -> [SequenceVerdict] {
        var track = SymbolTrack()
        return messages.map { SequenceChecker.observe($0, &track, allowDepthSkips: depthSkips) }
    }

    @Test func aContinuousLineAfterTheSnapshotIsInOrder() {
        #expect(run([message(.snapshot, seq: 41), message(.quote, seq: 42), message(.trade, seq: 43),
                     message(.status, seq: 44), message(.tradeBreak, seq: 45)])
                == [.snapshot, .inOrder, .inOrder, .inOrder, .inOrder])
    }

    @Test func updatesBeforeTheSnapshotAreOrderErrors() {
        #expect(run([message(.quote, seq: 5), message(.snapshot, seq: 5), message(.quote, seq: 6)])
                == [.updateBeforeSnapshot, .snapshot, .inOrder])
    }

    @Test func aJumpIsExplainedOnlyByConflationGapNoticeOrDepth() {
        #expect(run([message(.snapshot, seq: 10), message(.quote, seq: 15, conflated: true), message(.quote, seq: 16)])
                == [.snapshot, .conflated(skipped: 4), .inOrder])
        #expect(run([message(.snapshot, seq: 10), message(.quote, seq: 15)]) == [.snapshot, .unexplainedGap(skipped: 4)])
        #expect(run([message(.snapshot, seq: 10), message(.quote, seq: 15)], depthSkips: true)
                == [.snapshot, .depthFiltered(skipped: 4)])
        #expect(run([message(.snapshot, seq: 10), message(.gap, from: 11, to: 14), message(.trade, seq: 15)])
                == [.snapshot, .gapNotice(count: 4), .inOrder])
        // A gap notice followed by the fresh snapshot (the contract's resync).
        #expect(run([message(.snapshot, seq: 10), message(.gap, from: 11, to: 20), message(.snapshot, seq: 25), message(.quote, seq: 26)])
                == [.snapshot, .gapNotice(count: 10), .snapshot, .inOrder])
    }

    /// With `prev` (issue 19): a jump is fine whatever the depth when `prev` names the last seq held;
    /// a `prev` that does not is a chain break, even at depth 10 and even on a conflated quote.
    @Test func prevMustNameTheLastSeqHeld() {
        #expect(run([message(.snapshot, seq: 10), message(.quote, seq: 15, prev: 10), message(.trade, seq: 16, prev: 15),
                     message(.quote, seq: 20, prev: 16, conflated: true)])
                == [.snapshot, .depthFiltered(skipped: 4), .inOrder, .conflated(skipped: 3)])
        #expect(run([message(.snapshot, seq: 10), message(.quote, seq: 12, prev: 11), message(.quote, seq: 13, prev: 12)])
                == [.snapshot, .chainBreak, .inOrder])
        #expect(run([message(.snapshot, seq: 10), message(.quote, seq: 11, prev: 9)]) == [.snapshot, .chainBreak])
        #expect(run([message(.snapshot, seq: 10), message(.quote, seq: 14, prev: 13, conflated: true)], depthSkips: true)
                == [.snapshot, .chainBreak])
        // A gap and its snapshot restart the chain.
        #expect(run([message(.snapshot, seq: 10), message(.gap, from: 11, to: 20), message(.snapshot, seq: 20),
                     message(.trade, seq: 21, prev: 20)])
                == [.snapshot, .gapNotice(count: 10), .snapshot, .inOrder])
        #expect(run([message(.snapshot, seq: 10), message(.quote, seq: 10, prev: 10)]) == [.snapshot, .backwards])
        var counts = CheckCounts()
        counts.count(.chainBreak)
        #expect(counts.chainBreaks == 1 && counts.sequenceErrors == 1)
    }

    @Test func backwardsAndMissingFieldsAreErrors() {
        #expect(run([message(.snapshot, seq: 10), message(.quote, seq: 10), message(.quote, seq: 9)])
                == [.snapshot, .backwards, .backwards])
        #expect(run([message(.snapshot, seq: 10), message(.snapshot, seq: 8)]) == [.snapshot, .snapshotBackwards])
        #expect(run([message(.snapshot, seq: 10), message(.quote)]) == [.snapshot, .missingField])
        #expect(run([message(.gap, from: 5)]) == [.missingField])
        #expect(run([message(.gap, from: 9, to: 5)]) == [.missingField])
    }

    @Test func countsAddUp() {
        var counts = CheckCounts()
        for v in run([message(.snapshot, seq: 1), message(.quote, seq: 5, conflated: true), message(.quote, seq: 9),
                      message(.gap, from: 10, to: 12), message(.quote, seq: 12)]) { counts.count(v) }
        #expect(counts.conflatedSkipped == 3 && counts.unexplainedGaps == 1 && counts.unexplainedSkipped == 3)
        #expect(counts.gapNotices == 1 && counts.gapSkipped == 3 && counts.backwards == 1)
        #expect(counts.sequenceErrors == 2)
        var total = CheckCounts()
        total.merge(counts)
        total.merge(counts)
        #expect(total.unexplainedGaps == 2 && total.gapSkipped == 6)
    }
}

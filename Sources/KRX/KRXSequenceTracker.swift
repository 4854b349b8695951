/// A hole in one instrument's sequence on one board: records `from`…`to` never arrived.
public struct KRXSequenceGap: Sendable, Equatable {
    /// The instrument's directory index.
    public var instrument: Int
    /// The board.
    public var board: KRXBoardID
    /// The first missing sequence number.
    public var from: Int64
    /// The last missing sequence number.
    public var to: Int64

    /// How many records are missing.
    public var count: Int64 { to - from + 1 }
}

/// What a record's sequence number means for its instrument and board.
public enum KRXSequenceOutcome: Sendable, Equatable {
    /// The first record seen for the instrument on this board (any number is accepted).
    case first
    /// The next one in order.
    case inOrder
    /// Records are missing before this one (which is accepted and moves the sequence on).
    case gap(KRXSequenceGap)
    /// Not newer than the last accepted: a duplicate or a late, reordered record, to be dropped
    /// (a quote or trade older than the state already applied would move it backwards).
    case stale(last: Int64)
    /// Not tracked: the instrument's index is beyond the tracker's capacity, or it already uses every
    /// board slot. Counted; the record is applied unsequenced.
    case untracked
}

/// Message sequence numbers per instrument and board (KOSCOM numbers the real-time records of the
/// high-bandwidth lines that way): detects gaps — which instrument, from and to — duplicates and
/// reordering.
///
/// Bounded: `instrumentCapacity` × `boardsPerInstrument` slots, allocated once; observing allocates
/// nothing.
public struct KRXSequenceTracker: Sendable {
    /// Instruments tracked (directory indices 0..<capacity).
    public let instrumentCapacity: Int
    /// Boards tracked per instrument; a further board of an instrument is untracked.
    public let boardsPerInstrument: Int
    /// Per slot: the board (`raw`, 0 for a free slot) and the last accepted sequence number.
    var boards: [UInt16]
    var last: [Int64]
    /// Gaps seen.
    public private(set) var gaps = 0
    /// Records missing across all gaps.
    public private(set) var missingRecords: Int64 = 0
    /// Duplicate or reordered records seen.
    public private(set) var staleRecords = 0
    /// Records that could not be tracked.
    public private(set) var untrackedRecords = 0

    /// A tracker for instruments `0..<instrumentCapacity`, each on up to `boardsPerInstrument` boards.
    public init(instrumentCapacity: Int, boardsPerInstrument: Int = 4) {
        precondition(instrumentCapacity > 0 && boardsPerInstrument > 0)
        self.instrumentCapacity = instrumentCapacity
        self.boardsPerInstrument = boardsPerInstrument
        boards = [UInt16](repeating: 0, count: instrumentCapacity * boardsPerInstrument)
        last = [Int64](repeating: 0, count: instrumentCapacity * boardsPerInstrument)
    }

    /// Records `sequenceNumber` for `instrument` on `board` and says what it means.
    public mutating func observe(instrument: Int, board: KRXBoardID, sequenceNumber: Int64) -> KRXSequenceOutcome {
        guard instrument >= 0, instrument < instrumentCapacity else {
            untrackedRecords += 1
            return .untracked
        }
        let first = instrument * boardsPerInstrument
        var slot = first
        while slot < first + boardsPerInstrument, boards[slot] != 0, boards[slot] != board.raw { slot += 1 }
        guard slot < first + boardsPerInstrument else {
            untrackedRecords += 1
            return .untracked
        }
        if boards[slot] == 0 {
            boards[slot] = board.raw
            last[slot] = sequenceNumber
            return .first
        }
        let previous = last[slot]
        if sequenceNumber == previous + 1 {
            last[slot] = sequenceNumber
            return .inOrder
        }
        if sequenceNumber <= previous {
            staleRecords += 1
            return .stale(last: previous)
        }
        last[slot] = sequenceNumber
        let gap = KRXSequenceGap(instrument: instrument, board: board, from: previous + 1, to: sequenceNumber - 1)
        gaps += 1
        missingRecords += gap.count
        return .gap(gap)
    }

    /// The last accepted sequence number of `instrument` on `board`, `nil` if none was seen.
    public func lastSequenceNumber(instrument: Int, board: KRXBoardID) -> Int64? {
        guard instrument >= 0, instrument < instrumentCapacity else { return nil }
        let first = instrument * boardsPerInstrument
        for slot in first..<(first + boardsPerInstrument) where boards[slot] == board.raw { return last[slot] }
        return nil
    }
}

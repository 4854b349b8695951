/// A view of a real-time record (every kind but polling and the instrument master): the header
/// fields read the same way from wherever its layout keeps them.
public protocol KRXRealTimeRecord: BitwiseCopyable {
    /// Where this kind keeps its header fields.
    static var headerLayout: KRXHeaderLayout { get }
    /// The record's bytes (a whole, validated record of this kind).
    var bytes: KRXRecordBytes { get }
}

extension KRXRealTimeRecord {
    /// Header fields.
    @inlinable public var header: KRXRecordHeader { Self.headerLayout.read(bytes) }
    /// Message sequence number (per instrument and board).
    @inlinable public var sequenceNumber: Int64 { bytes.unsigned(Self.headerLayout.sequenceNumber) }
    /// The instrument.
    @inlinable public var isin: ISIN { ISIN(at: bytes.base + Self.headerLayout.isin.offset) }
    /// The board.
    @inlinable public var board: KRXBoardID { Self.headerLayout.board(of: bytes) }
    /// The session, `nil` when the layout has none or it is blank.
    @inlinable public var session: KRXSessionID? { Self.headerLayout.session(of: bytes) }
    /// The trading system's processing time, µs since midnight, `nil` when the layout has none or
    /// it is blank.
    @inlinable public var processingTime: Int64? { Self.headerLayout.processingTime.flatMap { bytes.optionalTimeOfDay($0) } }
}

extension KRXRecord {
    /// What sequences a real-time record: its instrument, board and sequence number; `nil` for
    /// polling and the batch master (numbered per batch, not per instrument).
    @inlinable public var sequenceKey: (isin: ISIN, board: KRXBoardID, sequenceNumber: Int64)? {
        switch self {
        case .quote(let r): (r.isin, r.board, r.sequenceNumber)
        case .trade(let r): (r.isin, r.board, r.sequenceNumber)
        case .marketOperation(let r): (r.isin, r.board, r.sequenceNumber)
        case .basePrice(let r): (r.isin, r.board, r.sequenceNumber)
        case .issueClosing(let r): (r.isin, r.board, r.sequenceNumber)
        case .volatilityInterruption(let r): (r.isin, r.board, r.sequenceNumber)
        case .polling, .instrumentMaster, .endOfBatch: nil
        }
    }
}

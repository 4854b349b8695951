/// One decoded record: a typed view over its bytes in the payload (nothing copied).
public enum KRXRecord {
    /// `I2000`.
    case polling(PollingRecord)
    /// `B601x`.
    case quote(QuoteRecord)
    /// `A301x`.
    case trade(TradeRecord)
    /// `A701x`.
    case marketOperation(MarketOperationRecord)
    /// `A401x`.
    case basePrice(BasePriceRecord)
    /// `A601x`.
    case issueClosing(IssueClosingRecord)
    /// `R801x`.
    case volatilityInterruption(VolatilityInterruptionRecord)
    /// `A001x`, one instrument of the batch master.
    case instrumentMaster(InstrumentMasterRecord)
    /// The last record of an `A001x` batch (`99999999` after the sequence number): the master of
    /// that market is complete.
    case endOfBatch(trCode: TRCode, sequenceNumber: Int64)
}

/// What the reader accepted and refused; every record of a payload is counted in exactly one field
/// (a refused one under its reason). Fixed-size storage: counting allocates nothing.
public struct KRXDecodeStatistics: Sendable, Equatable {
    /// Records accepted, per kind (`KRXRecordKind.allCases` order), end-of-batch markers apart.
    public var accepted = InlineArray<8, Int>(repeating: 0)
    /// End-of-batch markers accepted.
    public var endOfBatch = 0
    /// Records refused, per reason (`KRXRecordError.allCases` order).
    public var refused = InlineArray<8, Int>(repeating: 0)
    /// Bytes of refused records (and of what could not be framed around them).
    public var skippedBytes = 0

    /// All zero.
    public init() {}

    /// Records of `kind` accepted.
    public func accepted(_ kind: KRXRecordKind) -> Int { accepted[kind.ordinal] }
    /// Records refused for `reason`.
    public func refused(_ reason: KRXRecordError) -> Int { refused[reason.ordinal] }
    /// Every accepted record, markers included.
    public var acceptedTotal: Int { (0..<accepted.count).reduce(endOfBatch) { $0 + accepted[$1] } }
    /// Every refused record.
    public var refusedTotal: Int { (0..<refused.count).reduce(0) { $0 + refused[$1] } }

    /// Adds `other`'s counts to these.
    public mutating func add(_ other: KRXDecodeStatistics) {
        for i in 0..<accepted.count { accepted[i] += other.accepted[i] }
        for i in 0..<refused.count { refused[i] += other.refused[i] }
        endOfBatch += other.endOfBatch
        skippedBytes += other.skippedBytes
    }

    /// Equal when every count is.
    public static func == (a: KRXDecodeStatistics, b: KRXDecodeStatistics) -> Bool {
        a.endOfBatch == b.endOfBatch && a.skippedBytes == b.skippedBytes
            && (0..<a.accepted.count).allSatisfy { a.accepted[$0] == b.accepted[$0] }
            && (0..<a.refused.count).allSatisfy { a.refused[$0] == b.refused[$0] }
    }
}

extension KRXRecordKind {
    /// Position in `allCases`, for counters kept in fixed-size storage (`allCases` builds an array).
    @inlinable public var ordinal: Int {
        switch self {
        case .polling: 0
        case .quote: 1
        case .trade: 2
        case .marketOperation: 3
        case .basePrice: 4
        case .issueClosing: 5
        case .volatilityInterruption: 6
        case .instrumentMaster: 7
        }
    }
}

extension KRXRecordError {
    /// Position in `allCases`, for counters kept in fixed-size storage.
    @inlinable public var ordinal: Int {
        switch self {
        case .unknownTRCode: 0
        case .truncated: 1
        case .missingEndKeyword: 2
        case .nonDigit: 3
        case .numberOutOfRange: 4
        case .invalidCode: 5
        case .invalidISIN: 6
        case .invalidTime: 7
        }
    }
}

/// A refused record, for a log line: why, its TR code as read, where in the payload.
public struct KRXRefusal: Sendable, Equatable {
    /// Why.
    public var reason: KRXRecordError
    /// The five bytes at the record's start (maybe not a TR code at all).
    public var trCode: TRCode
    /// The record's offset in its payload.
    public var offset: Int
}

/// Walks one UDP payload — a run of fixed-length records, each a TR code, its fields and the end
/// keyword — and yields each well-formed record as a typed view in place.
///
/// For each record: the TR code gives the length; the record must fit the payload (`.truncated`)
/// and end with 0xFF (`.missingEndKeyword`); then the record's own `validate` checks every field it
/// decodes. A refused record is counted under its reason and skipped whole. When the length cannot
/// be trusted (unknown TR code, misplaced end keyword), reading resumes at the next record the
/// bytes allow: right after the expected length when a known TR code starts there (only the end
/// keyword was damaged), else after the next 0xFF, which never occurs inside a record.
///
/// Invariant: `payload` stays valid while the reader and the views it yields are used.
public struct KRXRecordReader: IteratorProtocol, Sequence {
    /// The payload being read.
    public let payload: UnsafeRawBufferPointer
    /// Offset of the next record.
    public private(set) var offset = 0
    /// Counts so far.
    public private(set) var statistics = KRXDecodeStatistics()
    /// The most recent refusal, `nil` before the first.
    public private(set) var lastRefusal: KRXRefusal?

    /// A reader of `payload`.
    public init(payload: UnsafeRawBufferPointer) { self.payload = payload }

    /// The next well-formed record, `nil` at the end of the payload.
    public mutating func next() -> KRXRecord? {
        while offset < payload.count {
            let start = offset
            let remaining = payload.count - start
            guard let base = payload.baseAddress, remaining >= 5 else {
                refuse(.truncated, at: start, resumeAt: payload.count)
                return nil
            }
            let r = KRXRecordBytes(base + start)
            guard let kind = r.trCode.kind else {
                refuse(.unknownTRCode, at: start, resumeAt: afterNextEndKeyword(from: start))
                continue
            }
            var length = kind.length
            if kind == .instrumentMaster, remaining >= InstrumentMasterRecord.Layout.shortEndOfBatchLength,
               InstrumentMasterRecord.isEndOfBatch(r) {
                if r.byte(InstrumentMasterRecord.Layout.shortEndOfBatchLength - 1) == krxEndKeyword {
                    length = InstrumentMasterRecord.Layout.shortEndOfBatchLength
                }
                guard let marker = frame(r, at: start, length: length) else { continue }
                guard r.isDigits(InstrumentMasterRecord.Layout.sequenceNumber) else {
                    refuse(.nonDigit, at: start, resumeAt: marker)
                    continue
                }
                offset = marker
                statistics.endOfBatch += 1
                return .endOfBatch(trCode: r.trCode, sequenceNumber: r.unsigned(InstrumentMasterRecord.Layout.sequenceNumber))
            }
            guard let end = frame(r, at: start, length: length) else { continue }
            let error: KRXRecordError?
            switch kind {
            case .polling: error = PollingRecord.validate(r)
            case .quote: error = QuoteRecord.validate(r)
            case .trade: error = TradeRecord.validate(r)
            case .marketOperation: error = MarketOperationRecord.validate(r)
            case .basePrice: error = BasePriceRecord.validate(r)
            case .issueClosing: error = IssueClosingRecord.validate(r)
            case .volatilityInterruption: error = VolatilityInterruptionRecord.validate(r)
            case .instrumentMaster: error = InstrumentMasterRecord.validate(r)
            }
            if let error {
                refuse(error, at: start, resumeAt: end)
                continue
            }
            offset = end
            statistics.accepted[kind.ordinal] += 1
            switch kind {
            case .polling: return .polling(PollingRecord(r))
            case .quote: return .quote(QuoteRecord(r))
            case .trade: return .trade(TradeRecord(r))
            case .marketOperation: return .marketOperation(MarketOperationRecord(r))
            case .basePrice: return .basePrice(BasePriceRecord(r))
            case .issueClosing: return .issueClosing(IssueClosingRecord(r))
            case .volatilityInterruption: return .volatilityInterruption(VolatilityInterruptionRecord(r))
            case .instrumentMaster: return .instrumentMaster(InstrumentMasterRecord(r))
            }
        }
        return nil
    }

    /// The offset just past the record of `length` bytes at `start` when it fits the payload and
    /// ends with the end keyword; else counts the refusal, moves `offset` to where reading resumes
    /// and returns `nil`.
    mutating func frame(_ r: KRXRecordBytes, at start: Int, length: Int) -> Int? {
        let remaining = payload.count - start
        if remaining >= length, r.byte(length - 1) == krxEndKeyword { return start + length }
        let nextEnd = afterNextEndKeyword(from: start)
        if remaining < length, nextEnd == payload.count, payload[payload.count - 1] != krxEndKeyword {
            // No end keyword anywhere after the start: the payload was cut inside this record.
            refuse(.truncated, at: start, resumeAt: payload.count)
            return nil
        }
        if remaining > length + 5, KRXRecordBytes(payload.baseAddress! + start + length).trCode.kind != nil {
            // Only the end keyword was damaged: the next record starts where this one should end.
            refuse(.missingEndKeyword, at: start, resumeAt: start + length)
        } else {
            refuse(.missingEndKeyword, at: start, resumeAt: nextEnd)
        }
        return nil
    }

    /// The offset after the first end keyword at or after `start`, or the payload's end.
    func afterNextEndKeyword(from start: Int) -> Int {
        var i = start
        while i < payload.count {
            if payload[i] == krxEndKeyword { return i + 1 }
            i += 1
        }
        return payload.count
    }

    mutating func refuse(_ reason: KRXRecordError, at start: Int, resumeAt resume: Int) {
        statistics.refused[reason.ordinal] += 1
        statistics.skippedBytes += resume - start
        lastRefusal = KRXRefusal(reason: reason, trCode: start + 5 <= payload.count ? TRCode(at: payload.baseAddress! + start)
                                    : TRCode("00000")!, offset: start)
        offset = resume
    }
}

extension KRXRecord {
    /// The record's TR code.
    public var trCode: TRCode {
        switch self {
        case .polling(let r): r.bytes.trCode
        case .quote(let r): r.bytes.trCode
        case .trade(let r): r.bytes.trCode
        case .marketOperation(let r): r.bytes.trCode
        case .basePrice(let r): r.bytes.trCode
        case .issueClosing(let r): r.bytes.trCode
        case .volatilityInterruption(let r): r.bytes.trCode
        case .instrumentMaster(let r): r.bytes.trCode
        case .endOfBatch(let code, _): code
        }
    }
}

extension KRXRecordReader {
    /// Whether `payload` begins with a KOSCOM record: a TR code quotecast decodes, and the end
    /// keyword where that code's length puts it (or where a short end-of-batch marker ends). Only
    /// the framing is checked, not the fields: this tells a KRX capture from other UDP payloads.
    public static func beginsWithRecord(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard let base = payload.baseAddress, payload.count >= 5 else { return false }
        let r = KRXRecordBytes(base)
        guard let kind = r.trCode.kind else { return false }
        if payload.count >= kind.length, r.byte(kind.length - 1) == krxEndKeyword { return true }
        let short = InstrumentMasterRecord.Layout.shortEndOfBatchLength
        return kind == .instrumentMaster && payload.count >= short && InstrumentMasterRecord.isEndOfBatch(r)
            && r.byte(short - 1) == krxEndKeyword
    }
}

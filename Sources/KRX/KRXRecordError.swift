/// Why a record is refused. A refused record is counted under its reason and dropped whole: no field
/// of it is applied. Each reason has a stable `label` for metrics.
public enum KRXRecordError: Error, Sendable, Equatable, Hashable, CaseIterable {
    /// The five bytes at a record's start are no TR code quotecast decodes. The record's length is
    /// then unknown: the reader resumes after the next end keyword.
    case unknownTRCode
    /// The payload ends before the record's length for its TR code.
    case truncated
    /// The byte at the record's last position (its length for the TR code, minus one) is not the
    /// end keyword 0xFF: the record is shorter or longer than its TR code says. The reader resumes
    /// after the next end keyword.
    case missingEndKeyword
    /// A numeric field holds something other than digits (a sign in its first position, a decimal
    /// point in its place) or spaces throughout.
    case nonDigit
    /// A numeric field's value does not fit 64 bits.
    case numberOutOfRange
    /// A code field holds a value outside its code table (change sign, side, VI status or type,
    /// closing price type, Y/N flag) or a non-printable board or session.
    case invalidCode
    /// The ISIN holds something other than upper-case letters and digits.
    case invalidISIN
    /// A time field is not `HHMMSS…` with hours, minutes and seconds in range.
    case invalidTime

    /// The reason as a metric label (`quotecast_feed_refused_records_total{reason="…"}`).
    public var label: String {
        switch self {
        case .unknownTRCode: "unknown_tr_code"
        case .truncated: "truncated"
        case .missingEndKeyword: "missing_end_keyword"
        case .nonDigit: "non_digit"
        case .numberOutOfRange: "number_out_of_range"
        case .invalidCode: "invalid_code"
        case .invalidISIN: "invalid_isin"
        case .invalidTime: "invalid_time"
        }
    }
}

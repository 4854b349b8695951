/// Polling data (`I2000`, IFMSRPD0001), 10 bytes: the line's heartbeat, sent every minute with the
/// current time `HHMM`. A view in place.
public struct PollingRecord: BitwiseCopyable {
    /// Every field's place (SPEC Details, IFMSRPD0001).
    public enum Layout {
        /// The record's length, end keyword included.
        public static let length = 10
        public static let currentTime = KRXField(5, 4)
        public static let endKeyword = KRXField(9, 1)
    }

    /// The record's bytes (a whole, validated polling record).
    public let bytes: KRXRecordBytes

    /// The view of a validated polling record.
    @inlinable public init(_ bytes: KRXRecordBytes) { self.bytes = bytes }

    /// Why `r` (a whole record of this length ending in the end keyword) is refused, `nil` if it is
    /// well-formed.
    @inlinable public static func validate(_ r: KRXRecordBytes) -> KRXRecordError? {
        r.timeError(Layout.currentTime, blankAllowed: false)
    }

    /// The current time, minutes since midnight.
    @inlinable public var minutesSinceMidnight: Int {
        Int(bytes.timeOfDay(Layout.currentTime) / 60_000_000)
    }

    /// Writes a polling record for `minutesSinceMidnight` at `out` (room for `Layout.length` bytes);
    /// returns `Layout.length`.
    @discardableResult
    public static func encode(minutesSinceMidnight: Int, into out: UnsafeMutableRawPointer) -> Int {
        let w = MutableKRXRecordBytes(out)
        w.trCode(TRCode(.polling, .kospi))
        w.timeOfDay(Layout.currentTime, Int64(minutesSinceMidnight) * 60_000_000)
        w.byte(Layout.endKeyword.offset, krxEndKeyword)
        return Layout.length
    }
}

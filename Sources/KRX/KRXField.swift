/// Where one field of a KOSCOM record lies: its first byte and its width, both from the
/// specification's `SPEC Details` sheet (start = Acc. Length − Length). Every record's `Layout` enum
/// names each of its fields once as a `KRXField`; `Tests/KRXTests/LayoutTests` holds them against
/// the committed `Fixtures/krx/spec-fields.csv`.
@frozen
public struct KRXField: Sendable, Equatable, BitwiseCopyable {
    /// Offset of the field's first byte from the record's first byte (the TR code's first letter).
    public let offset: Int
    /// Width in bytes.
    public let length: Int
    /// Digits after the decimal point the specification gives the field (0 for whole numbers).
    public let decimals: Int

    /// The field of `length` bytes at `offset`, with `decimals` digits after the point.
    @inlinable public init(_ offset: Int, _ length: Int, decimals: Int = 0) {
        self.offset = offset
        self.length = length
        self.decimals = decimals
    }

    /// The offset just past the field.
    @inlinable public var end: Int { offset + length }
}

/// The byte every record ends with (the specification's "End Keyword", `%HFF`). It never occurs
/// inside a record: the fields are ASCII, and the Korean names' CP949 bytes stop at 0xFE.
public let krxEndKeyword: UInt8 = 0xFF

/// A read-only window on one KOSCOM record, with the ASCII field reads the specification's data
/// types need: zero-padded digits (`Int`, `Long`), prices and amounts whose first position is the
/// sign (`0` or `-`, per the `Price Definition` sheet), decimals, text, and blank (all spaces) as
/// "no value".
///
/// Invariant: whoever makes a `KRXRecordBytes` has checked that `base` points at a whole record of
/// the kind it is read as (`KRXRecordReader` checks the length and the end keyword), and the value
/// reads (`unsigned`, `signed`, `decimal`, …) are only used on fields the record's `validate` has
/// accepted; they do no checking of their own.
@frozen
public struct KRXRecordBytes: BitwiseCopyable {
    /// The record's first byte (the first letter of its TR code).
    public let base: UnsafeRawPointer

    /// A window on the record at `base`.
    @inlinable public init(_ base: UnsafeRawPointer) { self.base = base }

    /// The byte at `offset`.
    @inlinable public func byte(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }

    /// The record's TR code.
    @inlinable public var trCode: TRCode { TRCode(at: base) }

    // MARK: Checks (used by each record's `validate`)

    /// Whether every byte of `field` is a space: the field carries no value.
    @inlinable public func isBlank(_ field: KRXField) -> Bool {
        var i = field.offset
        while i + 8 <= field.end {
            if word(i) != KRXRecordBytes.spaces { return false }
            i += 8
        }
        while i < field.end {
            if byte(i) != 0x20 { return false }
            i += 1
        }
        return true
    }

    /// Eight bytes from `offset`, the first in the lowest byte.
    @inlinable @inline(__always) func word(_ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @usableFromInline static let spaces: UInt64 = 0x2020_2020_2020_2020

    /// Whether all eight bytes of `x` are ASCII digits: each byte is 0x3_ and stays 0x3_ plus 6
    /// (no carry can cross bytes once every byte is 0x3_).
    @inlinable @inline(__always) static func allDigits(_ x: UInt64) -> Bool {
        let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0, threes: UInt64 = 0x3030_3030_3030_3030
        return x & high == threes && (x &+ 0x0606_0606_0606_0606) & high == threes
    }

    /// Whether `field` holds only printable ASCII (spaces included).
    @inlinable public func isPrintable(_ field: KRXField) -> Bool {
        var i = field.offset
        while i < field.end {
            let b = byte(i)
            guard b >= 0x20, b < 0x7F else { return false }
            i += 1
        }
        return true
    }

    /// Whether `field` holds only ASCII digits.
    @inlinable public func isDigits(_ field: KRXField) -> Bool { isDigits(from: field.offset, to: field.end) }

    /// Whether bytes `start..<end` are all ASCII digits (eight at a time).
    @inlinable public func isDigits(from start: Int, to end: Int) -> Bool {
        var i = start
        while i + 8 <= end {
            if !KRXRecordBytes.allDigits(word(i)) { return false }
            i += 8
        }
        if i < end, end - start >= 8 { return KRXRecordBytes.allDigits(word(end - 8)) }
        while i < end {
            if byte(i) &- 0x30 > 9 { return false }
            i += 1
        }
        return true
    }

    /// Whether `field` is a whole number: digits, the first position optionally `-`.
    @inlinable public func isSignedNumber(_ field: KRXField) -> Bool {
        let first = byte(field.offset)
        return (first &- 0x30 <= 9 || first == 0x2D) && isDigits(from: field.offset + 1, to: field.end)
    }

    /// Whether `field` is a whole number (`isSignedNumber`) or blank.
    @inlinable @inline(__always) public func isNumberOrBlank(_ field: KRXField) -> Bool {
        isSignedNumber(field) || isBlank(field)
    }

    /// Why `field` is not a number with `field.decimals` decimals or blank, `nil` when it is one. A
    /// decimal is a signed number written either with its decimal point (`0000123.450`, the layout
    /// the `Price Definition` sheet draws) or with the point implied (`0000123450`, the 9V99
    /// convention of KOSCOM's UDP document); its value times 10^decimals must fit an `Int64`, and
    /// the value must fit the layout with the point, whichever form it came in.
    @inlinable public func decimalError(_ field: KRXField) -> KRXRecordError? {
        if isBlank(field) { return nil }
        let pointAt = field.end - field.decimals - 1
        if field.decimals > 0, pointAt > field.offset, byte(pointAt) == 0x2E {
            let first = byte(field.offset)
            guard first &- 0x30 <= 9 || first == 0x2D, isDigits(from: field.offset + 1, to: pointAt),
                  isDigits(from: pointAt + 1, to: field.end) else { return .nonDigit }
        } else if !isSignedNumber(field) {
            return .nonDigit
        } else if field.decimals > 0, byte(byte(field.offset) == 0x2D ? field.offset + 1 : field.offset) != 0x30 {
            // The implied point frees the point's byte for one more integer digit than the drawn
            // layout holds. A value using it could not be written back in that layout (the encoders
            // write the point, and trapped on it), and no trading value or VI ratio comes near it.
            return .numberOutOfRange
        }
        return decimalFits(field) ? nil : .numberOutOfRange
    }

    /// Whether the magnitude of a decimal field's digits fits an `Int64` (fields of 19 digits or
    /// fewer always do).
    @inlinable func decimalFits(_ field: KRXField) -> Bool {
        var value: Int64 = 0
        var i = field.offset
        while i < field.end {
            let digit = byte(i) &- 0x30
            if digit <= 9 {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int64(digit))
                if o1 || o2 { return false }
                value = sum
            }
            i += 1
        }
        return true
    }

    /// Whether `field` is a time of day `HHMMSS` followed by `fractionDigits` digits, every part in
    /// range (hours below 24, minutes and seconds below 60).
    @inlinable public func isTimeOfDay(_ field: KRXField) -> Bool {
        guard isDigits(field) else { return false }
        let hours = twoDigits(field.offset), minutes = twoDigits(field.offset + 2)
        let seconds = field.length >= 6 ? twoDigits(field.offset + 4) : 0
        return hours < 24 && minutes < 60 && seconds < 60
    }

    /// Why `field` is not a time of day (`isTimeOfDay`) or blank, `nil` when it is one: anything but
    /// digits is `.nonDigit`, digits out of range `.invalidTime`.
    @inlinable public func timeError(_ field: KRXField, blankAllowed: Bool = true) -> KRXRecordError? {
        if blankAllowed, isBlank(field) { return nil }
        if !isDigits(field) { return .nonDigit }
        return isTimeOfDay(field) ? nil : .invalidTime
    }

    @inlinable func twoDigits(_ offset: Int) -> Int { Int(byte(offset) &- 0x30) * 10 + Int(byte(offset + 1) &- 0x30) }

    // MARK: Values (only on validated fields)

    /// The value of a digits-only field.
    @inlinable public func unsigned(_ field: KRXField) -> Int64 { digitsValue(from: field.offset, to: field.end) }

    /// The value of a signed whole-number field (`-` in the first position for a negative value).
    @inlinable public func signed(_ field: KRXField) -> Int64 {
        if byte(field.offset) == 0x2D { return 0 &- digitsValue(from: field.offset + 1, to: field.end) }
        return digitsValue(from: field.offset, to: field.end)
    }

    /// The value of the validated digits `start..<end`. Up to 16 digits (every price and quantity)
    /// take one or two eight-digit conversions: the last eight bytes of the field, their leading
    /// bytes beyond the field's digits turned into '0's, and the first eight. Reading the eight bytes
    /// that end at `end` stays inside the record: no numeric field ends before offset 9.
    @inlinable func digitsValue(from start: Int, to end: Int) -> Int64 {
        let count = end - start
        if count <= 8 {
            return Int64(bitPattern: KRXRecordBytes.eightDigits(KRXRecordBytes.zeroingLeading(8 - count, of: word(end - 8))))
        }
        if count <= 16 {
            let high = KRXRecordBytes.eightDigits(word(start))
            let low = KRXRecordBytes.eightDigits(KRXRecordBytes.zeroingLeading(16 - count, of: word(end - 8)))
            return Int64(bitPattern: high &* KRXRecordBytes.powerOf10(count - 8) &+ low)
        }
        var value: UInt64 = 0
        var i = start
        while i < end {
            value = value &* 10 &+ UInt64(byte(i) &- 0x30)
            i += 1
        }
        return Int64(bitPattern: value)
    }

    /// `word` with its first `count` (0…7) bytes replaced by ASCII '0'.
    @inlinable @inline(__always) static func zeroingLeading(_ count: Int, of word: UInt64) -> UInt64 {
        let mask: UInt64 = (1 << UInt64(8 * count)) &- 1
        return (word & ~mask) | (0x3030_3030_3030_3030 & mask)
    }

    /// 10^n for n in 0…8.
    @inlinable @inline(__always) static func powerOf10(_ n: Int) -> UInt64 {
        var p: UInt64 = 1
        for _ in 0..<n { p &*= 10 }
        return p
    }

    /// The number eight ASCII digits spell (the first, most significant, in the lowest byte): digit
    /// pairs, then quadruples, then the whole, by multiplications within the word.
    @inlinable @inline(__always) static func eightDigits(_ word: UInt64) -> UInt64 {
        var v = word &- 0x3030_3030_3030_3030
        v = (v &* 10) &+ (v >> 8)
        let pairs: UInt64 = 0x0000_00FF_0000_00FF
        v = ((v & pairs) &* (100 + (1_000_000 << 32)) &+ ((v >> 16) & pairs) &* (1 + (10_000 << 32))) >> 32
        return v
    }

    /// The value of a signed whole-number field, `nil` when it is blank (a validated number never
    /// starts with a space, so the first byte tells).
    @inlinable public func optionalSigned(_ field: KRXField) -> Int64? {
        byte(field.offset) == 0x20 ? nil : signed(field)
    }

    /// The value of a digits-only field, `nil` when it is blank.
    @inlinable public func optionalUnsigned(_ field: KRXField) -> Int64? {
        byte(field.offset) == 0x20 ? nil : unsigned(field)
    }

    /// The value of a decimal field as an integer count of 10^-decimals units (the point skipped, an
    /// implied point taken as given), `nil` when it is blank.
    @inlinable public func decimal(_ field: KRXField) -> KRXDecimal? {
        if isBlank(field) { return nil }
        let negative = byte(field.offset) == 0x2D
        var value: Int64 = 0
        var i = negative ? field.offset + 1 : field.offset
        while i < field.end {
            let digit = byte(i) &- 0x30
            if digit <= 9 { value = value &* 10 &+ Int64(digit) }
            i += 1
        }
        return KRXDecimal(scaled: negative ? 0 &- value : value, decimals: field.decimals)
    }

    /// A validated `HHMMSS` + fraction field as microseconds since midnight; the fraction's digits
    /// are the leading digits of the second's fraction (`uuuuuu` microseconds, `mmm` milliseconds).
    @inlinable public func timeOfDay(_ field: KRXField) -> Int64 {
        let seconds = Int64(twoDigits(field.offset)) * 3600 + Int64(twoDigits(field.offset + 2)) * 60
            + (field.length >= 6 ? Int64(twoDigits(field.offset + 4)) : 0)
        var fraction: Int64 = 0
        var scale: Int64 = 1_000_000
        var i = field.offset + 6
        while i < field.end {
            scale /= 10
            fraction += Int64(byte(i) &- 0x30) * scale
            i += 1
        }
        return seconds * 1_000_000 + fraction
    }

    /// `timeOfDay`, or `nil` when the field is blank.
    @inlinable public func optionalTimeOfDay(_ field: KRXField) -> Int64? { isBlank(field) ? nil : timeOfDay(field) }

    /// The field's bytes.
    @inlinable public func bytes(_ field: KRXField) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + field.offset, count: field.length)
    }

    /// The field as text, trailing spaces removed (ASCII fields; allocates, not for hot paths).
    public func text(_ field: KRXField) -> String {
        var end = field.end
        while end > field.offset, byte(end - 1) == 0x20 { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(start: base + field.offset, count: end - field.offset),
                      as: UTF8.self)
    }
}

/// A number with a fixed count of decimals, held as an integer: `KRXDecimal(scaled: 123456,
/// decimals: 3)` is 123.456. The accumulated trading value (won, 3 decimals) and the VI disparity
/// ratios (6 decimals) come in this form.
@frozen
public struct KRXDecimal: Sendable, Equatable, Hashable, BitwiseCopyable, CustomStringConvertible {
    /// The value times 10^decimals.
    public var scaled: Int64
    /// Digits after the decimal point.
    public var decimals: Int

    /// The value `scaled` × 10^-decimals.
    @inlinable public init(scaled: Int64, decimals: Int) {
        self.scaled = scaled
        self.decimals = decimals
    }

    /// The whole part, truncated toward zero (won for amounts).
    @inlinable public var wholePart: Int64 {
        var divisor: Int64 = 1
        for _ in 0..<decimals { divisor *= 10 }
        return scaled / divisor
    }

    /// The decimal text with all its decimals, e.g. `123.456`, `-0.050000`, `42`.
    public var description: String {
        guard decimals > 0 else { return String(scaled) }
        let magnitude = String(scaled.magnitude)
        let padded = String(repeating: "0", count: max(0, decimals + 1 - magnitude.count)) + magnitude
        let cut = padded.index(padded.endIndex, offsetBy: -decimals)
        return (scaled < 0 ? "-" : "") + padded[..<cut] + "." + padded[cut...]
    }
}

/// A writable window on a record being encoded. Invariant: `base` has room for the record, and
/// every value written fits its field (the encoders are for the simulator and tests; a value too
/// wide for its field is a programming error and stops the process).
@frozen
public struct MutableKRXRecordBytes {
    /// The record's first byte.
    public let base: UnsafeMutableRawPointer

    /// A window on the record being written at `base`.
    @inlinable public init(_ base: UnsafeMutableRawPointer) { self.base = base }

    /// Writes one byte.
    @inlinable public func byte(_ offset: Int, _ value: UInt8) {
        base.storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
    }

    /// Fills `field` with spaces: no value.
    @inlinable public func blank(_ field: KRXField) {
        (base + field.offset).initializeMemory(as: UInt8.self, repeating: 0x20, count: field.length)
    }

    /// Writes the TR code's five letters at offset 0.
    @inlinable public func trCode(_ code: TRCode) {
        for i in 0..<5 { byte(i, UInt8(truncatingIfNeeded: code.raw >> (8 * UInt64(i)))) }
    }

    /// Writes `value` (≥ 0) as zero-padded digits filling `field`.
    @inlinable public func unsigned(_ field: KRXField, _ value: Int64) {
        precondition(value >= 0, "negative value for an unsigned KRX field")
        digits(from: field.offset, to: field.end, value.magnitude)
    }

    /// Writes `value` zero-padded; a negative value gets `-` in the first position.
    @inlinable public func signed(_ field: KRXField, _ value: Int64) {
        if value < 0 {
            byte(field.offset, 0x2D)
            digits(from: field.offset + 1, to: field.end, value.magnitude)
        } else {
            digits(from: field.offset, to: field.end, value.magnitude)
        }
    }

    /// Writes `value`, or blanks the field for `nil`.
    @inlinable public func optionalSigned(_ field: KRXField, _ value: Int64?) {
        if let value { signed(field, value) } else { blank(field) }
    }

    /// Writes `value`, or blanks the field for `nil`.
    @inlinable public func optionalUnsigned(_ field: KRXField, _ value: Int64?) {
        if let value { unsigned(field, value) } else { blank(field) }
    }

    /// Writes a decimal with its point (the `Price Definition` sheet's layout), or blanks the field
    /// for `nil`. `value.decimals` must equal the field's.
    @inlinable public func decimal(_ field: KRXField, _ value: KRXDecimal?) {
        guard let value else { return blank(field) }
        precondition(value.decimals == field.decimals, "decimals differ from the field's")
        guard field.decimals > 0 else { return signed(field, value.scaled) }
        var divisor: UInt64 = 1
        for _ in 0..<field.decimals { divisor *= 10 }
        let magnitude = value.scaled.magnitude
        let pointAt = field.end - field.decimals - 1
        var start = field.offset
        if value.scaled < 0 {
            byte(start, 0x2D)
            start += 1
        }
        digits(from: start, to: pointAt, magnitude / divisor)
        byte(pointAt, 0x2E)
        digits(from: pointAt + 1, to: field.end, magnitude % divisor)
    }

    /// Writes microseconds since midnight as `HHMMSS` plus as many fraction digits as the field has.
    @inlinable public func timeOfDay(_ field: KRXField, _ microseconds: Int64) {
        let seconds = microseconds / 1_000_000
        digits(from: field.offset, to: field.offset + 2, UInt64(seconds / 3600))
        digits(from: field.offset + 2, to: field.offset + 4, UInt64(seconds / 60 % 60))
        if field.length >= 6 {
            digits(from: field.offset + 4, to: field.offset + 6, UInt64(seconds % 60))
            var fraction = UInt64(microseconds % 1_000_000)
            for _ in 0..<(6 - (field.length - 6)) { fraction /= 10 }
            digits(from: field.offset + 6, to: field.end, fraction)
        }
    }

    /// Writes `text`'s bytes left-aligned, space-padded (`text` must fit).
    @inlinable public func text(_ field: KRXField, _ text: some Collection<UInt8>) {
        precondition(text.count <= field.length, "text longer than its KRX field")
        blank(field)
        var i = field.offset
        for b in text {
            byte(i, b)
            i += 1
        }
    }

    @inlinable func digits(from start: Int, to end: Int, _ value: UInt64) {
        var v = value
        var i = end
        while i > start {
            i -= 1
            byte(i, UInt8(truncatingIfNeeded: v % 10) &+ 0x30)
            v /= 10
        }
        precondition(v == 0, "value too wide for its KRX field")
    }
}

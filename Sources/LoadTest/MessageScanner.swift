/// The kinds of message the gateway sends (contract section 2), as the load harness tells them apart.
public enum MessageType: UInt8, Sendable, CaseIterable {
    /// A `type` this harness does not know (counted, not an error: the API may grow).
    case other
    case subscribed
    case unsubscribed
    case snapshot
    case quote
    case trade
    case status
    /// The `trade_break` extension (docs/feed-handler.md): an update with a `seq` like a trade.
    case tradeBreak
    /// An instrument's reference data (`instrument`): an update with a `seq`.
    case instrument
    case gap
    case error
    case pong

    /// The wire name (`"quote"`, `"trade_break"`, …); `"other"` for unknown types.
    public var name: String {
        switch self {
        case .other: "other"
        case .subscribed: "subscribed"
        case .unsubscribed: "unsubscribed"
        case .snapshot: "snapshot"
        case .quote: "quote"
        case .trade: "trade"
        case .status: "status"
        case .tradeBreak: "trade_break"
        case .instrument: "instrument"
        case .gap: "gap"
        case .error: "error"
        case .pong: "pong"
        }
    }

    /// Whether messages of this type are per-symbol updates that carry a `seq` (and an `rt`).
    public var isUpdate: Bool {
        self == .quote || self == .trade || self == .status || self == .tradeBreak || self == .instrument
    }
}

/// The fields of one server message the harness checks, filled by `MessageScanner.scan`.
/// A plain value reused for every message (no allocation): `reset()` before each scan.
public struct ServerMessage: Sendable, Equatable {
    /// The `type` field (`.other` when absent or unknown).
    public var type: MessageType = .other
    /// Whether a `type` field was present.
    public var hasType = false
    /// The `symbol` field packed as up to 8 ASCII bytes, first byte lowest (see `SymbolKey`); 0 when absent.
    public var symbol: UInt64 = 0
    /// The `seq` field; valid when `hasSeq`.
    public var seq: UInt64 = 0
    /// Whether `seq` held a non-negative integer.
    public var hasSeq = false
    /// The `prev` field (the seq of the previous message the server sent for the symbol); valid when `hasPrev`.
    public var prev: UInt64 = 0
    /// Whether `prev` held a non-negative integer.
    public var hasPrev = false
    /// The `rt` field (ns since the Unix epoch); valid when `hasRT`.
    public var rt: UInt64 = 0
    /// Whether `rt` held a non-negative integer.
    public var hasRT = false
    /// `"conflated":true` was present.
    public var conflated = false
    /// The `from` field of a `gap` message; valid when `hasFrom`.
    public var from: UInt64 = 0
    /// Whether `from` held a non-negative integer.
    public var hasFrom = false
    /// The `to` field of a `gap` message; valid when `hasTo`.
    public var to: UInt64 = 0
    /// Whether `to` held a non-negative integer.
    public var hasTo = false

    /// Whether both ends of a gap's range were given.
    public var hasRange: Bool { hasFrom && hasTo }

    /// An empty message.
    public init() {}

    /// Clears every field.
    @inline(__always) public mutating func reset() { self = ServerMessage() }
}

/// Packs symbols into a `UInt64` (up to 8 ASCII bytes, first byte in the low bits, unused bytes 0),
/// so a client compares its subscriptions with one integer compare. Nasdaq symbols have at most 8.
public enum SymbolKey {
    /// The key of `symbol`, or nil if it is empty or longer than 8 bytes.
    public static func make(_ symbol: String) -> UInt64? {
        let bytes = Array(symbol.utf8)
        guard !bytes.isEmpty, bytes.count <= 8 else { return nil }
        var key: UInt64 = 0
        for (i, b) in bytes.enumerated() { key |= UInt64(b) << (8 * UInt64(i)) }
        return key
    }

    /// The symbol a key stands for.
    public static func name(_ key: UInt64) -> String {
        var bytes: [UInt8] = []
        var k = key
        while k != 0 { bytes.append(UInt8(truncatingIfNeeded: k)); k >>= 8 }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A single-pass scanner for the gateway's JSON messages: it validates the whole text against the
/// JSON grammar (RFC 8259) and, on the way, picks out the top-level fields the harness checks
/// (`type`, `symbol`, `seq`, `prev`, `rt`, `conflated`, `from`, `to`). No allocation, no Foundation.
///
/// Invariants and limits: the top-level value must be an object (every server message is one);
/// nesting deeper than 64 is rejected; bytes at or above 0x80 inside strings are accepted as they
/// are, because the WebSocket layer has already checked that a text frame is valid UTF-8. Field
/// names are compared byte for byte (a name written with escapes is not recognized). A field that
/// is present with another JSON type than expected (say `"seq":"7"`) is valid JSON, so the scan
/// succeeds and the field is reported absent — the sequence checker then counts it.
public enum MessageScanner {
    /// Scans `bytes`; returns false when they are not one valid JSON object. `message` must be
    /// reset by the caller; fields found are written into it.
    @inline(__always)
    public static func scan(_ bytes: UnsafeRawBufferPointer, into message: inout ServerMessage) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
        var cursor = JSONCursor(base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        return cursor.scanTopObject(&message)
    }

    /// Scans `bytes` (convenience for tests and cold paths).
    public static func scan(_ bytes: [UInt8]) -> ServerMessage? {
        var m = ServerMessage()
        let ok = bytes.withUnsafeBytes { scan($0, into: &m) }
        return ok ? m : nil
    }

    /// Whether `bytes` are one valid JSON value of any kind (convenience for tests).
    public static func isValidJSON(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, !raw.isEmpty else { return false }
            var cursor = JSONCursor(base: base.assumingMemoryBound(to: UInt8.self), count: raw.count)
            cursor.skipWhitespace()
            guard cursor.skipValue() else { return false }
            cursor.skipWhitespace()
            return cursor.i == cursor.n
        }
    }
}

/// A read cursor over one message's bytes. Invariant: `i <= n`; every read checks `i < n` first.
@usableFromInline
struct JSONCursor {
    @usableFromInline let p: UnsafePointer<UInt8>
    @usableFromInline let n: Int
    @usableFromInline var i = 0

    @inline(__always) init(base: UnsafePointer<UInt8>, count: Int) {
        p = base
        n = count
    }

    @inline(__always) mutating func skipWhitespace() {
        while i < n {
            let c = p[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i &+= 1 } else { return }
        }
    }

    /// Skips a string starting at `"` (checked by the caller); false when unterminated, holding a
    /// raw control character or a bad escape. Eight bytes at a time while none of them is `"`, `\\`
    /// or below 0x20 (the classic "has zero byte" test), then straight to the first such byte: a
    /// false hit can only sit above a true one in the same word, so the lowest flag is a true hit.
    @inline(__always) mutating func skipString() -> Bool {
        i &+= 1
        while true {
            while i &+ 8 <= n {
                let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                let quote = w ^ 0x2222_2222_2222_2222
                let slash = w ^ 0x5C5C_5C5C_5C5C_5C5C
                let special = ((quote &- 0x0101_0101_0101_0101) & ~quote)
                    | ((slash &- 0x0101_0101_0101_0101) & ~slash)
                    | ((w &- 0x2020_2020_2020_2020) & ~w)
                let hits = special & 0x8080_8080_8080_8080
                if hits != 0 {
                    // The lowest flagged byte is a true hit (borrows only run upwards).
                    i &+= hits.trailingZeroBitCount &>> 3
                    break
                }
                i &+= 8
            }
            guard i < n else { return false }
            let c = p[i]
            if c == 0x22 { i &+= 1; return true }
            if c == 0x5C {
                i &+= 1
                guard i < n else { return false }
                switch p[i] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: i &+= 1
                case 0x75:
                    guard i &+ 4 < n else { return false }
                    for k in 1...4 {
                        let h = p[i &+ k]
                        guard (h >= 0x30 && h <= 0x39) || (h | 0x20 >= 0x61 && h | 0x20 <= 0x66) else { return false }
                    }
                    i &+= 5
                default: return false
                }
                continue
            }
            if c < 0x20 { return false }
            i &+= 1
        }
    }

    /// Skips a number starting at `-` or a digit; returns its value when it is a plain non-negative
    /// integer of at most 19 digits (`isInteger`; longer ones are not plausible seqs or times), and
    /// whether the grammar held.
    @inline(__always) mutating func scanNumber(_ value: inout UInt64, _ isInteger: inout Bool) -> Bool {
        var integer = true
        if p[i] == 0x2D { integer = false; i &+= 1; guard i < n else { return false } }
        var v: UInt64 = 0
        let first = p[i]
        if first == 0x30 {
            i &+= 1
        } else if first &- 0x31 <= 8 {
            let start = i
            while i < n {
                let d = p[i] &- 0x30
                if d > 9 { break }
                v = v &* 10 &+ UInt64(d)
                i &+= 1
            }
            if i &- start > 19 { integer = false }
        } else {
            return false
        }
        if i < n {
            let c = p[i]
            if c == 0x2E {
                integer = false
                i &+= 1
                let start = i
                while i < n && p[i] &- 0x30 <= 9 { i &+= 1 }
                guard i > start else { return false }
            }
            if i < n && (p[i] | 0x20) == 0x65 {
                integer = false
                i &+= 1
                if i < n && (p[i] == 0x2B || p[i] == 0x2D) { i &+= 1 }
                let start = i
                while i < n && p[i] &- 0x30 <= 9 { i &+= 1 }
                guard i > start else { return false }
            }
        }
        value = v
        isInteger = integer
        return true
    }

    /// Skips `true`, `false` or `null` starting at its first letter; `truth` says which.
    @inline(__always) mutating func skipLiteral(_ truth: inout Bool) -> Bool {
        let c = p[i]
        if c == 0x74 {                                            // true
            guard i &+ 4 <= n, p[i &+ 1] == 0x72, p[i &+ 2] == 0x75, p[i &+ 3] == 0x65 else { return false }
            i &+= 4; truth = true; return true
        }
        if c == 0x66 {                                            // false
            guard i &+ 5 <= n, p[i &+ 1] == 0x61, p[i &+ 2] == 0x6C, p[i &+ 3] == 0x73, p[i &+ 4] == 0x65 else { return false }
            i &+= 5; truth = false; return true
        }
        if c == 0x6E {                                            // null
            guard i &+ 4 <= n, p[i &+ 1] == 0x75, p[i &+ 2] == 0x6C, p[i &+ 3] == 0x6C else { return false }
            i &+= 4; truth = false; return true
        }
        return false
    }

    /// Skips one object member name and its colon, starting at whitespace before the name.
    @inline(__always) mutating func skipMemberName() -> Bool {
        skipWhitespace()
        guard i < n, p[i] == 0x22, skipString() else { return false }
        skipWhitespace()
        guard i < n, p[i] == 0x3A else { return false }
        i &+= 1
        return true
    }

    /// Skips any JSON value (with nesting up to 64 levels, kept as a bit stack: 1 = object).
    mutating func skipValue() -> Bool {
        var depth = 0
        var objects: UInt64 = 0
        while true {
            // Expecting a value.
            skipWhitespace()
            guard i < n else { return false }
            let c = p[i]
            switch c {
            case 0x7B, 0x5B:                                      // { or [
                i &+= 1
                skipWhitespace()
                guard i < n else { return false }
                if p[i] == (c == 0x7B ? 0x7D : 0x5D) {
                    i &+= 1
                } else {
                    guard depth < 64 else { return false }
                    objects = objects << 1 | (c == 0x7B ? 1 : 0)
                    depth &+= 1
                    if c == 0x7B { guard skipMemberName() else { return false } }
                    continue
                }
            case 0x22:
                guard skipString() else { return false }
            case 0x2D, 0x30...0x39:
                var v: UInt64 = 0, integer = false
                guard scanNumber(&v, &integer) else { return false }
            default:
                var t = false
                guard skipLiteral(&t) else { return false }
            }
            // After a value: close containers or move to the next element.
            while true {
                if depth == 0 { return true }
                skipWhitespace()
                guard i < n else { return false }
                let d = p[i]
                let inObject = objects & 1 == 1
                if d == 0x2C {
                    i &+= 1
                    if inObject { guard skipMemberName() else { return false } }
                    break
                }
                guard d == (inObject ? 0x7D : 0x5D) else { return false }
                i &+= 1
                objects >>= 1
                depth &-= 1
            }
        }
    }

    /// Reads an integer field value; absent (false in `has`) when the value is another JSON type.
    @inline(__always) mutating func integerField(_ value: inout UInt64, _ has: inout Bool) -> Bool {
        guard i < n else { return false }
        let c = p[i]
        if c == 0x2D || (c >= 0x30 && c <= 0x39) {
            var integer = false
            guard scanNumber(&value, &integer) else { return false }
            has = integer
            return true
        }
        return skipValue()
    }

    /// The top-level object, picking out the fields of `ServerMessage`.
    mutating func scanTopObject(_ m: inout ServerMessage) -> Bool {
        skipWhitespace()
        guard i < n, p[i] == 0x7B else { return false }
        i &+= 1
        skipWhitespace()
        guard i < n else { return false }
        if p[i] == 0x7D {
            i &+= 1
        } else {
            while true {
                skipWhitespace()
                guard i < n, p[i] == 0x22 else { return false }
                let nameStart = i &+ 1
                guard skipString() else { return false }
                let nameLength = i &- 1 &- nameStart
                skipWhitespace()
                guard i < n, p[i] == 0x3A else { return false }
                i &+= 1
                skipWhitespace()
                guard i < n else { return false }
                guard member(nameStart, nameLength, &m) else { return false }
                skipWhitespace()
                guard i < n else { return false }
                if p[i] == 0x2C { i &+= 1; continue }
                guard p[i] == 0x7D else { return false }
                i &+= 1
                break
            }
        }
        skipWhitespace()
        return i == n
    }

    /// Up to the first 8 bytes at `s` packed little-endian (first byte lowest), for name compares.
    @inline(__always) func packed(_ s: Int, _ length: Int) -> UInt64 {
        if s &+ 8 <= n {
            // One load, the bytes past the name masked off (they are inside the message).
            let w = UInt64(littleEndian: UnsafeRawPointer(p + s).loadUnaligned(as: UInt64.self))
            return length >= 8 ? w : w & ((1 << UInt64(8 &* length)) &- 1)
        }
        var key: UInt64 = 0
        var k = 0
        let m = length < 8 ? length : 8
        while k < m { key |= UInt64(p[s &+ k]) << UInt64(8 &* k); k &+= 1 }
        return key
    }

    /// One member's value, at its first byte. Names are told apart by length and packed bytes.
    @inline(__always) mutating func member(_ s: Int, _ length: Int, _ m: inout ServerMessage) -> Bool {
        guard length <= 9 else { return skipValue() }
        let name = packed(s, length)
        switch (length, name) {
        case (4, 0x6570_7974):                                                     // type
            guard p[i] == 0x22 else { return skipValue() }
            let start = i &+ 1
            guard skipString() else { return false }
            m.type = typeNamed(start, i &- 1 &- start)
            m.hasType = true
            return true
        case (6, 0x6C6F_626D_7973):                                                // symbol
            guard p[i] == 0x22 else { return skipValue() }
            let start = i &+ 1
            guard skipString() else { return false }
            let length = i &- 1 &- start
            // Longer than 8 bytes, or written with escapes, cannot be a subscribed symbol: key 0.
            m.symbol = length <= 8 ? packed(start, length) : 0
            return true
        case (3, 0x71_6573):                                                       // seq
            return integerField(&m.seq, &m.hasSeq)
        case (4, 0x7665_7270):                                                     // prev
            return integerField(&m.prev, &m.hasPrev)
        case (2, 0x7472):                                                          // rt
            return integerField(&m.rt, &m.hasRT)
        case (4, 0x6D6F_7266):                                                     // from
            return integerField(&m.from, &m.hasFrom)
        case (2, 0x6F74):                                                          // to
            return integerField(&m.to, &m.hasTo)
        case (9, 0x6574_616C_666E_6F63) where p[s &+ 8] == 0x64:                   // conflated
            let c = p[i]
            if c == 0x74 || c == 0x66 || c == 0x6E {
                var t = false
                guard skipLiteral(&t) else { return false }
                m.conflated = t
                return true
            }
            return skipValue()
        default:
            return skipValue()
        }
    }

    /// The message type named by the `length` bytes at `s`.
    @inline(__always) func typeNamed(_ s: Int, _ length: Int) -> MessageType {
        let name = packed(s, length)
        switch (length, name) {
        case (5, 0x65_746F_7571): return .quote
        case (5, 0x65_6461_7274): return .trade
        case (6, 0x7375_7461_7473): return .status
        case (8, 0x746F_6873_7061_6E73): return .snapshot
        case (3, 0x70_6167): return .gap
        case (5, 0x72_6F72_7265): return .error
        case (4, 0x676E_6F70): return .pong
        case (10, 0x6269_7263_7362_7573) where p[s &+ 8] == 0x65 && p[s &+ 9] == 0x64: return .subscribed
        case (10, 0x656D_7572_7473_6E69) where p[s &+ 8] == 0x6E && p[s &+ 9] == 0x74: return .instrument
        case (12, 0x7263_7362_7573_6E75) where p[s &+ 8] == 0x69 && p[s &+ 9] == 0x62
            && p[s &+ 10] == 0x65 && p[s &+ 11] == 0x64: return .unsubscribed
        case (11, 0x7262_5F65_6461_7274) where p[s &+ 8] == 0x65 && p[s &+ 9] == 0x61
            && p[s &+ 10] == 0x6B: return .tradeBreak
        default: return .other
        }
    }
}

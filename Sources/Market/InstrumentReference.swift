/// The market an instrument is listed on.
public enum Market: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    /// Nasdaq (TotalView-ITCH 5.0): prices with 4 decimals.
    case nasdaq = 0
    /// The Korea Exchange (KOSCOM feed): stock prices in whole won.
    case krx = 1

    /// The lower-case name used in JSON and in the `mkt` claim.
    public var name: String {
        switch self {
        case .nasdaq: "nasdaq"
        case .krx: "krx"
        }
    }
}

/// An instrument's reference data: where it is listed, how its prices are scaled, its reference
/// price and price limits, its ISIN and names. Carried by `.instrument` ticks (`Tick.instrument`),
/// so every stage after the feed handler learns them in order with the instrument's other ticks.
///
/// A fixed 156-byte value (no references), so it fits the tick's 160 bytes of level storage; the
/// names are stored as UTF-8 bytes with their lengths, cut at a character boundary. A test pins the
/// layout (`instrumentReferenceFitsTheLevelStorage`).
public struct InstrumentReference: Sendable, Equatable, BitwiseCopyable {
    /// Longest `name`, UTF-8 bytes.
    public static let maxNameBytes = 88
    /// Longest `englishName`, UTF-8 bytes.
    public static let maxEnglishNameBytes = 40
    /// Largest number of decimals a price may have.
    public static let maxDecimals: UInt8 = 8

    /// Where it is listed.
    public var market: Market
    /// Implied decimals of its prices (4 for Nasdaq, 0 for KRX stocks), 0...8.
    public var decimals: UInt8
    @usableFromInline var nameLength: UInt8
    @usableFromInline var englishNameLength: UInt8
    /// The reference price (previous close, KRX base price), 0 while unknown.
    public var referencePrice: UInt32
    /// Highest price the exchange accepts today (KRX upper limit), 0 when there is none.
    public var upperLimit: UInt32
    /// Lowest price the exchange accepts today, 0 when there is none.
    public var lowerLimit: UInt32
    @usableFromInline var isinBytes: InlineArray<12, UInt8>
    @usableFromInline var nameBytes: InlineArray<88, UInt8>
    @usableFromInline var englishNameBytes: InlineArray<40, UInt8>

    /// Reference data; names longer than their room are cut at the last whole character that fits,
    /// an ISIN is kept only when it is 12 ASCII characters, `decimals` is capped at 8.
    public init(market: Market, decimals: UInt8, referencePrice: UInt32 = 0, upperLimit: UInt32 = 0,
                lowerLimit: UInt32 = 0, isin: String = "", name: String = "", englishName: String = "") {
        self.market = market
        self.decimals = min(decimals, Self.maxDecimals)
        self.referencePrice = referencePrice
        self.upperLimit = upperLimit
        self.lowerLimit = lowerLimit
        isinBytes = InlineArray(repeating: 0x20)
        nameBytes = InlineArray(repeating: 0)
        englishNameBytes = InlineArray(repeating: 0)
        nameLength = 0
        englishNameLength = 0
        let isinUTF8 = Array(isin.utf8)
        if isinUTF8.count == 12, isinUTF8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            for i in 0..<12 { isinBytes[i] = isinUTF8[i] }
        }
        let n = Self.prefix(name, fitting: Self.maxNameBytes)
        for (i, b) in n.enumerated() { nameBytes[i] = b }
        nameLength = UInt8(n.count)
        let e = Self.prefix(englishName, fitting: Self.maxEnglishNameBytes)
        for (i, b) in e.enumerated() { englishNameBytes[i] = b }
        englishNameLength = UInt8(e.count)
    }

    /// The UTF-8 bytes of the longest run of whole characters of `text` within `limit` bytes.
    static func prefix(_ text: String, fitting limit: Int) -> [UInt8] {
        var out: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            guard out.count + bytes.count <= limit else { break }
            out += bytes
        }
        return out
    }

    /// The ISIN, empty when none (Nasdaq's ITCH feed carries none).
    public var isin: String {
        var bytes: [UInt8] = []
        for i in 0..<12 where isinBytes[i] != 0x20 { bytes.append(isinBytes[i]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The name (KRX: the Korean abbreviated name), empty when none.
    public var name: String { String(decoding: (0..<Int(nameLength)).map { nameBytes[$0] }, as: UTF8.self) }

    /// The English name, empty when none.
    public var englishName: String {
        String(decoding: (0..<Int(englishNameLength)).map { englishNameBytes[$0] }, as: UTF8.self)
    }

    /// Calls `body` with the name's UTF-8 bytes (no allocation).
    public func withNameBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: nameBytes) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(nameLength)])) }
    }

    /// Calls `body` with the English name's bytes (no allocation).
    public func withEnglishNameBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: englishNameBytes) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(englishNameLength)])) }
    }

    /// Calls `body` with the ISIN's 12 bytes (spaces when none).
    public func withISINBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: isinBytes) { try body($0) }
    }

    /// Whether an ISIN is present.
    public var hasISIN: Bool { isinBytes[0] != 0x20 }

    public static func == (a: InstrumentReference, b: InstrumentReference) -> Bool {
        guard a.market == b.market, a.decimals == b.decimals, a.referencePrice == b.referencePrice,
              a.upperLimit == b.upperLimit, a.lowerLimit == b.lowerLimit, a.nameLength == b.nameLength,
              a.englishNameLength == b.englishNameLength else { return false }
        for i in 0..<12 where a.isinBytes[i] != b.isinBytes[i] { return false }
        for i in 0..<Int(a.nameLength) where a.nameBytes[i] != b.nameBytes[i] { return false }
        for i in 0..<Int(a.englishNameLength) where a.englishNameBytes[i] != b.englishNameBytes[i] { return false }
        return true
    }
}

extension Tick {
    /// The instrument's reference data; valid for `.instrument` ticks only.
    ///
    /// Invariant of the variant record: an instrument tick carries no levels, so its
    /// `InstrumentReference` (156 bytes) lives in the level storage: its first 80 bytes in `bids`'
    /// storage, the rest in `asks`'. The split does not assume the two arrays are adjacent. This
    /// accessor is the only code that knows the overlap; an instrument tick's `bidCount`/`askCount`
    /// are the book's and say nothing about the storage.
    public var instrument: InstrumentReference {
        get {
            withUnsafeTemporaryAllocation(byteCount: MemoryLayout<InstrumentReference>.size,
                                          alignment: MemoryLayout<InstrumentReference>.alignment) { buffer in
                let half = MemoryLayout<InlineArray<10, PriceLevel>>.size
                withUnsafeBytes(of: bids) { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: half) }
                withUnsafeBytes(of: asks) {
                    (buffer.baseAddress! + half).copyMemory(from: $0.baseAddress!, byteCount: buffer.count - half)
                }
                return buffer.load(as: InstrumentReference.self)
            }
        }
        set {
            withUnsafeBytes(of: newValue) { reference in
                let half = MemoryLayout<InlineArray<10, PriceLevel>>.size
                withUnsafeMutableBytes(of: &bids) { $0.baseAddress!.copyMemory(from: reference.baseAddress!, byteCount: half) }
                withUnsafeMutableBytes(of: &asks) {
                    $0.baseAddress!.copyMemory(from: reference.baseAddress! + half, byteCount: reference.count - half)
                }
            }
        }
    }
}

import Market

/// The gateway's last-value cache: one `SymbolEntry` per symbol seen on the ring, found by the ring's
/// locate (an array index: the lookup every tick makes) or by name (subscriptions, `/v1/symbols`).
/// Entries are never removed: a symbol once seen stays known. Loop thread only.
///
/// Invariant: `indexByLocate[l]` is the index in `entries` of the entry whose locate is `l`, or -1;
/// `indexBySymbol` maps each entry's symbol to the same index.
struct LastValueCache {
    private var indexByLocate: [Int32] = Array(repeating: -1, count: 1 << 16)
    private var indexBySymbol: [Symbol: Int] = [:]
    /// Every entry, in the order the symbols were first seen.
    private(set) var entries: [SymbolEntry] = []

    /// Whether a tick of `locate` was seen.
    @inline(__always)
    func contains(locate: UInt16) -> Bool { indexByLocate[Int(locate)] >= 0 }

    /// The entry of `tick`'s symbol, made from this tick's symbol and locate when it is the first.
    /// A first tick that is not seq 1 means the reader joined late: the new entry waits for a quote.
    @inline(__always)
    mutating func entry(for tick: Tick) -> SymbolEntry {
        let i = indexByLocate[Int(tick.locate)]
        if i >= 0 { return entries[Int(i)] }
        return add(tick)
    }

    /// The entry of a locate already seen.
    @inline(__always)
    func entry(locate: UInt16) -> SymbolEntry { entries[Int(indexByLocate[Int(locate)])] }

    /// The index in `entries` of `symbol`'s entry, if it was seen.
    func index(of symbol: Symbol) -> Int? { indexBySymbol[symbol] }

    private mutating func add(_ tick: Tick) -> SymbolEntry {
        let e = SymbolEntry(symbol: tick.symbol, locate: tick.locate)
        if tick.seq != 1 { e.sync = .awaitingQuote(gapFrom: 1) }
        indexByLocate[Int(tick.locate)] = Int32(entries.count)
        indexBySymbol[tick.symbol] = entries.count
        entries.append(e)
        return e
    }
}

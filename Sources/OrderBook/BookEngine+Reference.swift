import Market

/// Reference data and day statistics: the instrument ticks of a stock directory entry and of the
/// opening cross, and the statistics every trade carries (`BookEngine.trade` records them).
extension BookEngine {
    /// Writes an instrument tick for `book` unless one with its current reference data went out
    /// already (ITCH repeats nothing, but a retransmitted or replayed directory must not add ticks).
    @inline(never)
    func announce(book: UnsafeMutablePointer<InstrumentBook>, locate: UInt16, timestamp: UInt64, receiveTime: UInt64,
                  out: UnsafeMutablePointer<Tick>) -> Int {
        guard !isAnnounced(locate) else { return 0 }
        announcedBits[Int(locate) >> 6] |= 1 << UInt64(locate & 63)
        stats.instruments &+= 1
        begin(out, book: book, locate: locate, kind: .instrument, timestamp: timestamp, receiveTime: receiveTime)
        out.pointee.instrument = InstrumentReference(market: .nasdaq, decimals: UInt8(Price.defaultDecimals),
                                                     referencePrice: dayStatistics[Int(locate)].reference)
        return 1
    }

    /// The opening cross printed at `price`: it becomes the reference price when no file gave one,
    /// announced by an instrument tick (written before the cross's trade, which then carries it).
    @inline(never)
    func openingCross(book: UnsafeMutablePointer<InstrumentBook>, locate: UInt16, price: UInt32, timestamp: UInt64,
                      receiveTime: UInt64, out: UnsafeMutablePointer<Tick>) -> Int {
        guard dayStatistics[Int(locate)].reference == 0, price != 0 else { return 0 }
        dayStatistics[Int(locate)].reference = price
        clearAnnounced(locate)
        return announce(book: book, locate: locate, timestamp: timestamp, receiveTime: receiveTime, out: out)
    }

    @inline(__always) func isAnnounced(_ locate: UInt16) -> Bool {
        announcedBits[Int(locate) >> 6] & (1 << UInt64(locate & 63)) != 0
    }

    @inline(__always) func clearAnnounced(_ locate: UInt16) {
        announcedBits[Int(locate) >> 6] &= ~(1 << UInt64(locate & 63))
    }

    /// The day statistics of `locate` (zero when never seen).
    public func dayStatistics(locate: UInt16) -> DayStatistics {
        isKnown(locate) ? dayStatistics[Int(locate)] : DayStatistics()
    }

    /// The reference data of `locate` as its instrument tick says them, `nil` when never seen.
    public func instrumentReference(locate: UInt16) -> InstrumentReference? {
        guard isKnown(locate) else { return nil }
        return InstrumentReference(market: .nasdaq, decimals: UInt8(Price.defaultDecimals),
                                   referencePrice: dayStatistics[Int(locate)].reference)
    }
}

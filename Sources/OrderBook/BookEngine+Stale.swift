import Market

extension BookEngine {
    /// Sets the instrument's status by the feed handler's own decision rather than an ITCH message:
    /// `.stale` when a gap in the exchange feed could not be recovered (the book can no longer be
    /// vouched for), and back to the status it had when the gap is filled after all. Writes the status
    /// tick (next `seq`, the instrument's last exchange timestamp) to `out` and returns 1, or returns 0
    /// when the locate was never seen or already has that status.
    public func overrideStatus(_ status: TradingStatus, locate: UInt16, receiveTime: UInt64,
                               into out: UnsafeMutablePointer<Tick>) -> Int {
        guard isKnown(locate) else { return 0 }
        let book = books + Int(locate)
        guard book.pointee.status != status else { return 0 }
        book.pointee.status = status
        stats.statusChanges &+= 1
        begin(out, book: book, locate: locate, kind: .status, timestamp: book.pointee.lastTimestamp,
              receiveTime: receiveTime)
        return 1
    }
}

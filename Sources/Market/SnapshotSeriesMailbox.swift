import Synchronization

/// A feed node's candles and tape of one instrument, as its snapshot carried them.
public struct SnapshotSeries: Sendable {
    public var symbol: Symbol
    /// The seq of the snapshot's merged state: the series reflect exactly the ticks up to it.
    public var seq: UInt64
    public var candles: CandleSeries
    public var tape: TradeTape

    public init(symbol: Symbol, seq: UInt64, candles: CandleSeries, tape: TradeTape) {
        self.symbol = symbol
        self.seq = seq
        self.candles = candles
        self.tape = tape
    }
}

/// Where a gateway node's upstream thread leaves each snapshot's series for its gateway thread:
/// the ring carries ticks of a fixed size, bars and tapes do not fit them. The upstream thread puts
/// an instrument's series here *before* it writes the instrument's snapshot ticks into the ring (the
/// ring's publication orders the two), and the gateway takes it when it applies the snapshot's day
/// state. Taken only when the symbol and seq match the day state, so a series a newer snapshot
/// replaced meanwhile is never applied at an older point.
///
/// Bounded: one series per locate (at most 65 536; an instrument's series is bounded by
/// `CandleSeries` and `TradeTape`). The lock is taken only while snapshots are applied, never per tick.
public final class SnapshotSeriesMailbox: Sendable {
    private let parcels = Mutex<[UInt16: SnapshotSeries]>([:])

    public init() {}

    /// Leaves `series` for the instrument at `locate`, replacing an older one not taken yet.
    public func put(_ series: SnapshotSeries, locate: UInt16) {
        parcels.withLock { $0[locate] = series }
    }

    /// Takes the series of `locate` if it is the one for `symbol` at `seq`.
    public func take(locate: UInt16, symbol: Symbol, seq: UInt64) -> SnapshotSeries? {
        parcels.withLock { all in
            guard let s = all[locate], s.symbol == symbol, s.seq == seq else { return nil }
            all[locate] = nil
            return s
        }
    }
}

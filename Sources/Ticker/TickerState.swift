/// Whether a symbol the user asked for is live, awaited or refused by the gateway.
public enum SymbolAvailability: Equatable, Sendable {
    /// Subscribed (or about to be), no snapshot yet.
    case pending
    /// A snapshot arrived: the row shows live data.
    case live
    /// The gateway answered `error` for it (`unknown_symbol` and such), with its message.
    case refused(code: String)
}

/// The direction of the last price move of a symbol.
public enum TickDirection: Equatable, Sendable {
    /// No move seen yet (or only one price).
    case none
    /// The last price was above the one before.
    case up
    /// The last price was below the one before.
    case down
}

/// One trade print kept for the depth view's tape.
public struct TradePrint: Equatable, Sendable {
    /// Exchange time, nanoseconds since midnight.
    public var ts: UInt64
    /// Price with 4 implied decimals.
    public var price: Int64
    /// Shares.
    public var size: Int64
    /// Aggressor side `B`/`S`, or nil.
    public var side: String?
    /// Direction against the previous print.
    public var direction: TickDirection
}

/// Everything the ticker knows about one symbol, built from the gateway's messages.
public struct SymbolRow: Equatable, Sendable {
    /// Most trades kept for the tape.
    public static let tapeLength = 32

    /// The symbol, as the user typed it (upper-cased).
    public let symbol: String
    /// Live, pending or refused.
    public var availability: SymbolAvailability = .pending
    /// Trading status from the snapshot or the last `status` message (`trading`, `halted`, …).
    public var status: String = ""
    /// Bids, best first.
    public var bids: [BookLevel] = []
    /// Asks, best first.
    public var asks: [BookLevel] = []
    /// Last trade price, if any trade was seen.
    public var last: Int64?
    /// Size of the last trade.
    public var lastSize: Int64 = 0
    /// The reference price of change: the snapshot's `reference` (the previous close) when the
    /// gateway knows it, else the first price seen (the snapshot's last, else the first trade).
    public var reference: Int64?
    /// Whether `reference` is the gateway's official reference price (not a first price seen).
    public var referenceIsOfficial = false
    /// The day's lowest and highest trade prices (the snapshot's, then every trade since).
    public var low: Int64?
    public var high: Int64?
    /// Cumulative volume (the snapshot's, plus every trade since).
    public var volume: UInt64 = 0
    /// Last `seq` applied.
    public var seq: UInt64 = 0
    /// Direction of the last trade against the one before.
    public var direction: TickDirection = .none
    /// Monotonic time (ns) until which the row flashes `direction`.
    public var flashUntil: UInt64 = 0
    /// Decimals shown: 2 while every price seen is a whole number of cents, else 4.
    public var decimals = 2
    /// Updates seen for this symbol (snapshots, quotes, trades, status).
    public var updates = 0
    /// `gap` messages and conflated quotes seen (the gateway explained a `seq` jump).
    public var gaps = 0
    /// The latest trades, newest first, at most `tapeLength`.
    public var tape: [TradePrint] = []

    /// A pending row for `symbol`.
    public init(symbol: String) { self.symbol = symbol }

    /// Change of `last` against `reference`, in `Price(4)` units.
    public var change: Int64? {
        guard let last, let reference else { return nil }
        return last - reference
    }

    /// Change in percent against `reference`.
    public var changePercent: Double? {
        guard let change, let reference, reference != 0 else { return nil }
        return Double(change) * 100 / Double(reference)
    }

    /// Whether trading is stopped (halted or LULD-paused).
    public var isHalted: Bool { status == "halted" || status == "paused" }

    mutating func notePrice(_ price: Int64) {
        if price % 100 != 0 { decimals = 4 }
    }

    /// Widens the day's range to `price`.
    mutating func noteRange(_ price: Int64) {
        if low.map({ price < $0 }) ?? true { low = price }
        if high.map({ price > $0 }) ?? true { high = price }
    }

    mutating func noteLevels(_ levels: [BookLevel]) {
        for l in levels where l.price % 100 != 0 { decimals = 4 }
    }
}

/// Where the connection to the gateway stands, as the header shows it.
public enum ConnectionState: Equatable, Sendable {
    /// A connection attempt is under way (`attempt` counts from 1 since the last good connection).
    case connecting(attempt: Int)
    /// Connected and subscribed.
    case connected
    /// Down: the next attempt is at monotonic time `retryAt` (ns); `reason` says what failed.
    case waiting(attempt: Int, retryAt: UInt64, reason: String)
}

/// The view the full-screen ticker shows.
public enum TickerView: Equatable, Sendable {
    /// One row per symbol.
    case table
    /// The 10-level ladder of one symbol with its trades.
    case ladder(String)
}

/// The whole state of the ticker: a pure value, changed only by `apply`, `advance` and the
/// connection updates, and rendered by `TickerRenderer.render(_:size:)`.
///
/// Clocks come in as arguments (monotonic and wall nanoseconds), so tests drive it with a fake clock.
public struct TickerState: Equatable, Sendable {
    /// How long a row flashes after an uptick or downtick.
    public static let flashNanoseconds: UInt64 = 600_000_000

    /// The gateway's URL, as shown in the header.
    public var url: String
    /// Rows in the order the user gave the symbols.
    public var rows: [SymbolRow]
    /// Connection state.
    public var connection: ConnectionState = .connecting(attempt: 1)
    /// The current view.
    public var view: TickerView = .table
    /// The `--depth` symbol, if any (Tab switches between its ladder and the table).
    public var depthSymbol: String?
    /// Whether colours may be used (`--no-color`, `NO_COLOR`).
    public var color = true
    /// Whether box-drawing and arrow characters may be used (a UTF-8 locale), else ASCII.
    public var unicode = true
    /// Monotonic now (ns), from the last `advance`.
    public var now: UInt64 = 0
    /// Wall-clock now (ns since the epoch), from the last `advance`.
    public var wallNow: UInt64 = 0
    /// Messages per second over the last whole second.
    public var messagesPerSecond = 0
    /// Median latency (wall now minus `rt`) over the last whole second, ns (the first sample until a
    /// second has passed); nil before any sample.
    public var latency: UInt64?
    /// Messages received in all.
    public var messages = 0
    /// Text frames that were not a message the ticker understands.
    public var badMessages = 0
    /// The last error the gateway sent that is not about a symbol of ours, shown in the footer.
    public var notice: String?
    /// First table row shown (the arrow keys scroll when there are more symbols than rows).
    public var scroll = 0

    private var windowStart: UInt64 = 0
    private var windowCount = 0
    private var windowLatencies: [UInt64] = []

    /// A state for `symbols` (upper-cased, deduplicated) on `url`, with `depthSymbol` shown as a ladder.
    public init(url: String, symbols: [String], depthSymbol: String? = nil) {
        self.url = url
        var seen = Set<String>()
        var rows: [SymbolRow] = []
        for s in ([depthSymbol].compactMap { $0 } + symbols) where seen.insert(s).inserted {
            rows.append(SymbolRow(symbol: s))
        }
        // The ladder symbol's row goes where the user listed it, or last.
        if let depthSymbol, !symbols.contains(depthSymbol), rows.count > 1 {
            rows.append(rows.removeFirst())
        }
        self.rows = rows
        self.depthSymbol = depthSymbol
        if let depthSymbol { view = .ladder(depthSymbol) }
    }

    /// The row of `symbol`, if it is one of ours.
    public func row(_ symbol: String) -> SymbolRow? { rows.first { $0.symbol == symbol } }

    private func index(_ symbol: String) -> Int? { rows.firstIndex { $0.symbol == symbol } }

    /// Moves the clocks forward and rolls the one-second rate and latency window.
    public mutating func advance(now: UInt64, wallNow: UInt64) {
        self.now = now
        self.wallNow = wallNow
        if windowStart == 0 { windowStart = now }
        if now &- windowStart >= 1_000_000_000 {
            let elapsed = now &- windowStart
            // A window that ran long (the process was stopped) is a rate over its real length.
            messagesPerSecond = Int((Double(windowCount) * 1e9 / Double(elapsed)).rounded())
            if !windowLatencies.isEmpty {
                windowLatencies.sort()
                latency = windowLatencies[windowLatencies.count / 2]
            }
            windowStart = now
            windowCount = 0
            windowLatencies.removeAll(keepingCapacity: true)
        }
    }

    /// Applies one decoded message at the current clocks.
    public mutating func apply(_ message: TickerMessage) {
        messages += 1
        windowCount += 1
        switch message {
        case .subscribed, .unsubscribed, .pong, .other:
            return
        case .error(let code, let text, let symbols):
            var matched = false
            for s in symbols {
                if let i = index(s) {
                    rows[i].availability = .refused(code: code)
                    matched = true
                }
            }
            if !matched { notice = "gateway: \(code)" + (text.isEmpty ? "" : ": \(text)") }
        case .gap(let symbol, _, _):
            if let i = index(symbol) { rows[i].gaps += 1 }
        case .snapshot(let stamp, let status, let bids, let asks, let last, let volume, let day):
            guard let i = index(stamp.symbol) else { return }
            sample(stamp)
            var row = rows[i]
            row.availability = .live
            row.status = status
            row.bids = bids
            row.asks = asks
            row.noteLevels(bids)
            row.noteLevels(asks)
            if let last {
                if let previous = row.last { mark(&row, from: previous, to: last.price) }
                row.last = last.price
                row.lastSize = last.size
                row.notePrice(last.price)
                if row.reference == nil { row.reference = last.price }
            }
            if let reference = day.reference {
                row.reference = reference
                row.referenceIsOfficial = true
            }
            if let low = day.low { row.noteRange(low) }
            if let high = day.high { row.noteRange(high) }
            row.volume = volume
            row.seq = stamp.seq
            row.updates += 1
            rows[i] = row
        case .quote(let stamp, let bids, let asks, let conflated):
            guard let i = index(stamp.symbol) else { return }
            sample(stamp)
            rows[i].bids = bids
            rows[i].asks = asks
            rows[i].noteLevels(bids)
            rows[i].noteLevels(asks)
            if conflated { rows[i].gaps += 1 }
            rows[i].seq = stamp.seq
            rows[i].updates += 1
            if rows[i].availability == .pending { rows[i].availability = .live }
        case .trade(let stamp, let price, let size, let side):
            guard let i = index(stamp.symbol) else { return }
            sample(stamp)
            var row = rows[i]
            var direction = TickDirection.none
            if let previous = row.last {
                mark(&row, from: previous, to: price)
                direction = price > previous ? .up : price < previous ? .down : .none
            }
            row.last = price
            row.lastSize = size
            row.notePrice(price)
            if row.reference == nil { row.reference = price }
            row.noteRange(price)
            row.volume &+= UInt64(max(0, size))
            row.seq = stamp.seq
            row.updates += 1
            row.tape.insert(TradePrint(ts: stamp.ts, price: price, size: size, side: side, direction: direction), at: 0)
            if row.tape.count > SymbolRow.tapeLength { row.tape.removeLast() }
            if row.availability == .pending { row.availability = .live }
            rows[i] = row
        case .status(let stamp, let status):
            guard let i = index(stamp.symbol) else { return }
            sample(stamp)
            rows[i].status = status
            rows[i].seq = stamp.seq
            rows[i].updates += 1
        }
    }

    /// Counts a message that could not be decoded.
    public mutating func noteBadMessage() {
        messages += 1
        windowCount += 1
        badMessages += 1
    }

    /// Counts a quote that was superseded by a later one in the same batch and not decoded.
    public mutating func noteSkippedQuote() {
        messages += 1
        windowCount += 1
    }

    /// Whether any row is flashing at `now` (the screen must be redrawn when it stops).
    public var isFlashing: Bool { rows.contains { $0.flashUntil > now } }

    /// Marks a new connection: rows wait for their snapshots again, rates restart.
    public mutating func connectionOpened() {
        connection = .connected
        notice = nil
        for i in rows.indices where rows[i].availability != .live { rows[i].availability = .pending }
    }

    private mutating func mark(_ row: inout SymbolRow, from previous: Int64, to price: Int64) {
        guard price != previous else { return }
        row.direction = price > previous ? .up : .down
        row.flashUntil = now &+ TickerState.flashNanoseconds
    }

    private mutating func sample(_ stamp: MarketStamp) {
        guard stamp.rt > 0, wallNow >= stamp.rt, windowLatencies.count < 4096 else { return }
        windowLatencies.append(wallNow - stamp.rt)
        if latency == nil { latency = wallNow - stamp.rt }  // something to show before the first whole second
    }
}

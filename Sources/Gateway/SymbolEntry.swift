import Market
import WebSocket

/// Where one symbol's cached state stands against the ring's stream.
enum SyncState: Equatable {
    /// Every tick of the symbol was applied: the cache is exact.
    case synced
    /// The gateway's ring reader was lapped since the last tick seen; the next tick tells whether any
    /// of this symbol's were lost (`seq` not one past the cached one). `gapFrom` is the first seq that
    /// subscribers may not have got.
    case lapped(gapFrom: UInt64)
    /// Ticks of this symbol were lost: the cached levels are not trustworthy until the next quote
    /// (which carries the whole top 10); subscribers then get `gap` + a fresh snapshot.
    case awaitingQuote(gapFrom: UInt64)
}

/// seq, ts and rt of one quote.
struct QuoteStamp {
    var seq: UInt64 = 0
    var timestamp: UInt64 = 0
    var receiveTime: UInt64 = 0
}

/// A conflated quote's frame and the (seq, prev) it was encoded with.
struct ConflatedFrame {
    let seq: UInt64
    let prev: UInt64
    let frame: WebSocketFrame
}

/// One subscriber in a symbol's per-depth list: the client's slot in the gateway's client table, the
/// channels it gets, and the head of its `prev` chain. 16 bytes, so a depth's list is a flat array the
/// fan-out walks without touching the client objects of subscribers a message is not for.
struct Subscriber {
    let slot: Int32
    /// The channels of the subscription.
    var channels: ChannelSet
    /// `stats_interval_ms` of the subscription (250...60 000 fits).
    var statsIntervalMilliseconds: UInt16
    /// The `seq` of the last message sent to this client for this symbol (the `prev` of the next);
    /// read and moved only by the chain functions (`Chain.swift`).
    var lastSent: UInt64 = 0

    init(slot: Int32, channels: ChannelSet = .standard, statsIntervalMilliseconds: Int = SubscribeRequest.defaultStatsInterval) {
        self.slot = slot
        self.channels = channels
        self.statsIntervalMilliseconds = UInt16(statsIntervalMilliseconds)
    }
}

/// One symbol's entry in the last-value cache: its merged state (top 10 from the latest quote; seq,
/// timestamps, volume, last trade and status from the latest tick of any kind) and its subscribers,
/// grouped by depth so a quote is encoded once per depth and skipped by depths it does not touch.
/// Owned by the gateway loop thread.
final class SymbolEntry {
    let symbol: Symbol
    let name: String
    let locate: UInt16
    /// The merged state, as a quote tick (its levels are the latest quote's).
    var state = Tick()
    /// The day statistics after the latest trade (its reference price from the latest instrument tick
    /// when that is newer).
    var statistics = DayStatistics()
    /// The reference data of the latest instrument tick, nil until one.
    var instrument: InstrumentReference?
    /// Decimals of the symbol's prices (4 until an instrument tick says otherwise).
    var decimals = Price.defaultDecimals
    var sync = SyncState.synced
    /// Subscribers by depth: `subscribers[d - 1]` want the top `d` levels.
    var subscribers: [[Subscriber]] = Array(repeating: [], count: Tick.depth)
    var subscriberCount = 0
    /// Subscribers that wait for their first snapshot (subscribed while the entry was not synced).
    var awaitingSnapshots = 0
    /// Per depth (index `depth - 1`), the seq, ts and rt of the last quote that changed the top
    /// `depth` levels: what a conflated quote for that depth reflects (`visibleQuote`).
    var visibleQuoteStamps: [QuoteStamp] = Array(repeating: QuoteStamp(), count: Tick.depth)
    /// Recent updates for `since` resumes (off until the symbol is first subscribed).
    var history = UpdateHistory()
    /// The last conflated quote frame per depth (index `depth - 1`), for the (seq, prev) it has.
    var conflatedFrames: [ConflatedFrame?] = Array(repeating: nil, count: Tick.depth)

    init(symbol: Symbol, locate: UInt16) {
        self.symbol = symbol
        self.name = symbol.description
        self.locate = locate
        state.symbol = symbol
        state.locate = locate
    }

    /// Whether the symbol has traded (the contract's `last` is `null` until then).
    var hasTraded: Bool { state.volume > 0 || state.tradePrice != 0 }

    /// Applies `tick` (the next one of this symbol) to the cached state.
    @inline(__always)
    func apply(_ tick: Tick) {
        if tick.kind == .quote {
            state = tick
            let stamp = QuoteStamp(seq: tick.seq, timestamp: tick.timestamp, receiveTime: tick.receiveTime)
            var d = min(Int(tick.changedLevel), Tick.depth)
            while d < Tick.depth {
                visibleQuoteStamps[d] = stamp
                d &+= 1
            }
        } else {
            state.seq = tick.seq
            state.timestamp = tick.timestamp
            state.receiveTime = tick.receiveTime
            state.volume = tick.volume
            state.tradePrice = tick.tradePrice
            state.tradeSize = tick.tradeSize
            state.status = tick.status
            state.flags = tick.flags & Tick.Flags.vi
            switch tick.kind {
            case .trade: statistics = tick.statistics
            case .instrument: applyReference(tick.instrument)
            case .quote, .status, .tradeBreak: break
            }
        }
    }

    /// Takes new reference data: the prices' decimals and the reference price.
    func applyReference(_ reference: InstrumentReference) {
        instrument = reference
        decimals = Int(reference.decimals)
        if reference.referencePrice != 0 { statistics.reference = reference.referencePrice }
    }

    /// The latest quote as a client of `depth` levels saw it last: the current levels (the top `depth`
    /// are those of that quote, as no later quote changed them), with that quote's seq, ts and rt.
    func visibleQuote(depth: Int) -> Tick {
        var q = state
        q.kind = .quote
        let stamp = visibleQuoteStamps[depth - 1]
        q.seq = stamp.seq
        q.timestamp = stamp.timestamp
        q.receiveTime = stamp.receiveTime
        q.flags &= ~Tick.Flags.conflated
        return q
    }

    /// Depth beyond which quotes of the current book encode identically (the longer side's count).
    var encodedDepthLimit: Int { max(Int(state.bidCount), Int(state.askCount), 1) }

    func add(_ s: Subscriber, depth: Int) {
        subscribers[depth - 1].append(s)
        subscriberCount += 1
    }

    func remove(slot: Int32, depth: Int) {
        if let i = subscribers[depth - 1].firstIndex(where: { $0.slot == slot }) {
            subscribers[depth - 1].remove(at: i)
            subscriberCount -= 1
        }
    }

    /// Where `slot`'s subscriber record is in the list of `depth` (rare paths: subscribe, snapshots,
    /// conflated quotes, replays; the fan-out walks the lists instead).
    func subscriberIndex(slot: Int32, depth: Int) -> Int? {
        subscribers[depth - 1].firstIndex(where: { $0.slot == slot })
    }
}

import KRX
import KRXBook
import Market
import Sockets
import System

/// The second exchange adapter: the Korea Exchange's stock market data as KOSCOM distributes it
/// (docs/krx.md), records decoded in place (`KRXRecordReader`), sequenced per instrument and board
/// (`KRXSequenceTracker`), applied to `KRXMarketState`, and every visible change written to the ring
/// as ticks (`KRXTickWriter`).
///
/// KOSCOM has no retransmission the receiver could ask: a record lost is lost. But every quote is the
/// whole 10-level book and every trade carries the day's cumulative values, so an instrument heals at
/// its next record of each kind. On a hole in an instrument's sequence the adapter marks it stale: a
/// `stale` status tick, then the instrument's tick `seq` skips one number, the place of the updates
/// the lost records carried. Consumers see a `seq` jump after a `stale` status, which the gateway
/// turns into `gap` + `snapshot` at the instrument's next quote; that quote clears the stale mark.
/// Duplicates and late (reordered) records are dropped: applying them would move the book backwards.
///
/// Datagrams come from any number of streams (KOSCOM's product groups' ports, a capture, the
/// in-process simulator); the stream only matters to the counters.
///
/// Invariant: every array indexed by instrument has one element per instrument of `market`'s
/// directory (they grow together when an instrument is first seen, within the capacity reserved at
/// start).
public struct KRXAdapter: ExchangeAdapter, ~Copyable {
    /// Where the adapter's datagrams come from.
    public enum Input {
        /// A capture or the in-process simulator: datagrams handed over in order, no sockets.
        case datagrams
        /// KOSCOM's multicast streams received by `input` (opened by `KRXFeedConfiguration.openInput()`).
        case streams(KRXFeedConfiguration, MulticastInput)
    }

    /// The market as the records built it.
    public private(set) var market: KRXMarketState
    /// The ticks written so far, per instrument, and what they said.
    var writer: KRXTickWriter
    var tracker: KRXSequenceTracker
    var tally: KRXReceiverTally
    let isLive: Bool
    let silenceNanoseconds: UInt64
    var lastDatagram: UInt64 = 0
    var silent = false
    var received = false
    let onEvent: (@Sendable (FeedEvent) -> Void)?

    /// An adapter for up to `instrumentCapacity` instruments (the `streams` configuration's when
    /// given), reading `input`; `onEvent` hears of joins, instrument gaps and silence (on the feed
    /// thread; rare).
    public init(input: Input, instrumentCapacity: Int = 4_096, onEvent: (@Sendable (FeedEvent) -> Void)? = nil) {
        self.onEvent = onEvent
        var capacity = instrumentCapacity
        switch input {
        case .datagrams:
            isLive = false
            silenceNanoseconds = .max
            tally = KRXReceiverTally(streams: [])
        case .streams(let configuration, let sockets):
            precondition(sockets.groups.count == configuration.streams.count, "the input's streams are the configuration's")
            isLive = true
            silenceNanoseconds = configuration.silenceNanoseconds
            capacity = configuration.instrumentCapacity
            tally = KRXReceiverTally(streams: configuration.streams.map(\.description))
            for (stream, group) in configuration.streams.enumerated() {
                onEvent?(.joined(line: "\(stream + 1)", group: group.description,
                                 receiveBuffer: sockets.receiveBufferBytes(of: stream), requested: configuration.receiveBuffer))
            }
        }
        market = KRXMarketState(capacity: capacity)
        tracker = KRXSequenceTracker(instrumentCapacity: capacity)
        writer = KRXTickWriter(capacity: capacity)
    }

    // MARK: ExchangeAdapter

    /// KOSCOM's records come in datagrams, never as framed messages: a message is read as one
    /// datagram's payload.
    public mutating func apply(_ message: FramedMessage, receiveTime: UInt64, into ticks: inout TickSink) {
        receive(UnsafeRawBufferPointer(start: message.base, count: message.length), stream: 0, now: Clock.monotonic(),
                receiveTime: receiveTime, into: &ticks)
    }

    /// Decodes one datagram's records and applies each in turn; stops when `ticks` accepts no more
    /// messages (one record applied is one message; a duplicate dropped is none).
    public mutating func receive(_ datagram: UnsafeRawBufferPointer, stream: Int, now: UInt64, receiveTime: UInt64,
                                 into ticks: inout TickSink) {
        noteArrival(stream: stream, bytes: datagram.count, now: now)
        var reader = KRXRecordReader(payload: datagram)
        while ticks.acceptsMessages, let record = reader.next() {
            if handle(record, receiveTime: receiveTime, into: &ticks) { ticks.countMessage() }
        }
        tally.decode.add(reader.statistics)
    }

    /// Counts a datagram the kernel cut.
    public mutating func receiveOversize(stream: Int) {
        noteArrival(stream: stream, bytes: 0, now: Clock.monotonic())
        tally.oversize += 1
    }

    /// Notices silence: no datagram on any stream for the silence timeout.
    public mutating func service(now: UInt64, into ticks: inout TickSink, input: MulticastInput) {
        guard isLive, received, !silent, now &- lastDatagram >= silenceNanoseconds else { return }
        silent = true
        onEvent?(.session(.silent(line: nil, seconds: Double(now &- lastDatagram) / 1e9)))
    }

    /// 50 ms: nothing here waits on a timer shorter than the silence timeout.
    public var idleWaitMilliseconds: Int32 { 50 }

    /// `starting` until the first datagram, `silent` after the silence timeout, `recovering` while an
    /// instrument waits for the quote that heals it, `live` otherwise.
    public var health: FeedHealth {
        if isLive && !received { return .starting }
        if silent { return .silent }
        return tally.staleInstruments > 0 ? .recovering : .live
    }

    /// Copies the counters.
    public func publish(to counters: FeedCounters) {
        var t = tally
        t.state = market.statistics
        counters.publish(krx: t)
        counters.setStaleInstruments(t.staleInstruments)
    }

    /// The instrument's state as a snapshot tick (a quote tick: the 10 levels, the auction's estimate,
    /// last trade, volume, status with its VI flags, seq).
    public func instrumentState(locate: UInt16, into tick: inout Tick) -> Bool {
        let index = Int(locate) - 1
        guard index >= 0, index < market.instruments.count else { return false }
        writer.snapshot(of: market.instruments[index], index: index, into: &tick)
        return true
    }

    /// The status instrument `state` shows (`KRXTickWriter`'s table).
    public static func status(of state: KRXInstrumentState) -> TradingStatus { KRXTickWriter.status(of: state) }

    /// The tick `locate` of instrument `index` (locates start at 1; 0 is no instrument).
    public static func locate(ofInstrument index: Int) -> UInt16 { UInt16(index + 1) }

    /// The counters so far (for `book` and `serve --summary`).
    public var statistics: KRXReceiverTally {
        var t = tally
        t.state = market.statistics
        return t
    }

    // MARK: applying

    mutating func noteArrival(stream: Int, bytes: Int, now: UInt64) {
        if stream < tally.datagrams.count {
            tally.datagrams[stream] &+= 1
            tally.bytes[stream] &+= bytes
        }
        received = true
        lastDatagram = now
        if silent {
            silent = false
            onEvent?(.session(.resumed(line: nil)))
        }
    }

    /// Sequences one record and applies it: drops it when its number was seen, marks its instrument
    /// stale when numbers before it are missing, then writes the ticks of what it changed. Returns
    /// false for a record dropped.
    mutating func handle(_ record: KRXRecord, receiveTime: UInt64, into ticks: inout TickSink) -> Bool {
        var known = market.instruments.count
        if let (isin, board, sequence) = record.sequenceKey, let index = market.index(registering: isin) {
            if index == known {
                writer.add(market.instruments[index], receiveTime: receiveTime, into: &ticks)
                known += 1
            }
            switch tracker.observe(instrument: index, board: board, sequenceNumber: sequence) {
            case .stale:
                tally.duplicateRecords += 1
                return false
            case .gap(let gap) where board == .regular:
                tally.gaps += 1
                tally.missingRecords += gap.count
                markStale(index, gap: gap, receiveTime: receiveTime, into: &ticks)
            case .untracked:
                tally.untrackedRecords += 1
            case .first, .inOrder, .gap:
                break
            }
        }
        let wasStale: Bool
        let previous: KRXInstrumentState?
        if case .quote(let q) = record, let index = market.index(of: q.isin) {
            previous = market.instruments[index]
            wasStale = previous!.isStale
        } else {
            previous = nil
            wasStale = false
        }
        guard let (index, changes) = market.apply(record) else { return true }
        if index == known {
            // First seen through the master (its real-time records come later).
            writer.add(market.instruments[index], receiveTime: receiveTime, into: &ticks)
        }
        let state = market.instruments[index]
        let healed = wasStale && !state.isStale
        if healed {
            tally.staleInstruments -= 1
            tally.heals += 1
        }
        writer.write(changes, of: state, names: market.names[index], index: index, previous: previous, healed: healed,
                     receiveTime: receiveTime, into: &ticks)
        return true
    }

    /// Marks instrument `index` stale after `gap`: a `stale` status tick, then the skipped `seq`.
    mutating func markStale(_ index: Int, gap: KRXSequenceGap, receiveTime: UInt64, into ticks: inout TickSink) {
        let state = market.instruments[index]
        onEvent?(.instrumentGap(symbol: state.symbol.description, from: gap.from, to: gap.to))
        guard !state.isStale else { return }  // still waiting for its quote: consumers already know
        market.markStale(index)
        tally.staleInstruments += 1
        writer.markStale(market.instruments[index], index: index, receiveTime: receiveTime, into: &ticks)
    }
}

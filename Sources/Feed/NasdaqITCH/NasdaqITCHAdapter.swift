import ITCH
import Market
import MoldUDP64
import OrderBook
import Sockets
import System

/// The first exchange adapter: Nasdaq TotalView-ITCH 5.0, carried in MoldUDP64 packets, applied to
/// order-by-order books (`BookEngine`) that turn every visible change into ticks.
///
/// How its datagrams are sequenced depends on where they come from (`Input`): a capture keeps the
/// first copy of each (session, sequence) and passes over gaps (`PacketSequencer`, as `book` does);
/// the live lines go through `LineArbiter` (A/B arbitration, retransmission requests, stale marking).
/// Either way the packets' messages reach the books through an `ApplyPipeline`, which fetches what the
/// next messages of the packet will touch while it applies the current one.
///
/// When a gap outlives the recovery timeout, every known instrument gets a `stale` status tick and
/// its book stays frozen at the last state the feed handler can vouch for; when the gap is filled
/// after all, each gets its earlier status back.
///
/// Invariant: `out` has room for `BookEngine.maxTicksPerMessage` ticks and is freed once, by `deinit`;
/// `arbiter` is set exactly for live lines and `captureSequencer` exactly for captures.
public struct NasdaqITCHAdapter: ExchangeAdapter, ~Copyable {
    /// Where the adapter's bytes come from, which decides how they are sequenced.
    public enum Input {
        /// Messages framed and in order (a day-file, the simulator), handed to `apply`.
        case orderedMessages
        /// Datagrams out of a pcap of either line or both, in capture order, on stream 0.
        case capture
        /// The exchange's lines received by `input` (opened by `MoldUDP64FeedConfiguration.openInput()`):
        /// streams A, B if configured, then the retransmission answers.
        case lines(MoldUDP64FeedConfiguration, MulticastInput)
    }

    /// The books.
    public let engine: BookEngine
    private let out: UnsafeMutablePointer<Tick>
    private var arbiter: LineArbiter?
    private var captureSequencer: PacketSequencer?
    /// The line each input stream carries (live lines only).
    private let lineOfStream: [SessionLine]
    private let retransmissionServer: SocketAddress?
    private let requestBytes: UnsafeMutableRawPointer
    /// The status each instrument had when it was marked stale, restored if the gap is filled later.
    private var statusBeforeStale: [TradingStatus] = []
    private var staleInstruments = 0
    private let onEvent: (@Sendable (FeedEvent) -> Void)?

    /// An adapter applying `input`'s bytes to `engine`'s books; `onEvent` hears of joins, gaps,
    /// recoveries, stale marks, sessions and silence (on the feed thread; rare).
    public init(engine: BookEngine = BookEngine(), input: Input, onEvent: (@Sendable (FeedEvent) -> Void)? = nil) {
        self.engine = engine
        self.onEvent = onEvent
        out = .allocate(capacity: BookEngine.maxTicksPerMessage)
        requestBytes = .allocate(byteCount: MoldUDP64.requestLength, alignment: 8)
        switch input {
        case .orderedMessages:
            lineOfStream = []
            retransmissionServer = nil
        case .capture:
            captureSequencer = PacketSequencer()
            lineOfStream = []
            retransmissionServer = nil
        case .lines(let configuration, let sockets):
            var lines: [SessionLine] = [.a]
            if configuration.lineB != nil { lines.append(.b) }
            if configuration.retransmit != nil { lines.append(.retransmission) }
            precondition(sockets.groups.count + (sockets.unicastStream == nil ? 0 : 1) == lines.count,
                         "the input's streams are the configuration's lines")
            lineOfStream = lines
            retransmissionServer = configuration.retransmit
            var arbiter = LineArbiter(configuration: configuration.sequencing, lines: configuration.lineB == nil ? 1 : 2,
                                      retransmission: configuration.retransmit != nil)
            for (stream, line) in lines.enumerated() {
                arbiter.setReceiveBuffer(line: line, bytes: sockets.receiveBufferBytes(of: stream))
                if line != .retransmission {
                    onEvent?(.joined(line: line.name, group: sockets.groups[stream].description,
                                     receiveBuffer: sockets.receiveBufferBytes(of: stream),
                                     requested: configuration.sequencing.receiveBuffer))
                }
            }
            self.arbiter = arbiter
            statusBeforeStale = [TradingStatus](repeating: .unknown, count: BookEngine.locateCount)
        }
    }

    deinit {
        out.deallocate()
        requestBytes.deallocate()
        arbiter?.deallocate()
    }

    // MARK: ExchangeAdapter

    /// Applies one ITCH message to the books and writes its ticks.
    public mutating func apply(_ message: FramedMessage, receiveTime: UInt64, into ticks: inout TickSink) {
        let n = engine.apply(message.base, length: message.length, receiveTime: receiveTime, into: out)
        for i in 0..<n { ticks.write(out[i]) }
        ticks.countMessage()
    }

    /// Sequences one MoldUDP64 datagram and applies what became next in line.
    public mutating func receive(_ datagram: UnsafeRawBufferPointer, stream: Int, now: UInt64, receiveTime: UInt64,
                                 into ticks: inout TickSink) {
        if arbiter != nil {
            arbiter!.receive(datagram, line: lineOfStream[stream], now: now, receiveTime: receiveTime)
            takeSteps(into: &ticks)
        } else if captureSequencer != nil {
            // A datagram shorter than a header is not MoldUDP64 (the capture reader counts those).
            guard let packet = try? MoldUDP64Packet(datagram) else { return }
            let count = packet.announcedBlocks
            guard let skip = captureSequencer!.admit(session: packet.session, sequence: packet.sequenceNumber,
                                                     count: count) else { return }
            applyPacket(packet, skip: skip, receiveTime: receiveTime, into: &ticks)
        }
    }

    /// Counts a datagram the kernel cut.
    public mutating func receiveOversize(stream: Int) {
        guard arbiter != nil else { return }
        arbiter!.receiveOversize(line: lineOfStream[stream])
    }

    /// Runs the arbiter's timers: requests and retries go to the retransmission server through
    /// `input`'s unicast socket.
    public mutating func service(now: UInt64, into ticks: inout TickSink, input: MulticastInput) {
        guard arbiter != nil else { return }
        arbiter!.service(now: now)
        takeSteps(into: &ticks, input: input)
    }

    /// 2 ms while a gap is open (its timers must run on time), else 50 ms.
    public var idleWaitMilliseconds: Int32 { arbiter?.hasHole == true ? 2 : 50 }

    /// The session's health for live lines; `live` for other sources (the feed loop says when they end).
    public var health: FeedHealth { arbiter?.health ?? .live }

    /// Copies the live lines' tally and the stale count.
    public func publish(to counters: FeedCounters) {
        guard let arbiter else { return }
        counters.publish(arbiter.tally)
        counters.setStaleInstruments(staleInstruments)
    }

    /// The instrument's book as a snapshot tick.
    public func instrumentState(locate: UInt16, into tick: inout Tick) -> Bool {
        engine.snapshot(locate: locate, into: &tick)
    }

    // MARK: applying

    /// Applies messages `skip...` of `packet` through the books, fetching ahead within the packet;
    /// stops when `ticks` accepts no more messages.
    private func applyPacket(_ packet: MoldUDP64Packet, skip: Int, receiveTime: UInt64, into ticks: inout TickSink) {
        var pipeline = ApplyPipeline(engine: engine, messages: packet.messages(droppingFirst: skip))
        while ticks.acceptsMessages, let (_, n) = pipeline.applyNext(receiveTime: receiveTime, into: out) {
            for i in 0..<n { ticks.write(out[i]) }
            ticks.countMessage()
        }
    }

    /// Acts on what the arbiter handed back, in order: messages to the books, requests to the
    /// retransmission server (when `input` is given: only the timers ask), stale marks, events.
    private mutating func takeSteps(into ticks: inout TickSink, input: MulticastInput? = nil) {
        while let step = arbiter!.nextStep() {
            switch step {
            case .messages(let packet, let skip, let receiveTime):
                applyPacket(packet, skip: skip, receiveTime: receiveTime, into: &ticks)
            case .request(let request):
                guard let input, let server = retransmissionServer else { continue }
                request.encode(into: requestBytes)
                input.send(UnsafeRawBufferPointer(start: requestBytes, count: MoldUDP64.requestLength), to: server)
            case .stale(let from):
                staleInstruments = markStale(into: &ticks)
                onEvent?(.stale(from: from, instruments: staleInstruments))
            case .current:
                let cleared = clearStale(into: &ticks)
                staleInstruments = 0
                onEvent?(.unstale(instruments: cleared))
            case .event(let event):
                onEvent?(.session(event))
            }
        }
    }

    /// Gives every known instrument a `stale` status tick, remembering its status; returns how many.
    private mutating func markStale(into ticks: inout TickSink) -> Int {
        let receiveTime = Clock.realtime()
        var marked = 0
        var tick = Tick()
        for locate in engine.locates where engine.snapshot(locate: locate, into: &tick) {
            statusBeforeStale[Int(locate)] = tick.status
            marked += 1
            if engine.overrideStatus(.stale, locate: locate, receiveTime: receiveTime, into: out) == 1 { ticks.write(out[0]) }
        }
        return marked
    }

    /// Gives every instrument still marked stale its earlier status back; returns how many.
    private mutating func clearStale(into ticks: inout TickSink) -> Int {
        let receiveTime = Clock.realtime()
        var cleared = 0
        var tick = Tick()
        for locate in engine.locates where engine.snapshot(locate: locate, into: &tick) && tick.status == .stale {
            cleared += 1
            if engine.overrideStatus(statusBeforeStale[Int(locate)], locate: locate, receiveTime: receiveTime, into: out) == 1 {
                ticks.write(out[0])
            }
        }
        return cleared
    }
}

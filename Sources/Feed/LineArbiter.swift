import ITCH

/// The receiving side's MoldUDP64 sequencing across line A, line B and retransmitted packets: the
/// first copy of each sequence number wins; a hole on one line that another line fills is not a gap;
/// a hole on every line is a gap, asked for from the retransmission server (bounded in size and rate,
/// retried on timeout) while the packets behind it wait in a bounded `ReorderBuffer`; a gap still open
/// after the recovery timeout marks the books stale, and filling it later clears the mark. Knows no
/// sockets and no clock: the owner passes datagrams, times, and closures that apply messages, send
/// requests and change the stale mark, so tests drive it directly.
///
/// Invariant: every message below `next` of the current session was applied exactly once, in order,
/// and none at or above it; buffered packets all end above `next`.
package struct LineArbiter {
    /// Line indices: A, B, retransmission.
    package static let lineA = 0, lineB = 1, lineRetransmit = 2
    static let lineNames = ["a", "b", "retransmit"]

    package let configuration: MulticastFeedConfiguration
    package private(set) var tally = ReceiverTally()
    package private(set) var session: MoldUDP64Session?
    private var retired: [MoldUDP64Session] = []
    /// Next sequence number to apply (0 before the first packet).
    package private(set) var next: UInt64 = 0
    /// Highest "everything below this was sent" any line has shown.
    private var high: UInt64 = 0
    private var lineHigh: [UInt64] = [0, 0, 0]
    private var lineLast: [UInt64] = [0, 0, 0]
    private var lineSilent = [false, false]
    private var lastPacket: UInt64 = 0
    private var feedSilent = false
    private(set) var buffer: ReorderBuffer
    private var hole: Hole?
    package private(set) var stale = false
    /// A new session began while the books were stale: they hold orders of a session that was never
    /// completed, so nothing more is applied until the receiver restarts.
    private(set) var frozen = false
    private var endSequence: UInt64?
    private(set) var ended = false
    private var tokens: Double
    private var tokensAt: UInt64 = 0

    /// The hole at `next`: when it was noticed, confirmed on every line, asked for.
    struct Hole {
        /// Where the gap began, and the next missing number now (moves up as parts arrive).
        let first: UInt64
        var start: UInt64
        /// One past the last missing number, as known when the hole was noticed.
        var end: UInt64
        var noticed: UInt64
        var confirmed: UInt64?
        var requests = 0
        var lastRequest: UInt64 = 0
        /// One past the last number the last request asked for.
        var requestedEnd: UInt64 = 0
        /// The last request was answered in full and the gap goes on: ask for the next part now.
        var requestNow = false
        var markedStale = false
    }

    package init(configuration: MulticastFeedConfiguration) {
        self.configuration = configuration
        buffer = ReorderBuffer(capacity: configuration.bufferPackets, slotSize: configuration.maxDatagram)
        tokens = Double(configuration.maxRequestsPerSecond)
    }

    /// Frees the buffer's storage; call once when done.
    package func deallocate() { buffer.deallocate() }

    /// The feed's health now.
    package var health: FeedHealth {
        if stale { return .stale }
        if ended { return .ended }
        if feedSilent { return .silent }
        if session == nil { return .starting }
        if hole?.confirmed != nil { return .recovering }
        return .live
    }

    /// Whether a hole is open (the owner polls more often then).
    package var hasHole: Bool { hole != nil }

    private var configuredLines: Int { configuration.lineB == nil ? 1 : 2 }

    /// Takes one datagram from `line`, received at monotonic `now` and wall-clock `receiveTime`. Calls
    /// `apply` with every message that becomes applicable, in sequence order (with the message after it
    /// in the same packet, if any, for prefetching), and `staleChange(false)`
    /// before the first message that fills a gap that had made the books stale (`staleChange` returns
    /// how many instruments it marked or cleared).
    package mutating func receive(_ datagram: UnsafeRawBufferPointer, line: Int, now: UInt64, receiveTime: UInt64,
                          events: (FeedEvent) -> Void,
                          apply: (UnsafeRawPointer, Int, UInt64, UnsafeRawPointer?, Int) -> Void,
                          staleChange: (Bool) -> Int) {
        tally.datagrams[line] &+= 1
        tally.bytes[line] &+= datagram.count
        guard datagram.count >= MoldUDP64.headerLength, let packet = try? MoldUDP64Packet(datagram) else {
            tally.malformedShort &+= 1
            return
        }
        guard datagram.count <= configuration.maxDatagram else { tally.malformedOversize &+= 1; return }
        let s = packet.session
        guard Self.isPrintable(s) else { tally.malformedSession &+= 1; return }
        let kind = packet.kind
        let count: Int
        switch kind {
        case .messages(let c):
            guard packet.validate() == .complete else { tally.malformedFraming &+= 1; return }
            count = c
        case .heartbeat, .endOfSession:
            guard datagram.count == MoldUDP64.headerLength else { tally.malformedFraming &+= 1; return }
            count = 0
        }
        let seq = packet.sequenceNumber
        if seq == 0 {
            // MoldUDP64 never numbers a message 0: an unsequenced packet, applied as is (as `book` does).
            if count > 0 { for block in packet { apply(block.message.base, block.message.length, receiveTime, nil, 0) } }
            return
        }
        if line < 2 {
            lineLast[line] = now
            if lineSilent[line] {
                lineSilent[line] = false
                events(.resumed(line: Self.lineNames[line]))
            }
        }
        lastPacket = now
        if feedSilent {
            feedSilent = false
            events(.resumed(line: "feed"))
        }
        if session != s {
            if retired.contains(s) { tally.oldSessionPackets &+= 1; return }
            start(session: s, at: seq, events: events)
        }
        if kind == .heartbeat && line < 2 { tally.heartbeats[line] &+= 1 }
        if frozen {
            tally.frozenPackets &+= 1
            return
        }
        let end = seq &+ UInt64(count)
        if line < 2 { lineHigh[line] = max(lineHigh[line], end) }
        high = max(high, end)
        if kind == .endOfSession && endSequence == nil {
            endSequence = seq
        }
        if count > 0 {
            if end <= next {
                tally.duplicatePackets &+= 1
                tally.duplicateMessages &+= count
            } else if seq <= next {
                applyPacket(packet, from: next, line: line, now: now, receiveTime: receiveTime, events: events, apply: apply,
                            staleChange: staleChange)
                drain(now: now, events: events, apply: apply, staleChange: staleChange)
            } else {
                switch buffer.insert(datagram, start: seq, end: end, receiveTime: receiveTime, line: line) {
                case .stored: break
                case .duplicate:
                    tally.duplicatePackets &+= 1
                    tally.duplicateMessages &+= count
                case .full: tally.bufferOverflows &+= 1
                }
            }
        }
        noteHole(now: now)
        checkEnd(events: events)
        tally.buffered = buffer.count
        tally.nextSequence = next
    }

    /// Runs the timers: confirms holes, sends and retries requests (through `send`), marks the books
    /// stale when a gap outlives the recovery timeout, and notices silent lines.
    package mutating func service(now: UInt64, events: (FeedEvent) -> Void, send: (MoldUDP64Request) -> Void,
                          staleChange: (Bool) -> Int) {
        let c = configuration
        // Silence, per line and for the whole feed (after the end of session, silence is expected).
        if !ended && session != nil {
            for l in 0..<configuredLines where !lineSilent[l] && now &- lineLast[l] >= c.silenceNanoseconds {
                lineSilent[l] = true
                tally.silences &+= 1
                events(.silent(line: Self.lineNames[l], seconds: Double(now &- lineLast[l]) / 1e9))
            }
            if !feedSilent && now &- lastPacket >= c.silenceNanoseconds {
                feedSilent = true
                tally.silences &+= 1
                events(.silent(line: "feed", seconds: Double(now &- lastPacket) / 1e9))
            }
        }
        guard var h = hole, let session else { return }
        let holeEnd = min(buffer.firstStart ?? high, high)
        if h.confirmed == nil {
            // A gap on every line: each configured line has shown something past the hole, or has been
            // quiet for the line wait (a dead line does not hold a gap open).
            var everyLine = true
            for l in 0..<configuredLines where lineHigh[l] <= h.start && now &- lineLast[l] < c.lineWaitNanoseconds {
                everyLine = false
            }
            if everyLine {
                h.confirmed = now
                tally.gaps &+= 1
                tally.gapMessages &+= Int(holeEnd &- h.start)
                events(.gap(from: h.start, to: holeEnd))
            }
        }
        if let confirmed = h.confirmed {
            if c.retransmit != nil {
                // Refill the token bucket (depth: one second's worth of requests).
                let rate = Double(c.maxRequestsPerSecond)
                tokens = min(rate, tokens + Double(now &- tokensAt) / 1e9 * rate)
                tokensAt = now
                let interval = h.markedStale ? max(c.requestTimeoutNanoseconds, 1_000_000_000) : c.requestTimeoutNanoseconds
                if (h.requests == 0 || h.requestNow || now &- h.lastRequest >= interval) && tokens >= 1 {
                    tokens -= 1
                    let n = max(1, min(Int(holeEnd &- h.start), c.maxRequestMessages))
                    send(MoldUDP64Request(session: session, sequenceNumber: h.start, count: UInt16(n)))
                    if h.requests > 0 && !h.requestNow { tally.requestRetries &+= 1 }
                    h.requestNow = false
                    h.requestedEnd = h.start &+ UInt64(n)
                    h.requests += 1
                    h.lastRequest = now
                    tally.requests &+= 1
                }
            }
            if !h.markedStale && now &- confirmed >= c.recoveryTimeoutNanoseconds {
                h.markedStale = true
                tally.unrecoveredGaps &+= 1
                if !stale {
                    stale = true
                    tally.staleInstruments = staleChange(true)
                }
                events(.stale(from: h.start, instruments: tally.staleInstruments))
            }
        }
        hole = h
    }

    /// Counts a datagram that was longer than the largest kept (cut by the kernel).
    package mutating func receiveOversize(line: Int) {
        tally.datagrams[line] &+= 1
        tally.malformedOversize &+= 1
    }

    /// Sets the granted receive buffer of a line's socket, for the metrics.
    package mutating func setReceiveBuffer(line: Int, bytes: Int) { tally.receiveBuffer[line] = bytes }

    /// Starts over at `next` of `session`, as a gateway does after applying a snapshot that reflects
    /// every message below `next`: buffered packets, the hole and the stale mark are dropped, and the
    /// session's earlier packets become duplicates. The old session (if another) is retired.
    package mutating func resynchronize(session s: MoldUDP64Session, next first: UInt64, now: UInt64) {
        if let old = session, old != s {
            retired.append(old)
            if retired.count > 8 { retired.removeFirst() }
        }
        retired.removeAll { $0 == s }
        session = s
        buffer.removeAll()
        hole = nil
        stale = false
        frozen = false
        high = first
        lineHigh = [first, first, first]
        endSequence = nil
        ended = false
        next = first
        lastPacket = now
        lineLast = [now, now, now]
        lineSilent = [false, false]
        feedSilent = false
        tally.buffered = 0
        tally.staleInstruments = 0
        tally.nextSequence = first
    }

    // MARK: - Internals

    private mutating func start(session s: MoldUDP64Session, at seq: UInt64, events: (FeedEvent) -> Void) {
        if let old = session {
            if stale { frozen = true }
            retired.append(old)
            if retired.count > 8 { retired.removeFirst() }
            events(.sessionChanged(from: old.description, to: s.description, sequence: seq))
        }
        session = s
        tally.sessions &+= 1
        buffer.removeAll()
        hole = nil
        high = 0
        lineHigh = [0, 0, 0]
        endSequence = nil
        ended = false
        // Joining late: with a retransmission server, ask for everything from 1; without one, start here.
        next = configuration.retransmit != nil ? 1 : seq
        events(.sessionStarted(session: s.description, sequence: seq, late: seq > 1))
    }

    private mutating func applyPacket(_ packet: MoldUDP64Packet, from first: UInt64, line: Int, now: UInt64, receiveTime: UInt64,
                                      events: (FeedEvent) -> Void,
                                      apply: (UnsafeRawPointer, Int, UInt64, UnsafeRawPointer?, Int) -> Void, staleChange: (Bool) -> Int) {
        let skip = Int(first &- packet.sequenceNumber)
        if skip > 0 { tally.duplicateMessages &+= skip }
        let newNext = packet.sequenceNumber &+ UInt64(packet.announcedBlocks)
        if var h = hole {
            // The hole at `next` is being filled: partly (a long gap answered in several packets stays
            // one gap, its start moving up, and progress restarts its recovery clock), or wholly.
            if newNext < h.end {
                h.start = newNext
                if h.confirmed != nil { h.confirmed = now }
                h.markedStale = false
                // The answer to the last request is complete: ask for the next part at once; otherwise
                // the rest of it is on its way.
                if h.requests > 0 && newNext >= h.requestedEnd { h.requestNow = true } else { h.lastRequest = now }
                hole = h
            } else {
                if stale {
                    // Every message up to the end of the gap is applied in order: the books are whole again.
                    stale = false
                    tally.unstaleEvents &+= 1
                    let cleared = staleChange(false)
                    tally.staleInstruments = 0
                    events(.unstale(instruments: cleared))
                }
                if h.requests > 0 || line == Self.lineRetransmit {
                    tally.gapsRecovered &+= 1
                    events(.recovered(from: h.first, to: newNext, requests: h.requests))
                } else if h.confirmed == nil {
                    tally.lineFills &+= 1
                }
                hole = nil
            }
        }
        // One message of lookahead, so the books can start fetching the next message's order while
        // applying this one.
        var iterator = packet.makeIterator()
        var pending = iterator.next()
        var index = 0
        var applied = 0
        while let block = pending {
            let following = iterator.next()
            if index >= skip {
                apply(block.message.base, block.message.length, receiveTime, following?.message.base, following?.message.length ?? 0)
                applied += 1
            }
            index += 1
            pending = following
        }
        if line == Self.lineRetransmit { tally.recoveredMessages &+= applied }
        next = newNext
    }

    /// Applies buffered packets that have become next in line.
    private mutating func drain(now: UInt64, events: (FeedEvent) -> Void, apply: (UnsafeRawPointer, Int, UInt64, UnsafeRawPointer?, Int) -> Void,
                                staleChange: (Bool) -> Int) {
        while let first = buffer.firstStart, first <= next {
            let e = buffer.removeFirst()
            if e.end <= next {
                tally.duplicatePackets &+= 1
                tally.duplicateMessages &+= Int(e.end - e.start)
                continue
            }
            let packet = try! MoldUDP64Packet(buffer.bytes(of: e))
            applyPacket(packet, from: next, line: e.line, now: now, receiveTime: e.receiveTime, events: events, apply: apply,
                        staleChange: staleChange)
        }
    }

    /// Opens a hole record when something past `next` is known and nothing covers `next`.
    private mutating func noteHole(now: UInt64) {
        if high > next {
            if hole == nil || hole!.start != next {
                hole = Hole(first: next, start: next, end: min(buffer.firstStart ?? high, high), noticed: now)
            }
        } else {
            hole = nil
        }
    }

    private mutating func checkEnd(events: (FeedEvent) -> Void) {
        if let end = endSequence, !ended, next >= end {
            ended = true
            tally.endsOfSession &+= 1
            events(.endOfSession(session: session?.description ?? "", nextSequence: end))
        }
    }

    /// MoldUDP64 sessions are printable ASCII (alphanumeric, space-padded): anything else is garbage.
    private static func isPrintable(_ s: MoldUDP64Session) -> Bool {
        for i in 0..<8 {
            let b = UInt8(truncatingIfNeeded: s.head >> (8 * UInt64(i)))
            if b < 0x20 || b > 0x7E { return false }
        }
        for i in 0..<2 {
            let b = UInt8(truncatingIfNeeded: s.tail >> (8 * UInt16(i)))
            if b < 0x20 || b > 0x7E { return false }
        }
        return true
    }
}

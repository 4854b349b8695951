import Market

/// The receiving side's MoldUDP64 sequencing across line A, line B and retransmitted packets: the
/// first copy of each sequence number wins; a hole on one line that another line fills is not a gap;
/// a hole on every line is a gap, asked for from the retransmission server (bounded in size and rate,
/// retried on timeout) while the packets behind it wait in a bounded `ReorderBuffer`; a gap still open
/// after the recovery timeout makes the session stale, and filling it later makes it current again.
///
/// Callees return, callers decide: the arbiter knows no sockets, no clock and nothing of what the
/// messages mean. `receive` and `service` record what happened as `Step`s (messages to apply, in
/// order; requests to send; the session going stale or current again; events to log), which the
/// owner takes with `nextStep()` and acts on, in that order, before the next `receive`. Tests drive
/// it the same way.
///
/// Health is one state machine (`health`): `starting` until the first packet; `live`; `recovering`
/// while a gap on every line is being filled; `stale` once a gap outlived the recovery timeout,
/// until it is filled; `silent` (from `live` or `recovering`) while nothing arrives; `ended` once
/// every message before the end of session was handed out.
///
/// Invariant: every message below `next` of the current session was handed out exactly once, in
/// order, and none at or above it; buffered packets all end above `next`; `steps[stepIndex...]` are
/// the steps the owner has not taken yet.
public struct LineArbiter {
    /// What the arbiter hands its owner, in the order the owner must act on it.
    public enum Step {
        /// Apply messages `skip...` of `packet` (its first `skip` were applied before), in order, as
        /// received at `receiveTime`. The packet's bytes stay readable until the next `receive`.
        case messages(MoldUDP64Packet, skip: Int, receiveTime: UInt64)
        /// Send this request to the retransmission server.
        case request(MoldUDP64Request)
        /// A gap beginning at `gapFrom` outlived the recovery timeout: what was applied can no longer
        /// be vouched for (the feed marks its books stale; a gateway node resynchronizes).
        case stale(gapFrom: UInt64)
        /// The gap that had made the session stale is being filled: from the messages that follow, the
        /// state is whole again.
        case current
        /// Something to log.
        case event(SessionEvent)
    }

    /// The sequencing's buffers, timers and limits.
    public let configuration: SequencingConfiguration
    /// Lines that carry the session (1: A only, 2: A and B); retransmissions come on a third.
    public let lineCount: Int
    /// Whether a retransmission server is there to ask: without one, a gap is never asked for and a
    /// late join starts where it joined.
    public let requestsRetransmissions: Bool
    /// What was received, applied, requested and lost so far.
    public private(set) var tally = ReceiverTally()
    /// The session being sequenced (nil before the first packet).
    public private(set) var session: MoldUDP64Session?
    /// Next sequence number to hand out (0 before the first packet).
    public private(set) var next: UInt64 = 0
    /// Where the session stands (see the type's documentation for the transitions).
    public private(set) var health: FeedHealth = .starting
    private var retired: [MoldUDP64Session] = []
    /// Highest "everything below this was sent" any line has shown.
    private var high: UInt64 = 0
    private var lineHigh: [UInt64] = [0, 0, 0]
    private var lineLast: [UInt64] = [0, 0, 0]
    private var lineSilent = [false, false]
    private var lastPacket: UInt64 = 0
    /// Nothing arrived on any line for the silence timeout (kept apart from `health`, which does not
    /// show silence over `stale` or `ended`, so the resumption is still reported).
    private var sessionSilent = false
    private(set) var buffer: ReorderBuffer
    private var hole: Hole?
    /// A new session began while stale: the owner's state holds a session that was never completed,
    /// so nothing more is handed out until the receiver restarts (or resynchronizes).
    private(set) var frozen = false
    private var endSequence: UInt64?
    private var tokens: Double
    private var tokensAt: UInt64 = 0
    private var steps: [Step] = []
    private var stepIndex = 0

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

    /// An arbiter for a session on `lines` lines (1 or 2), asking a retransmission server for gaps when
    /// `retransmission` is true.
    public init(configuration: SequencingConfiguration, lines: Int, retransmission: Bool) {
        precondition(lines == 1 || lines == 2, "a MoldUDP64 session comes on line A, or lines A and B")
        self.configuration = configuration
        lineCount = lines
        requestsRetransmissions = retransmission
        buffer = ReorderBuffer(capacity: configuration.bufferPackets, slotSize: configuration.maxDatagram)
        tokens = Double(configuration.maxRequestsPerSecond)
        // Enough for the largest drain (every buffered packet) plus the events around it.
        steps.reserveCapacity(configuration.bufferPackets + 16)
    }

    /// Frees the buffer's storage; call once when done.
    public func deallocate() { buffer.deallocate() }

    /// Whether a hole is open (the owner polls more often then).
    public var hasHole: Bool { hole != nil }

    /// The next step to act on, or nil when every step of the last `receive` or `service` was taken.
    @inline(__always)
    public mutating func nextStep() -> Step? {
        guard stepIndex < steps.count else { return nil }
        defer { stepIndex &+= 1 }
        return steps[stepIndex]
    }

    /// Takes one datagram from `line`, received at monotonic `now` and wall-clock `receiveTime`, and
    /// records what follows from it: the messages that become next in sequence (this packet's, then
    /// any buffered packets it unblocks), the session going current again before the first message
    /// that completes a gap that had made it stale, and events. The owner must have taken every step
    /// of the previous call: their packet bytes may be reused from here on.
    public mutating func receive(_ datagram: UnsafeRawBufferPointer, line: SessionLine, now: UInt64, receiveTime: UInt64) {
        beginSteps()
        let l = line.rawValue
        tally.datagrams[l] &+= 1
        tally.bytes[l] &+= datagram.count
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
            if count > 0 { steps.append(.messages(packet, skip: 0, receiveTime: receiveTime)) }
            return
        }
        if line != .retransmission {
            lineLast[l] = now
            if lineSilent[l] {
                lineSilent[l] = false
                steps.append(.event(.resumed(line: line)))
            }
        }
        lastPacket = now
        if sessionSilent {
            sessionSilent = false
            if health == .silent { health = hole?.confirmed != nil ? .recovering : .live }
            steps.append(.event(.resumed(line: nil)))
        }
        if session != s {
            if retired.contains(s) { tally.oldSessionPackets &+= 1; return }
            start(session: s, at: seq)
        }
        if kind == .heartbeat && line != .retransmission { tally.heartbeats[l] &+= 1 }
        if frozen {
            tally.frozenPackets &+= 1
            return
        }
        let end = seq &+ UInt64(count)
        if line != .retransmission { lineHigh[l] = max(lineHigh[l], end) }
        high = max(high, end)
        if kind == .endOfSession && endSequence == nil {
            endSequence = seq
        }
        if count > 0 {
            if end <= next {
                tally.duplicatePackets &+= 1
                tally.duplicateMessages &+= count
            } else if seq <= next {
                handOut(packet, line: line, now: now, receiveTime: receiveTime)
                drain(now: now)
            } else {
                switch buffer.insert(datagram, start: seq, end: end, receiveTime: receiveTime, line: l) {
                case .stored: break
                case .duplicate:
                    tally.duplicatePackets &+= 1
                    tally.duplicateMessages &+= count
                case .full: tally.bufferOverflows &+= 1
                }
            }
        }
        noteHole(now: now)
        checkEnd()
        tally.buffered = buffer.count
        tally.nextSequence = next
    }

    /// Runs the timers at monotonic `now`: notices silent lines, confirms holes, records requests to
    /// send and retries, and makes the session stale when a gap outlives the recovery timeout.
    public mutating func service(now: UInt64) {
        beginSteps()
        let c = configuration
        // Silence, per line and for the whole session (after the end of session, silence is expected).
        if health != .ended && session != nil {
            for l in 0..<lineCount where !lineSilent[l] && now &- lineLast[l] >= c.silenceNanoseconds {
                lineSilent[l] = true
                tally.silences &+= 1
                steps.append(.event(.silent(line: SessionLine(rawValue: l), seconds: Double(now &- lineLast[l]) / 1e9)))
            }
            if !sessionSilent && now &- lastPacket >= c.silenceNanoseconds {
                sessionSilent = true
                tally.silences &+= 1
                if health == .live || health == .recovering { health = .silent }
                steps.append(.event(.silent(line: nil, seconds: Double(now &- lastPacket) / 1e9)))
            }
        }
        guard var h = hole, let session else { return }
        let holeEnd = min(buffer.firstStart ?? high, high)
        if h.confirmed == nil {
            // A gap on every line: each configured line has shown something past the hole, or has been
            // quiet for the line wait (a dead line does not hold a gap open).
            var everyLine = true
            for l in 0..<lineCount where lineHigh[l] <= h.start && now &- lineLast[l] < c.lineWaitNanoseconds {
                everyLine = false
            }
            if everyLine {
                h.confirmed = now
                if health == .live { health = .recovering }
                tally.gaps &+= 1
                tally.gapMessages &+= Int(holeEnd &- h.start)
                steps.append(.event(.gap(from: h.start, to: holeEnd)))
            }
        }
        if let confirmed = h.confirmed {
            if requestsRetransmissions {
                // Refill the token bucket (depth: one second's worth of requests).
                let rate = Double(c.maxRequestsPerSecond)
                tokens = min(rate, tokens + Double(now &- tokensAt) / 1e9 * rate)
                tokensAt = now
                let interval = h.markedStale ? max(c.requestTimeoutNanoseconds, 1_000_000_000) : c.requestTimeoutNanoseconds
                if (h.requests == 0 || h.requestNow || now &- h.lastRequest >= interval) && tokens >= 1 {
                    tokens -= 1
                    let n = max(1, min(Int(holeEnd &- h.start), c.maxRequestMessages))
                    steps.append(.request(MoldUDP64Request(session: session, sequenceNumber: h.start, count: UInt16(n))))
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
                if health != .stale {
                    health = .stale
                    steps.append(.stale(gapFrom: h.start))
                }
            }
        }
        hole = h
    }

    /// Counts a datagram that was longer than the largest kept (cut by the kernel).
    public mutating func receiveOversize(line: SessionLine) {
        tally.datagrams[line.rawValue] &+= 1
        tally.malformedOversize &+= 1
    }

    /// Sets the granted receive buffer of a line's socket, for the metrics.
    public mutating func setReceiveBuffer(line: SessionLine, bytes: Int) { tally.receiveBuffer[line.rawValue] = bytes }

    /// Starts over at `next` of `session`, as a gateway does after applying a snapshot that reflects
    /// every message below `next`: buffered packets, the hole and the stale state are dropped, and the
    /// session's earlier packets become duplicates. The old session (if another) is retired.
    public mutating func resynchronize(session s: MoldUDP64Session, next first: UInt64, now: UInt64) {
        beginSteps()
        if let old = session, old != s {
            retired.append(old)
            if retired.count > 8 { retired.removeFirst() }
        }
        retired.removeAll { $0 == s }
        session = s
        buffer.removeAll()
        hole = nil
        health = .live
        frozen = false
        high = first
        lineHigh = [first, first, first]
        endSequence = nil
        next = first
        lastPacket = now
        lineLast = [now, now, now]
        lineSilent = [false, false]
        sessionSilent = false
        tally.buffered = 0
        tally.nextSequence = first
    }

    // MARK: - Internals

    /// Forgets the steps the owner has taken; their packets' bytes may be reused from now on.
    @inline(__always)
    private mutating func beginSteps() {
        precondition(stepIndex == steps.count, "the owner must take every step before the arbiter moves on")
        if !steps.isEmpty {
            steps.removeAll(keepingCapacity: true)
            stepIndex = 0
        }
    }

    private mutating func start(session s: MoldUDP64Session, at seq: UInt64) {
        if let old = session {
            if health == .stale { frozen = true }
            retired.append(old)
            if retired.count > 8 { retired.removeFirst() }
            steps.append(.event(.sessionChanged(from: old, to: s, sequence: seq)))
        }
        session = s
        if health != .stale { health = .live }
        tally.sessions &+= 1
        buffer.removeAll()
        hole = nil
        high = 0
        lineHigh = [0, 0, 0]
        endSequence = nil
        // Joining late: with a retransmission server, ask for everything from 1; without one, start here.
        next = requestsRetransmissions ? 1 : seq
        steps.append(.event(.sessionStarted(session: s, sequence: seq, late: seq > 1)))
    }

    /// Hands out `packet`'s messages from `next` on, filling (part of) the hole there.
    private mutating func handOut(_ packet: MoldUDP64Packet, line: SessionLine, now: UInt64, receiveTime: UInt64) {
        let skip = Int(next &- packet.sequenceNumber)
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
                if health == .stale {
                    // Every message up to the end of the gap is handed out in order: whole again.
                    tally.unstaleEvents &+= 1
                    steps.append(.current)
                }
                if h.requests > 0 || line == .retransmission {
                    tally.gapsRecovered &+= 1
                    steps.append(.event(.recovered(from: h.first, to: newNext, requests: h.requests)))
                } else if h.confirmed == nil {
                    tally.lineFills &+= 1
                }
                hole = nil
                if health != .silent { health = .live }
            }
        }
        steps.append(.messages(packet, skip: skip, receiveTime: receiveTime))
        if line == .retransmission { tally.recoveredMessages &+= packet.announcedBlocks - skip }
        next = newNext
    }

    /// Hands out buffered packets that have become next in line.
    private mutating func drain(now: UInt64) {
        while let first = buffer.firstStart, first <= next {
            let e = buffer.removeFirst()
            if e.end <= next {
                tally.duplicatePackets &+= 1
                tally.duplicateMessages &+= Int(e.end - e.start)
                continue
            }
            let packet = try! MoldUDP64Packet(buffer.bytes(of: e))
            handOut(packet, line: SessionLine(rawValue: e.line)!, now: now, receiveTime: e.receiveTime)
        }
    }

    /// Opens a hole record when something past `next` is known and nothing covers `next`.
    private mutating func noteHole(now: UInt64) {
        if high > next {
            if hole == nil || hole!.start != next {
                hole = Hole(first: next, start: next, end: min(buffer.firstStart ?? high, high), noticed: now)
                if health == .recovering { health = .live }  // not confirmed on every line yet
            }
        } else {
            hole = nil
            if health == .recovering { health = .live }
        }
    }

    private mutating func checkEnd() {
        if let end = endSequence, health != .ended, health != .stale, next >= end {
            health = .ended
            tally.endsOfSession &+= 1
            steps.append(.event(.endOfSession(session: session ?? .blank, nextSequence: end)))
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

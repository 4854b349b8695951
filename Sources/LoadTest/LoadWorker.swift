import CShim
import Glibc
import Market
import Sockets
import StreamClient
import System
import WebSocket

/// What one driver thread hands back at the end.
struct WorkerResult: Sendable {
    var counts = CheckCounts()
    /// Tick latency (now − `rt`) of updates received in the measurement window, by fast and slow
    /// clients (`latency` is both, filled at the end).
    var latency = LatencyHistogram()
    var fastLatency = LatencyHistogram()
    var slowLatency = LatencyHistogram()
    /// Connect → 101, per successful handshake.
    var handshake = LatencyHistogram()
    var connectsOK = 0
    var connectsFailed = 0
    /// Why connects failed (`"ECONNREFUSED"`, `"http_503"`, `"timeout"`, …) → count.
    var connectFailures: [String: Int] = [:]
    /// Close codes of connections the server closed (1006: dropped without a close frame) → count.
    var disconnects: [UInt16: Int] = [:]
    /// Frame-level protocol failures in what the server sent (bad framing, invalid UTF-8, …).
    var frameErrors: UInt64 = 0
    /// Updates whose `rt` was in the future (clock skew): recorded as 0.
    var negativeLatencies: UInt64 = 0
    /// Messages and bytes received inside the measurement window.
    var windowMessages: UInt64 = 0
    var windowBytes: UInt64 = 0
    /// Per client: (index, slow, messages in the window, conflations, was open all window).
    var perClient: [(index: Int, slow: Bool, messages: UInt64, conflations: UInt64, steady: Bool)] = []
    /// The first few errors, described.
    var examples: [String] = []
    /// CPU time of this thread.
    var cpuNanoseconds: UInt64 = 0
    /// Churn: clients this thread closed to replace them.
    var churned = 0
    /// Storms: connections dropped on purpose.
    var stormDrops = 0
}

/// One driver thread: an epoll loop over its share of the clients (those whose index ≡ `id` mod
/// threads). Everything here is touched by that thread only; it meets the coordinator through
/// `LoadControl`. The per-message path (read → frame parser → scanner → seq check → histogram)
/// allocates nothing and takes no lock.
final class LoadWorker: @unchecked Sendable {
    // @unchecked: after `init` (on the coordinator's thread, before the thread starts) every field is
    // used by the worker thread alone; the coordinator reads `result` only after joining it.
    let id: Int
    let configuration: LoadConfiguration
    let url: StreamURL
    let host: String
    let port: UInt16
    let control: LoadControl
    let slots: [ClientSlot]
    var result = WorkerResult()

    private let loop: EventLoop
    /// At most this much is read per ready client per loop turn, and at most `batch` clients are
    /// served per turn: a turn stays short (a few MiB), so pacing, slow readers and progress keep
    /// their schedule even when every client has data waiting.
    private let bufferSize = 64 * 1024
    private let buffer: UnsafeMutableRawPointer
    private var random: SplitMix64
    private var message = ServerMessage()
    private var interval = LatencyHistogram()
    private var toConnect: [Int] = []                 // slot positions waiting to connect, FIFO
    private var toConnectHead = 0
    private var connectTokens = 0.0
    private var churnTokens = 0.0
    private var measuring = false
    private var seenStorm = 0
    private var stormStarted: UInt64 = 0
    private var stormPending = false
    private var stormDone: (generation: Int, nanoseconds: UInt64)?
    private var countsSinceWindow = (messages: UInt64(0), bytes: UInt64(0))
    private var windowCounts = (messages: UInt64(0), bytes: UInt64(0))
    private let depthSkips: Bool

    init(id: Int, configuration: LoadConfiguration, url: StreamURL, host: String, port: UInt16,
         control: LoadControl, slots: [ClientSlot]) throws {
        self.id = id
        self.configuration = configuration
        self.url = url
        self.host = host
        self.port = port
        self.control = control
        self.slots = slots
        loop = try EventLoop(batch: 64)
        buffer = .allocate(byteCount: bufferSize, alignment: 64)
        random = SplitMix64(seed: configuration.seed &+ UInt64(id) &* 0x9E37_79B9)
        depthSkips = configuration.depth < 10
        toConnect = Array(slots.indices)
        for (p, slot) in slots.enumerated() { slot.position = p }
    }

    deinit { buffer.deallocate() }

    // MARK: the loop

    /// Runs until `control.stop`; then closes every client and fills `result`.
    func run() {
        _ = qc_set_thread_name("qc-load-\(id)")
        var last = Clock.monotonic()
        var lastPublish = last
        var lastSweep = last
        let slowPositions = slots.indices.filter { slots[$0].slow }
        let connectRate = configuration.connectRate / Double(configuration.threads)
        let churnRate = configuration.churnPerSecond / Double(configuration.threads)
        while !control.stop.load(ordering: .relaxed) {
            let now = Clock.monotonic()
            let dt = Double(now &- last) / 1e9
            last = now

            if !measuring && control.measuring.load(ordering: .relaxed) { openWindow() }
            let storm = control.stormGeneration.load(ordering: .relaxed)
            if storm != seenStorm { startStorm(storm, now) }

            // Connects, paced (a storm reconnects everyone at once).
            connectTokens = min(connectTokens + connectRate * dt, max(1, connectRate / 10))
            let target = control.target.load(ordering: .relaxed)
            while toConnectHead < toConnect.count {
                let slot = slots[toConnect[toConnectHead]]
                guard slot.index < target else { break }
                guard stormPending || connectTokens >= 1 else { break }
                if !stormPending { connectTokens -= 1 }
                toConnectHead += 1
                startConnect(slot, now)
            }
            if toConnectHead > 4096 && toConnectHead * 2 > toConnect.count {
                toConnect.removeFirst(toConnectHead)
                toConnectHead = 0
            }
            if churnRate > 0 && measuring { churn(dt * churnRate) }

            // Slow clients read what their budget allows, every turn (about every 5 ms).
            for p in slowPositions {
                let slot = slots[p]
                guard slot.phase == .open else { continue }
                let rate = Double(configuration.slowBytesPerSecond)
                slot.budget = min(slot.budget + rate * dt, max(rate, 1))
                let allowance = Int(slot.budget)
                if allowance > 0 { slot.budget -= Double(readOpen(slot, limit: allowance)) }
            }

            if now &- lastSweep > 100_000_000 {
                lastSweep = now
                sweepTimeouts(now)
            }
            if now &- lastPublish > 250_000_000 {
                lastPublish = now
                publish()
            }
            do {
                try loop.wait(timeoutMilliseconds: 5) { token, events in
                    guard token != EventLoop.wakeToken else { return }
                    self.handle(self.slots[Int(token)], events)
                }
            } catch {
                note("epoll_wait failed: \(error)")
                break
            }
        }
        closeWindow()
        finish()
    }

    private func openWindow() {
        measuring = true
        countsSinceWindow = (result.counts.messages, result.counts.bytes)
        for slot in slots {
            slot.messagesAtWindowStart = slot.messages
            slot.openAllWindow = slot.phase == .open
        }
    }

    private func startStorm(_ generation: Int, _ now: UInt64) {
        seenStorm = generation
        stormStarted = now
        stormPending = true
        stormDone = nil
        toConnect.removeFirst(toConnectHead)
        toConnectHead = 0
        var queued = Set(toConnect)
        for (p, slot) in slots.enumerated() where slot.phase != .idle {
            loop.remove(Descriptor(rawValue: slot.fd))
            ClientSocket.close(slot.fd, reset: true)
            slot.resetConnection()
            result.stormDrops += 1
            if queued.insert(p).inserted { toConnect.append(p) }
        }
        toConnect.sort()
    }

    private func churn(_ amount: Double) {
        churnTokens += amount
        while churnTokens >= 1 {
            churnTokens -= 1
            // A random open client leaves (politely) and a new one takes its place.
            let open = slots.indices.filter { slots[$0].phase == .open }
            guard !open.isEmpty else { return }
            let p = open[Int(random.next() % UInt64(open.count))]
            let slot = slots[p]
            send(slot, ClientFrame.close(.normal, reason: "churn", maskKey: UInt32(truncatingIfNeeded: random.next())))
            drop(slot)
            result.churned += 1
            toConnect.append(p)
        }
    }

    private func sweepTimeouts(_ now: UInt64) {
        let limit = UInt64(configuration.connectTimeout * 1e9)
        for slot in slots where (slot.phase == .connecting || slot.phase == .handshaking) && now &- slot.connectStarted > limit {
            connectFailed(slot, "timeout")
        }
        if stormPending && toConnectHead >= toConnect.count && slots.allSatisfy({ $0.phase == .idle || $0.subscribed || $0.index >= control.target.load(ordering: .relaxed) }) {
            stormPending = false
            stormDone = (seenStorm, now &- stormStarted)
        }
    }

    private func publish() {
        var p = WorkerProgress()
        p.messages = result.counts.messages
        p.bytes = result.counts.bytes
        for slot in slots {
            switch slot.phase {
            case .open: p.open += 1; if slot.subscribed { p.subscribed += 1 }
            case .connecting, .handshaking: p.connecting += 1
            case .idle: break
            }
        }
        p.connectsOK = result.connectsOK
        p.connectsFailed = result.connectsFailed
        p.disconnects = result.disconnects.values.reduce(0, +)
        p.errors = errorCount
        p.unexplainedGaps = result.counts.unexplainedGaps
        p.conflated = result.counts.conflatedMessages
        p.gapNotices = result.counts.gapNotices
        p.stormDone = stormDone
        let id = self.id
        control.board.withLock { board in
            board.workers[id] = p
            board.interval.merge(interval)
        }
        interval.reset()
    }

    /// Protocol and sequence errors so far.
    var errorCount: UInt64 { result.counts.sequenceErrors + result.counts.messageErrors + result.frameErrors }

    private func finish() {
        // The polite end: a close frame to every open client, then up to a second for the server's
        // answering close (so the server counts a normal close, not a dropped connection).
        var closing = 0
        for slot in slots where slot.phase != .idle {
            if slot.phase == .open {
                send(slot, ClientFrame.close(.normal, reason: "load test done", maskKey: UInt32(truncatingIfNeeded: random.next())))
                slot.closingByUs = true
                closing += 1
            } else {
                drop(slot)
            }
        }
        let deadline = Clock.monotonic() + 1_000_000_000
        while closing > 0 && Clock.monotonic() < deadline {
            _ = try? loop.wait(timeoutMilliseconds: 20) { token, events in
                guard token != EventLoop.wakeToken else { return }
                let slot = self.slots[Int(token)]
                if slot.phase == .open { _ = self.readOpen(slot, limit: self.bufferSize) }
            }
            closing = slots.reduce(0) { $0 + ($1.phase == .open ? 1 : 0) }
        }
        for slot in slots where slot.phase != .idle { drop(slot) }
        publish()
        result.windowMessages = windowCounts.messages
        result.windowBytes = windowCounts.bytes
        result.latency = result.fastLatency
        result.latency.merge(result.slowLatency)
        result.cpuNanoseconds = Clock.threadCPU()
    }

    /// Closes the measurement window: what arrived in it is fixed before the clients are closed.
    private func closeWindow() {
        if measuring {
            windowCounts = (result.counts.messages - countsSinceWindow.messages, result.counts.bytes - countsSinceWindow.bytes)
        }
        for slot in slots { slot.messagesAtWindowEnd = measuring ? slot.messages : slot.messagesAtWindowStart }
        result.perClient = slots.map {
            ($0.index, $0.slow, $0.messagesAtWindowEnd - $0.messagesAtWindowStart, $0.conflations, $0.openAllWindow && $0.phase == .open)
        }
        measuring = false
    }

    // MARK: connections

    private func startConnect(_ slot: ClientSlot, _ now: UInt64) {
        let fd = ClientSocket.startConnect(host: host, port: port, receiveBuffer: slot.slow ? configuration.slowReceiveBuffer : nil)
        slot.connectStarted = now
        if fd < 0 {
            result.connectsFailed += 1
            result.connectFailures[errnoName(-fd), default: 0] += 1
            return
        }
        slot.fd = fd
        slot.phase = .connecting
        do {
            try loop.add(Descriptor(rawValue: fd), events: .writable, token: token(of: slot))
        } catch {
            ClientSocket.close(fd)
            slot.resetConnection()
            result.connectsFailed += 1
            result.connectFailures["epoll_ctl", default: 0] += 1
        }
    }

    private func connectFailed(_ slot: ClientSlot, _ reason: String) {
        result.connectsFailed += 1
        result.connectFailures[reason, default: 0] += 1
        drop(slot)
    }

    /// Closes the slot's descriptor and forgets the connection.
    private func drop(_ slot: ClientSlot) {
        if slot.fd >= 0 {
            loop.remove(Descriptor(rawValue: slot.fd))
            ClientSocket.close(slot.fd)
        }
        slot.resetConnection()
    }

    /// The server closed (or dropped) an open connection: counted by close code (unless it was the
    /// answer to our own close).
    private func disconnected(_ slot: ClientSlot, code: UInt16) {
        if !slot.closingByUs { result.disconnects[code, default: 0] += 1 }
        drop(slot)
    }

    private func token(of slot: ClientSlot) -> UInt64 { UInt64(slot.position) }

    private func watch(_ slot: ClientSlot, writes: Bool) {
        var events: IOEvents = slot.slow && slot.phase == .open ? [] : .readable
        if writes { events.insert(.writable) }
        try? loop.modify(Descriptor(rawValue: slot.fd), events: events, token: token(of: slot))
        slot.watchingWrites = writes
    }

    /// Sends `bytes`, queueing what the socket does not take now.
    private func send(_ slot: ClientSlot, _ bytes: [UInt8]) {
        guard slot.fd >= 0 else { return }
        if !slot.pending.isEmpty {
            slot.pending += bytes
            return
        }
        let n = bytes.withUnsafeBytes { ClientSocket.write(slot.fd, $0.baseAddress!, $0.count) }
        if n == bytes.count { return }
        if n < 0 && n != -Int(EAGAIN) {
            return                                            // the read side will see the failure
        }
        slot.pending = Array(bytes[max(n, 0)...])
        watch(slot, writes: true)
    }

    private func flush(_ slot: ClientSlot) {
        if !slot.pending.isEmpty {
            let n = slot.pending.withUnsafeBytes { ClientSocket.write(slot.fd, $0.baseAddress!, $0.count) }
            if n > 0 { slot.pending.removeFirst(n) }
        }
        if slot.pending.isEmpty { watch(slot, writes: false) }
    }

    // MARK: events

    private func handle(_ slot: ClientSlot, _ events: IOEvents) {
        switch slot.phase {
        case .idle:
            return
        case .connecting:
            let code = ClientSocket.pendingError(slot.fd)
            guard code == 0 else { connectFailed(slot, errnoName(code)); return }
            guard events.contains(.writable) else { return }
            slot.key = ClientHandshake.makeKey(&random)
            slot.phase = .handshaking
            watch(slot, writes: false)
            send(slot, ClientHandshake.request(for: url, key: slot.key, extraHeaders: slot.upgradeHeaders))
        case .handshaking:
            if events.contains(.writable) { flush(slot) }
            if events.contains(.readable) || events.contains(.hangup) || events.contains(.error) { readHandshake(slot) }
        case .open:
            if events.contains(.writable) { flush(slot) }
            if slot.slow {
                // A slow client reads on its own schedule; only a hang-up is handled here.
                if events.contains(.hangup) || events.contains(.error) { _ = readOpen(slot, limit: bufferSize) }
                return
            }
            if events.contains(.readable) || events.contains(.hangup) || events.contains(.error) {
                _ = readOpen(slot, limit: bufferSize)
            }
        }
    }

    private func readHandshake(_ slot: ClientSlot) {
        let n = ClientSocket.read(slot.fd, buffer, 16 * 1024)
        if n == -Int(EAGAIN) { return }
        guard n > 0 else { connectFailed(slot, n == 0 ? "closed_during_handshake" : errnoName(Int32(-n))); return }
        slot.response.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: n))
        let verdict = slot.response.withUnsafeBytes { ClientHandshake.parseResponse($0, key: slot.key) }
        switch verdict {
        case .incomplete:
            if slot.response.count > 16 * 1024 { connectFailed(slot, "oversized_response") }
        case .rejected(let status, let reason):
            if result.examples.count < 10 { note("handshake rejected: \(status) \(reason)") }
            connectFailed(slot, "http_\(status)")
        case .accepted(let headerLength, _):
            result.connectsOK += 1
            result.handshake.record(Clock.monotonic() &- slot.connectStarted)
            slot.phase = .open
            slot.budget = 0
            watch(slot, writes: false)
            send(slot, ClientFrame.text(slot.subscribe, maskKey: UInt32(truncatingIfNeeded: random.next())))
            let rest = Array(slot.response[headerLength...])
            slot.response = []
            if !rest.isEmpty {
                rest.withUnsafeBytes { process(slot, UnsafeRawBufferPointer($0), now: Clock.realtime()) }
            }
        }
    }

    /// Reads at most `limit` bytes from an open client and processes them; returns the bytes read.
    @discardableResult
    private func readOpen(_ slot: ClientSlot, limit: Int) -> Int {
        let carried = slot.carry.count
        if carried > 0 {
            slot.carry.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: carried) }
            slot.carry.removeAll(keepingCapacity: true)
        }
        let n = ClientSocket.read(slot.fd, buffer + carried, min(limit, bufferSize - carried))
        if n == -Int(EAGAIN) {
            if carried > 0 { slot.carry.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: carried)) }
            return 0
        }
        if n <= 0 {
            disconnected(slot, code: 1006)               // dropped without a close frame
            return 0
        }
        process(slot, UnsafeRawBufferPointer(start: buffer, count: carried + n), now: Clock.realtime())
        return n
    }

    /// Runs the frame parser over `bytes` and handles every event; keeps an unconsumed partial
    /// frame header in `carry`.
    private func process(_ slot: ClientSlot, _ bytes: UnsafeRawBufferPointer, now: UInt64) {
        var offset = 0
        while offset < bytes.count {
            var consumed = 0
            let event = slot.parser.next(UnsafeRawBufferPointer(rebasing: bytes[offset...]), consumed: &consumed)
            offset += consumed
            switch event {
            case .insufficientData:
                if offset < bytes.count { slot.carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
                return
            case .compressedMessage:
                // The harness offers no extension, so its parser never allows RSV1: not reached.
                result.frameErrors += 1
                drop(slot)
                return
            case .message(let isText):
                guard isText else {
                    result.counts.binaryMessages += 1
                    if result.examples.count < 10 { note("client \(slot.index): binary frame on the text API") }
                    continue
                }
                slot.parser.message.withUnsafeBytes { handleMessage(slot, $0, now: now) }
            case .ping:
                let pong = slot.parser.control.withUnsafeBytes { ClientFrame.pong($0, maskKey: UInt32(truncatingIfNeeded: random.next())) }
                send(slot, pong)
            case .pong:
                continue
            case .close(let code):
                let value = code?.rawValue ?? 1005
                if !slot.closingByUs {
                    send(slot, ClientFrame.close(code ?? .normal, reason: "", maskKey: UInt32(truncatingIfNeeded: random.next())))
                }
                disconnected(slot, code: value)
                return
            case .failure(let code, let reason):
                result.frameErrors += 1
                if result.examples.count < 10 { note("client \(slot.index): server broke the framing: \(reason) (close \(code.rawValue))") }
                send(slot, ClientFrame.close(code, reason: "", maskKey: UInt32(truncatingIfNeeded: random.next())))
                drop(slot)
                return
            }
        }
    }

    /// The per-message path: scan, count, check the seq line, record the latency.
    @inline(__always)
    private func handleMessage(_ slot: ClientSlot, _ payload: UnsafeRawBufferPointer, now: UInt64) {
        result.counts.messages &+= 1
        result.counts.bytes &+= UInt64(payload.count)
        slot.messages &+= 1
        message.reset()
        guard MessageScanner.scan(payload, into: &message) else {
            result.counts.invalidJSON += 1
            if result.examples.count < 10 {
                note("client \(slot.index): invalid JSON: \(String(decoding: payload.prefix(200), as: UTF8.self))")
            }
            return
        }
        let type = message.type
        result.counts.byType[Int(type.rawValue)] &+= 1
        if message.conflated {
            result.counts.conflatedMessages &+= 1
            slot.conflations &+= 1
        }
        switch type {
        case .quote, .trade, .status, .tradeBreak, .instrument:
            result.counts.updates &+= 1
            if message.hasRT {
                var latency: UInt64 = 0
                if now >= message.rt { latency = now &- message.rt } else { result.negativeLatencies &+= 1 }
                interval.record(latency)
                if measuring {
                    if slot.slow { result.slowLatency.record(latency) } else { result.fastLatency.record(latency) }
                }
            }
            check(slot)
        case .snapshot:
            result.counts.snapshots &+= 1
            check(slot)
        case .gap:
            check(slot)
        case .subscribed:
            slot.subscribed = true
        case .error:
            result.counts.serverErrors += 1
            if result.examples.count < 10 { note("client \(slot.index): server error: \(String(decoding: payload.prefix(200), as: UTF8.self))") }
        case .unsubscribed, .pong, .other:
            break
        }
    }

    @inline(__always)
    private func check(_ slot: ClientSlot) {
        let k = slot.position(of: message.symbol)
        guard k >= 0 else {
            result.counts.badFields += 1
            if result.examples.count < 10 { note("client \(slot.index): \(message.type.name) for \(SymbolKey.name(message.symbol)), not subscribed") }
            return
        }
        let verdict = SequenceChecker.observe(message, &slot.tracks[k], allowDepthSkips: depthSkips)
        result.counts.count(verdict)
        switch verdict {
        case .snapshot, .inOrder, .conflated, .depthFiltered, .gapNotice:
            break
        default:
            if result.examples.count < 10 {
                note("client \(slot.index) \(SymbolKey.name(message.symbol)): \(verdict) at \(message.type.name) seq \(message.seq)"
                     + (message.hasPrev ? " prev \(message.prev)" : ""))
            }
        }
    }

    private func note(_ text: String) {
        if result.examples.count < 10 { result.examples.append(text) }
    }
}

/// `ECONNREFUSED`-style names for the errnos a connect can fail with (else `errno_N`).
func errnoName(_ code: Int32) -> String {
    switch code {
    case ECONNREFUSED: "ECONNREFUSED"
    case ECONNRESET: "ECONNRESET"
    case ETIMEDOUT: "ETIMEDOUT"
    case EMFILE: "EMFILE"
    case ENFILE: "ENFILE"
    case EADDRNOTAVAIL: "EADDRNOTAVAIL"
    case ENETUNREACH: "ENETUNREACH"
    case EHOSTUNREACH: "EHOSTUNREACH"
    case EINVAL: "EINVAL"
    case EPIPE: "EPIPE"
    default: "errno_\(code)"
    }
}

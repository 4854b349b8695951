import CShim
import Foundation
import Glibc
import Sockets
import Synchronization
import System
import WebSocket

/// The in-process server of `quotecast load --self-test`: speaks just enough of the gateway's API
/// (handshake, `subscribe` → `subscribed` + snapshots, then a stream of quotes and trades with a
/// correct per-symbol `seq` line and `prev` chain) to show how fast the harness itself reads, with a
/// sender that is never the bottleneck.
///
/// How it stays fast: every (symbol, kind) message is built once as a complete server frame whose
/// `seq`, `prev` and `rt` values sit in fixed slots (12, 12 and 19 bytes), right-aligned after spaces (JSON
/// allows whitespace before a value; `rt` has 19 digits until the year 2286); sending a message is a copy plus writing two numbers' digits.
/// One thread serves every connection with blocking writes of 64 KiB batches, round robin.
public final class SelfTestSender: @unchecked Sendable {
    // @unchecked: `listener` and `symbols` are immutable; `stopFlag`/`sent` are atomics; everything
    // else belongs to the sender thread.
    /// The port it listens on (127.0.0.1).
    public let port: UInt16
    /// The symbols it offers (`--symbol-list` of the run).
    public let symbols: [String]
    /// Messages sent so far (all connections).
    public let sent = Atomic<UInt64>(0)
    /// Faults the sender injects, so tests can show the harness catches them.
    public enum Fault: Sendable {
        /// None: a clean stream.
        case none
        /// Every Nth message skips one `seq`, as if one message were lost: its `prev` names the lost
        /// one (a chain break), or, with `chain: false`, an unexplained gap.
        case skipSeq(every: Int)
        /// Every Nth message is not valid JSON (its closing brace becomes a bracket).
        case invalidJSON(every: Int)
    }

    private let fault: Fault
    private let chain: Bool
    private let listener: TCPListener
    private let stopFlag = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Listens on 127.0.0.1 with an ephemeral port; `symbols` names (S0000, S0001, …). `chain: false`
    /// leaves `prev` out, as a gateway from before issue 19 did.
    public init(symbolCount: Int = 100, fault: Fault = .none, chain: Bool = true) throws {
        self.fault = fault
        self.chain = chain
        listener = try TCPListener(binding: SocketAddress(host: "127.0.0.1", port: 0)!)
        port = listener.localAddress.port
        symbols = (0..<symbolCount).map { "S" + String(format: "%04d", $0) }
    }

    /// Starts the sender thread.
    public func start() {
        let thread = Thread { [self] in
            _ = qc_set_thread_name("qc-selftest-tx")
            serve()
            finished.signal()
        }
        thread.start()
    }

    /// Stops the sender thread and closes every connection.
    public func stop() {
        stopFlag.store(true, ordering: .relaxed)
        finished.wait()
        listener.close()
    }

    /// One connection being served.
    private final class Peer {
        let fd: Int32
        var request: [UInt8] = []
        var parser = WebSocketFrameParser(maxMessageBytes: 1 << 16, role: .server)
        var streaming = false
        var templates: [Template] = []
        var seqs: [UInt64] = []
        var next = 0
        var sentCount: UInt64 = 0
        init(fd: Int32) { self.fd = fd }
    }

    /// One prebuilt frame and where its `seq` and `rt` digits go.
    private struct Template {
        var bytes: [UInt8]
        var seqSlot: Int
        /// 0 when the frame has no `prev`.
        var prevSlot: Int
        var rtSlot: Int
        static let seqWidth = 12
        static let rtWidth = 19
        var symbol: Int
    }

    private static func frame(_ json: String) -> [UInt8] {
        let payload = Array(json.utf8)
        var out: [UInt8] = [0x81]
        if payload.count < 126 { out.append(UInt8(payload.count)) } else { out += [126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] }
        return out + payload
    }

    private static func template(_ json: String, symbol: Int) -> Template {
        let bytes = frame(json)
        let seqMarker = Array("\"seq\":".utf8), prevMarker = Array("\"prev\":".utf8), rtMarker = Array("\"rt\":".utf8)
        func find(_ marker: [UInt8]) -> Int {
            for i in 0...(bytes.count - marker.count) where Array(bytes[i..<(i + marker.count)]) == marker { return i + marker.count }
            return 0
        }
        return Template(bytes: bytes, seqSlot: find(seqMarker), prevSlot: find(prevMarker), rtSlot: find(rtMarker), symbol: symbol)
    }

    private func makeTemplates(_ names: [String], depth: Int) -> [Template] {
        let seqPad = String(repeating: " ", count: Template.seqWidth)
        let rtPad = String(repeating: " ", count: Template.rtWidth)
        let prev = chain ? ",\"prev\":" + seqPad : ""
        var out: [Template] = []
        for (i, name) in names.enumerated() {
            let bids = (0..<depth).map { "[\"\(100 + i).\(String(format: "%04d", 5000 - $0 * 100))\",\(100 * ($0 + 1))]" }.joined(separator: ",")
            let asks = (0..<depth).map { "[\"\(100 + i).\(String(format: "%04d", 5100 + $0 * 100))\",\(100 * ($0 + 1))]" }.joined(separator: ",")
            let quote = "{\"type\":\"quote\",\"symbol\":\"\(name)\",\"seq\":\(seqPad)\(prev),\"ts\":34200000000000,\"rt\":\(rtPad),\"bids\":[\(bids)],\"asks\":[\(asks)]}"
            let trade = "{\"type\":\"trade\",\"symbol\":\"\(name)\",\"seq\":\(seqPad)\(prev),\"ts\":34200000000000,\"rt\":\(rtPad),\"price\":\"\(100 + i).5100\",\"size\":100,\"side\":\"B\"}"
            // Seven quotes to one trade, about the simulator's mix.
            for _ in 0..<7 { out.append(SelfTestSender.template(quote, symbol: i)) }
            out.append(SelfTestSender.template(trade, symbol: i))
        }
        // Interleave symbols: template k of every symbol in turn.
        var interleaved: [Template] = []
        for k in 0..<8 { for s in 0..<names.count { interleaved.append(out[s * 8 + k]) } }
        return interleaved
    }

    /// Writes `value` right-aligned into the `width`-byte slot at `at` (spaces before the digits).
    @inline(__always)
    private static func put(_ value: UInt64, _ base: UnsafeMutablePointer<UInt8>, _ at: Int, _ width: Int) {
        var v = value
        var i = at + width - 1
        repeat {
            base[i] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
            v /= 10
            i -= 1
        } while v > 0
        while i >= at { base[i] = 0x20; i -= 1 }
    }

    private func serve() {
        var peers: [Peer] = []
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 17)
        defer {
            chunk.deallocate()
            for p in peers { close(p.fd) }
        }
        var scratch = [UInt8](repeating: 0, count: 4096)
        while !stopFlag.load(ordering: .relaxed) {
            if let connection = try? listener.accept() {
                peers.append(Peer(fd: connection.descriptor.rawValue))
            }
            var anyStreaming = false
            var dead: [Int] = []
            for (k, peer) in peers.enumerated() {
                if !peer.streaming {
                    let n = scratch.withUnsafeMutableBytes { recv(peer.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                    if n == 0 || (n < 0 && errno != EAGAIN) { dead.append(k); continue }
                    if n > 0 && !handshake(peer, Array(scratch[0..<n])) { dead.append(k) }
                    continue
                }
                anyStreaming = true
                // Drain whatever the client sent (pongs, close); a close ends the peer.
                let n = scratch.withUnsafeMutableBytes { recv(peer.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n == 0 { dead.append(k); continue }
                // One batch: as many whole messages as fit in 64 KiB.
                let now = Clock.realtime()
                var used = 0
                var count: UInt64 = 0
                var every = 0, skip = false
                switch fault {
                case .none: break
                case .skipSeq(let n): every = n; skip = true
                case .invalidJSON(let n): every = n
                }
                while true {
                    let t = peer.templates[peer.next]
                    if used + t.bytes.count > 1 << 16 { break }
                    t.bytes.withUnsafeBytes { (chunk + used).update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: $0.count) }
                    var prev = peer.seqs[t.symbol]
                    peer.seqs[t.symbol] &+= 1
                    peer.sentCount &+= 1
                    if every > 0 && peer.sentCount % UInt64(every) == 0 {
                        if skip {
                            prev = peer.seqs[t.symbol]  // the lost message's
                            peer.seqs[t.symbol] &+= 1
                        } else {
                            chunk[used + t.bytes.count - 1] = 0x5D
                        }
                    }
                    SelfTestSender.put(peer.seqs[t.symbol], chunk + used, t.seqSlot, Template.seqWidth)
                    if t.prevSlot != 0 { SelfTestSender.put(prev, chunk + used, t.prevSlot, Template.seqWidth) }
                    SelfTestSender.put(now, chunk + used, t.rtSlot, Template.rtWidth)
                    used += t.bytes.count
                    count += 1
                    peer.next += 1
                    if peer.next == peer.templates.count { peer.next = 0 }
                }
                if !writeAll(peer.fd, chunk, used) { dead.append(k); continue }
                sent.wrappingAdd(count, ordering: .relaxed)
            }
            for k in dead.reversed() { close(peers[k].fd); peers.remove(at: k) }
            if !anyStreaming { usleep(1000) }
        }
    }

    /// Handles bytes from a peer that is not streaming yet: the upgrade request, then `subscribe`.
    private func handshake(_ peer: Peer, _ bytes: [UInt8]) -> Bool {
        peer.request += bytes
        if peer.templates.isEmpty && !peer.request.isEmpty && peer.seqs.isEmpty {
            let text = String(decoding: peer.request, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { return peer.request.count < 16384 }
            let head = text[..<end.lowerBound]
            guard let keyLine = head.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("sec-websocket-key:") }) else { return false }
            let key = keyLine.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
            let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(WebSocketHandshake.acceptValue(forKey: key))\r\n\r\n"
            guard writeAll(peer.fd, Array(response.utf8)) else { return false }
            let consumed = text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound.samePosition(in: text.utf8)!)
            peer.request = Array(peer.request[consumed...])
            peer.seqs = [0]                                     // marks "handshake done"
        }
        // Frames: wait for the subscribe message.
        var offset = 0
        while offset < peer.request.count {
            var consumed = 0
            let event = peer.request.withUnsafeBytes { peer.parser.next(UnsafeRawBufferPointer(rebasing: $0[offset...]), consumed: &consumed) }
            offset += consumed
            switch event {
            case .insufficientData:
                peer.request = Array(peer.request[offset...])
                return true
            case .message:
                guard let object = try? JSONSerialization.jsonObject(with: Data(peer.parser.message)) as? [String: Any],
                      let names = object["symbols"] as? [String] else { return false }
                let depth = object["depth"] as? Int ?? 10
                let known = names.filter { symbols.contains($0) }
                guard !known.isEmpty else { return false }
                var opening = SelfTestSender.frame("{\"type\":\"subscribed\",\"symbols\":[\(known.map { "\"\($0)\"" }.joined(separator: ","))]}")
                for name in known {
                    opening += SelfTestSender.frame("{\"type\":\"snapshot\",\"symbol\":\"\(name)\",\"seq\":0,\"ts\":0,\"rt\":\(Clock.realtime()),\"status\":\"trading\",\"bids\":[],\"asks\":[],\"last\":null,\"volume\":0}")
                }
                guard writeAll(peer.fd, opening) else { return false }
                peer.templates = makeTemplates(known, depth: max(1, min(depth, 10)))
                peer.seqs = Array(repeating: 0, count: known.count)
                peer.streaming = true
                peer.request = []
                return true
            default:
                return false
            }
        }
        peer.request = []
        return true
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(fd, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), $0.count) }
    }

    private func writeAll(_ fd: Int32, _ base: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            let n = send(fd, base + offset, count - offset, Int32(MSG_NOSIGNAL))
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                if stopFlag.load(ordering: .relaxed) { return false }
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, 50)
                continue
            }
            return false
        }
        return true
    }
}

import Foundation
import Glibc
import Market
import MoldUDP64
import Multicast
import Sockets
import Testing

/// `quotecast feed --max-rate/--max-rate-total` (issue 24) with the real binaries on loopback
/// multicast: a feed node replaying a day far faster than its budget, two gateway nodes behind it
/// (one losing 2 % of its packets, so it recovers through retransmission), clients on both, and the
/// test's own receiver on the channels' groups that timestamps every datagram in the kernel
/// (SO_TIMESTAMPNS) and decodes every message.
@Suite(.serialized) struct BandwidthBudgetTests {
    /// One datagram as the test's receiver got it: kernel receive time (CLOCK_REALTIME ns) and bytes.
    struct Arrival {
        let time: UInt64
        let bytes: [UInt8]
    }

    /// Receives every datagram on `sockets` on its own thread until each channel ended its session or
    /// `seconds` passed; the sockets must have SO_TIMESTAMPNS on.
    final class Receiver: @unchecked Sendable {
        // @unchecked: `arrivals` is written by the receiving thread only, read after `join`.
        var arrivals: [[Arrival]]
        private let sockets: [UDPSocket]
        private var thread: Thread?
        private let finished = DispatchSemaphore(value: 0)

        init(sockets: [UDPSocket], seconds: Double) {
            self.sockets = sockets
            arrivals = Array(repeating: [], count: sockets.count)
            let t = Thread { [self] in
                receive(until: Date().addingTimeInterval(seconds))
                finished.signal()
            }
            thread = t
            t.start()
        }

        func join() { finished.wait() }

        private func receive(until deadline: Date) {
            var ended = Set<Int>()
            var buffer = [UInt8](repeating: 0, count: 70_000)
            var control = [UInt8](repeating: 0, count: 256)
            var polls = sockets.map { pollfd(fd: $0.descriptor.rawValue, events: Int16(POLLIN), revents: 0) }
            while ended.count < sockets.count && Date() < deadline {
                guard poll(&polls, nfds_t(polls.count), 50) > 0 else { continue }
                for (channel, socket) in sockets.enumerated() where polls[channel].revents != 0 {
                    while true {
                        let got: (length: Int, time: UInt64) = buffer.withUnsafeMutableBytes { data in
                            control.withUnsafeMutableBytes { cmsg in
                                var iov = iovec(iov_base: data.baseAddress, iov_len: data.count)
                                return withUnsafeMutablePointer(to: &iov) { iovp in
                                    var m = msghdr(msg_name: nil, msg_namelen: 0, msg_iov: iovp, msg_iovlen: 1,
                                                   msg_control: cmsg.baseAddress, msg_controllen: cmsg.count, msg_flags: 0)
                                    let n = recvmsg(socket.descriptor.rawValue, &m, Int32(MSG_DONTWAIT))
                                    guard n > 0 else { return (n, 0) }
                                    // cmsghdr: len (8), level (4), type (4), then the timespec (16).
                                    var offset = 0
                                    while offset + 32 <= Int(m.msg_controllen) {
                                        let len = cmsg.load(fromByteOffset: offset, as: Int.self)
                                        let level = cmsg.load(fromByteOffset: offset + 8, as: Int32.self)
                                        let type = cmsg.load(fromByteOffset: offset + 12, as: Int32.self)
                                        if level == SOL_SOCKET && type == SO_TIMESTAMPNS {
                                            let s = cmsg.load(fromByteOffset: offset + 16, as: Int.self)
                                            let ns = cmsg.load(fromByteOffset: offset + 24, as: Int.self)
                                            return (n, UInt64(s) * 1_000_000_000 + UInt64(ns))
                                        }
                                        guard len > 0 else { break }
                                        offset += (len + 7) & ~7
                                    }
                                    return (n, 0)
                                }
                            }
                        }
                        guard got.length > 0 else { break }
                        let bytes = Array(buffer[0..<got.length])
                        arrivals[channel].append(Arrival(time: got.time, bytes: bytes))
                        if got.length == MoldUDP64.headerLength,
                           UInt16(bytes[MoldUDP64.messageCountOffset]) << 8 | UInt16(bytes[MoldUDP64.messageCountOffset + 1])
                            == MoldUDP64.endOfSessionCount {
                            ended.insert(channel)
                        }
                    }
                }
            }
        }
    }

    /// The day replayed at 40 000 messages a second produces several times the 3 Mbit/s total
    /// budget (each channel also capped at 2.5 Mbit/s). Shows: both gateways serve identical streams
    /// (the lossy one recovers by retransmission, so the window holds what was sent), every trade,
    /// status change and break arrives in order, per-instrument order holds, every hole in an
    /// instrument's seqs is a quote flagged conflated that replaced quotes only, the conflation is
    /// counted in /metrics and logged once per episode, and the wire rate measured from the kernel's
    /// receive timestamps is within 2 % of the budget over every 1 s window after the first second
    /// in which the node was over budget throughout (full packets only) — never above it anywhere,
    /// and below it only in windows where the node logged that its publisher thread had not run
    /// while packets waited (`budget_unused`: on a loaded machine the thread can be off the CPU for
    /// longer than the burst holds, and that budget is lost, not made up later).
    @Test func twoGatewaysBehindABudgetGetEveryTradeAndTheWireKeepsTheBudget() throws {
        let dir = try QuotecastProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // What the feed node would publish without a budget: the feed handler's ticks over the file.
        let (file, ticks) = try FeedNodeTests.simulatedDay(in: dir, messages: 300_000, seed: 31, symbols: 12)
        let channels = 2
        var expected: [[Tick]] = Array(repeating: [], count: channels)
        for tick in ticks { expected[ChannelMap.channel(of: tick.symbol, channels: channels)].append(tick) }

        let port = UInt16.random(in: 20_000...29_000)
        let third = Int.random(in: 1...250)
        let groups = (0..<channels).map { SocketAddress(host: "239.254.\(third).\(10 + $0)", port: port)! }
        let sockets = try groups.map { try UDPSocket.multicastReceiver(group: $0, interface: "127.0.0.1") }
        defer { sockets.forEach { $0.close() } }
        for s in sockets {
            var on: Int32 = 1
            #expect(setsockopt(s.descriptor.rawValue, SOL_SOCKET, SO_TIMESTAMPNS, &on, socklen_t(MemoryLayout<Int32>.size)) == 0)
            var size: Int32 = 16 << 20  // a stalled test thread must not lose datagrams
            if setsockopt(s.descriptor.rawValue, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                _ = setsockopt(s.descriptor.rawValue, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
        }
        let receiver = Receiver(sockets: sockets, seconds: 90)

        let budget = 3_000_000.0
        let service = "127.0.0.1:\(Int(port) + 1)"
        let feed = try GatewayNodeTests.Daemon(["feed", "--feed", "file://\(file)", "--rate", "40000",
                                                "--publish", "\(groups[0])", "--channels", "\(channels)",
                                                "--service", service, "--linger", "600", "--metrics", "127.0.0.1:0",
                                                "--max-rate", "2.5M", "--max-rate-total", "3M", "--log-level", "debug"])
        defer { feed.stop() }
        #expect(feed.waitFor("event=feed_started"), "\(feed.text)")
        #expect(feed.field("feed_started", "max_rate_total") == "3000000")
        let gateway = { (extra: [String]) in
            try GatewayNodeTests.Daemon(["gateway", "--upstream", "\(groups[0])", "--channels", "\(channels)",
                                         "--service", service, "--listen", "127.0.0.1:0", "--recovery-timeout", "2000",
                                         "--client-buffer", "\(8 << 20)", "--client-buffer-max", "\(32 << 20)"] + extra)
        }
        let clean = try gateway([])
        defer { clean.stop() }
        let lossy = try gateway(["--drop", "0.02", "--drop-seed", "11"])
        defer { lossy.stop() }
        let nodes = GatewayNodeTests()
        let ports = [try nodes.port(of: clean), try nodes.port(of: lossy)]
        for p in ports { #expect(nodes.waitForHealth(p, 200), "gateway \(p) synchronized") }
        let known = nodes.symbols(ports[0])
        #expect(known.count == 12)

        let recordings = try nodes.record(ports, symbols: known, updates: 1500)
        let compared = nodes.expectIdentical(recordings, symbols: known)
        #expect(compared > 200, "compared \(compared) messages")
        #expect(recordings.allSatisfy { $0.gaps.isEmpty && $0.other.isEmpty }, "no gap: conflation holes are explained")
        let flagged = recordings[0].updates.values.joined().filter { $0.text.hasSuffix(GatewayNodeTests.conflatedMark) }.count
        #expect(flagged > 0, "clients see quotes the feed node conflated")
        #expect(nodes.metric(ports[1], "quotecast_upstream_recoveries_total") > 0)
        #expect(nodes.metric(ports[1], "quotecast_upstream_unrecovered_gaps_total") == 0)

        // Once every channel ended its session (the node lingers with its metrics up: 600 s, stopped by
        // the `defer`; with 5 s a loaded run once found it gone, "connect: Connection refused").
        receiver.join()
        let metricsText = try #require(feed.field("feed_started", "metrics"))
        let metricsAddress = try #require(SocketAddress(parsing: metricsText))
        let metrics = try FeedNodeTests.metrics(from: metricsAddress)
        let conflatedCounted = (0..<channels).map { metrics["quotecast_publish_quotes_conflated_total{channel=\"\($0)\"}"] ?? 0 }

        // Every message on the wire, decoded: holes only onto conflated quotes that replaced quotes,
        // and every other tick present, in order.
        var holes = 0
        for channel in 0..<channels {
            var sequence: UInt64 = 1
            var received: [Tick] = []
            for arrival in receiver.arrivals[channel] {
                try arrival.bytes.withUnsafeBytes { raw in
                    let packet = try MoldUDP64Packet(raw)
                    guard case .messages = packet.kind else { return }
                    #expect(packet.sequenceNumber == sequence, "channel \(channel): the test's receiver lost nothing")
                    sequence = packet.sequenceNumber + UInt64(packet.announcedBlocks)
                    _ = packet.forEachBlock { block in
                        if case .success(.tick(let tick)) = NormalizedMessage.decode(block.message.base, length: block.message.length) {
                            received.append(tick)
                        }
                    }
                }
            }
            let events = { (ticks: [Tick]) in ticks.filter { $0.kind != .quote }.map { t -> String in
                var t = t
                t.receiveTime = 0
                return TickJSON.string(t)
            } }
            #expect(events(received) == events(expected[channel]), "channel \(channel): every trade, status and break, in order")
            var bySymbolSeq: [Symbol: [UInt64: Tick]] = [:]
            for t in expected[channel] { bySymbolSeq[t.symbol, default: [:]][t.seq] = t }
            var last: [Symbol: UInt64] = [:]
            var channelHoles = 0
            for t in received {
                let previous = last[t.symbol] ?? 0
                #expect(t.seq > previous, "\(t.symbol): per-instrument order")
                last[t.symbol] = t.seq
                guard let original = bySymbolSeq[t.symbol]?[t.seq] else { Issue.record("\(t.symbol) seq \(t.seq) was never produced"); continue }
                var same = t
                same.receiveTime = 0
                same.changedLevel = original.changedLevel
                same.flags = original.flags
                #expect(TickJSON.string(same) == TickJSON.string(original), "\(t.symbol) seq \(t.seq): the latest state")
                if t.seq > previous + 1 {
                    channelHoles += Int(t.seq - previous - 1)
                    #expect(t.kind == .quote && t.flags & Tick.Flags.conflated != 0, "\(t.symbol): a hole before seq \(t.seq) is flagged")
                    var shallowest = original.changedLevel
                    for s in (previous + 1)..<t.seq {
                        let skipped = bySymbolSeq[t.symbol]?[s]
                        #expect(skipped?.kind == .quote, "\(t.symbol) seq \(s): only quotes are conflated")
                        shallowest = min(shallowest, skipped?.changedLevel ?? 0)
                    }
                    #expect(t.changedLevel == shallowest, "\(t.symbol) seq \(t.seq): the shallowest change it stands for")
                }
            }
            #expect(channelHoles > 0 && Double(channelHoles) == conflatedCounted[channel],
                    "channel \(channel): \(channelHoles) quotes conflated on the wire, \(conflatedCounted[channel]) counted")
            holes += channelHoles
        }
        #expect(holes > 1_000, "the budget was well below the replay: \(holes) quotes conflated")

        // The wire rate, all channels together, over consecutive 1 s windows from one second after the
        // first datagram to one second before the last message packet (the end drains what was held back).
        let all = receiver.arrivals.joined().sorted { $0.time < $1.time }
        try #require(all.allSatisfy { $0.time > 0 }, "kernel timestamps")
        let messagePackets = all.filter { $0.bytes.count > MoldUDP64.headerLength }
        let first = try #require(all.first), lastMessage = try #require(messagePackets.last)
        let start = first.time + 1_000_000_000
        let end = lastMessage.time - 1_000_000_000
        // Only windows in which the node was over budget throughout count: a channel that is behind
        // sends full packets only (longer than the payload size less the longest message and its
        // length field), so a shorter message packet means the node had caught up (on a loaded
        // machine the replay itself can fall below the budget for a while).
        let full = MoldUDP64.defaultMaxPayloadSize - NormalizedMessage.maxLength - 2
        var rates: [Double] = []
        var skipped: [Double] = []
        var windowStarts: [UInt64] = []
        var windowStart = start
        while windowStart + 1_000_000_000 <= end {
            let inWindow = all.filter { $0.time >= windowStart && $0.time < windowStart + 1_000_000_000 }
            let bytes = inWindow.reduce(0) { $0 + WireRateBucket.wireBytes(datagram: $1.bytes.count) }
            if inWindow.allSatisfy({ $0.bytes.count > full }) {
                rates.append(Double(bytes * 8))
                windowStarts.append(windowStart)
            } else {
                skipped.append(Double(bytes * 8))
            }
            windowStart += 1_000_000_000
        }
        print("budget windows (bit/s): \(rates.map { Int($0) }); not over budget throughout: \(skipped.map { Int($0) })")
        #expect(rates.count >= 3, "several whole windows over budget: \(rates), others \(skipped)")
        #expect((rates + skipped).allSatisfy { $0 <= budget * 1.02 }, "never over the budget: \(rates) \(skipped)")
        // Below the budget only where the node says its publisher did not run while packets waited
        // (`budget_unused`, logged at debug from 1 ms: a loaded host); everywhere else within 2 %.
        let stalls: [(from: UInt64, to: UInt64)] = feed.text.split(separator: "\n").filter { $0.contains("event=budget_unused ") }.compactMap { line in
            let fields = Dictionary(line.split(separator: " ").compactMap { f -> (String, String)? in
                let kv = f.split(separator: "=", maxSplits: 1)
                return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
            }, uniquingKeysWith: { a, _ in a })
            guard let at = fields["at_ns"].flatMap({ UInt64($0) }), let ms = fields["lost_ms"].flatMap({ Double($0) }) else { return nil }
            return (at - UInt64(ms * 1e6) - 2_000_000, at + 2_000_000)
        }
        var checked = 0
        for (i, rate) in rates.enumerated() {
            let from = windowStarts[i], to = from + 1_000_000_000
            if stalls.contains(where: { $0.to > from && $0.from < to }) { continue }
            checked += 1
            #expect(abs(rate - budget) <= 0.02 * budget, "window \(i): \(Int(rate)) bit/s against \(Int(budget)) (all: \(rates.map { Int($0) }))")
        }
        print("budget: \(checked) of \(rates.count) windows without a stall of the publisher (\(stalls.count) stalls logged)")
        // On a machine this loaded every window may hold a stall (the flake hunt saw 103 in 13 s at load
        // 8 and no window left to check): the 2 % precision is then shown where the CPU is there for it
        // (`quotecast-bench mcast.budget`, `scripts/multihost-check` case 5 in CI). What no load can
        // excuse: the budget used, not just kept — a limiter sending at a fraction of it fails here.
        let sortedRates = rates.sorted()
        #expect(sortedRates.isEmpty || sortedRates[sortedRates.count / 2] >= 0.5 * budget,
                "the node sent at a fraction of its budget: \(rates.map { Int($0) })")

        // One over_budget line per episode, and its metrics.
        let episodes = feed.text.split(separator: "\n").filter { $0.contains("event=over_budget ") }.count
        let counted = (0..<channels).map { metrics["quotecast_publish_over_budget_episodes_total{channel=\"\($0)\"}"] ?? 0 }.reduce(0, +)
        #expect(episodes >= 1 && Double(episodes) == counted, "\(episodes) over_budget lines, \(counted) episodes counted")
        #expect((metrics["quotecast_publish_budget_bits_per_second{channel=\"all\"}"] ?? 0) == budget)
        #expect((0..<channels).allSatisfy { (metrics["quotecast_publish_over_budget_seconds_total{channel=\"\($0)\"}"] ?? 0) > 1 })
        #expect((0..<channels).allSatisfy { (metrics["quotecast_publish_pacing_delay_max_seconds{channel=\"\($0)\"}"] ?? 0) > 0 })
    }

    @Test(arguments: [
        (["--max-rate", "fast"], "--max-rate: expected bits per second"),
        (["--max-rate", "10"], "--max-rate: expected bits per second"),
        (["--max-rate-total", "3X"], "--max-rate-total: expected bits per second"),
        (["--max-rate", "2M", "--burst", "0"], "--burst"),
    ])
    func badBudgetFlagsExit2NamingTheFlag(_ args: [String], _ message: String) throws {
        let result = try QuotecastProcess.run(["feed", "--publish", "239.255.0.1:9000", "--service", "127.0.0.1:0"] + args)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}

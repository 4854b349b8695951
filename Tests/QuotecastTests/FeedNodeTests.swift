import Foundation
import Glibc
import ITCH
import Market
import Multicast
import OrderBook
import Sockets
import Testing

/// `quotecast feed` from a gateway's side, on loopback multicast: every tick of a day-file arrives
/// once, in order, on its symbol's channel, with hole-free sequence numbers and the end of session;
/// a snapshot taken afterwards holds each instrument's state at the channel's next sequence number;
/// a retransmission request is answered with the very messages first sent.
@Suite struct FeedNodeTests {
    @Test func publishesEveryTickOnItsChannelAndServesSnapshotsAndRetransmissions() throws {
        let dir = try QuotecastProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("day.itch").path
        let made = try QuotecastProcess.run(["simulate", "--output", file, "--messages", "20000", "--seed", "23", "--symbols", "30"])
        #expect(made.status == 0, "\(made.stderr)")

        // What the feed node must publish: the feed handler's ticks over the same file.
        let channels = 3
        var expected: [[String]] = Array(repeating: [], count: channels)
        var states = InstrumentStates()
        let mapped = try MappedFile(path: file)
        let engine = BookEngine()
        let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
        defer { out.deallocate() }
        for message in DayFileReader(bytes: mapped.bytes) {
            let n = engine.apply(message.base, length: message.length, receiveTime: 0, into: out)
            for i in 0..<n {
                states.apply(out[i])
                expected[ChannelMap.channel(of: out[i].symbol, channels: channels)].append(TickJSON.string(out[i]))
            }
        }

        #expect(expected.allSatisfy { $0.count > 1_000 }, "every channel carries a share of the ticks")

        // Our own groups and port, joined before the feed node starts.
        let port = UInt16.random(in: 20_000...29_000)
        let third = Int.random(in: 1...250)
        let groups = (0..<channels).map { SocketAddress(host: "239.255.\(third).\(10 + $0)", port: port)! }
        let sockets = try groups.map { try UDPSocket.multicastReceiver(group: $0, interface: "127.0.0.1") }
        defer { sockets.forEach { $0.close() } }

        let log = dir.appendingPathComponent("feed.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let feed = Process()
        feed.executableURL = QuotecastProcess.binary
        feed.arguments = ["feed", "--feed", "file://\(file)", "--rate", "50000", "--publish", "\(groups[0])",
                          "--channels", "\(channels)", "--service", "127.0.0.1:0", "--linger", "3"]
        feed.standardError = try FileHandle(forWritingTo: log)
        feed.standardOutput = FileHandle.nullDevice
        try feed.run()
        defer { if feed.isRunning { feed.terminate(); feed.waitUntilExit() } }
        func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        #expect(QuotecastProcess.waitFor("event=feed_started", in: logText, timeout: 20), "\(logText())")
        let serviceField = try #require(logText().split(separator: " ").first { $0.hasPrefix("service=") })
        let service = try #require(SocketAddress(parsing: String(serviceField.dropFirst("service=".count))))

        // Receive until every channel ended its session (bounded).
        var packets: [[[UInt8]]] = Array(repeating: [], count: channels)
        var ended = Set<Int>()
        let batch = DatagramBatch(capacity: 64, stride: 2048)
        let deadline = Date().addingTimeInterval(30)
        while ended.count < channels && Date() < deadline {
            var got = false
            for (channel, socket) in sockets.enumerated() {
                let n = try socket.receive(into: batch)
                for i in 0..<n {
                    guard let d = batch.datagram(i) else { continue }
                    got = true
                    let packet = try MoldUDP64Packet(d)
                    if packet.kind == .endOfSession { ended.insert(channel) }
                    if case .messages = packet.kind { packets[channel].append(Array(d)) }
                }
            }
            if !got { _ = UDPSocket.waitReadable(sockets, timeoutMilliseconds: 50) }
        }
        #expect(ended.count == channels, "end of session on every channel: \(logText())")

        var sessions: [MoldUDP64Session] = []
        var nextSequence: [UInt64] = []
        for channel in 0..<channels {
            var sequence: UInt64 = 1
            var received: [String] = []
            for bytes in packets[channel] {
                try bytes.withUnsafeBytes { raw in
                    let packet = try MoldUDP64Packet(raw)
                    if sequence == 1 { sessions.append(packet.session) }
                    #expect(packet.sequenceNumber == sequence, "channel \(channel): no hole, no repeat")
                    sequence = packet.sequenceNumber + UInt64(packet.announcedBlocks)
                    _ = packet.forEachBlock { block in
                        if case .success(.tick(var tick)) = NormalizedMessage.decode(block.message.base, length: block.message.length) {
                            #expect(tick.receiveTime > 0, "rt travels with the tick")
                            tick.receiveTime = 0
                            received.append(TickJSON.string(tick))
                        }
                    }
                }
            }
            nextSequence.append(sequence)
            #expect(received.count == expected[channel].count, "channel \(channel)")
            #expect(received == expected[channel], "channel \(channel): the same ticks in the same order")
        }
        try #require(sessions.count == channels)

        // Snapshot during the linger: the state of every instrument at each channel's next sequence.
        let tcp = try TCPConnection.connect(to: service, blocking: true)
        try tcp.writeAll(SnapshotProtocol.request(channels: Array(0..<channels)))
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(tcp.descriptor.rawValue, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            answer += chunk[0..<n]
        }
        tcp.close()
        let (snapshots, consumed) = try SnapshotProtocol.decode(answer)
        #expect(consumed == answer.count && snapshots.count == channels)
        for snapshot in snapshots {
            #expect(snapshot.session == sessions[snapshot.channel])
            #expect(snapshot.nextSequence == nextSequence[snapshot.channel])
            for var state in snapshot.states {
                state.receiveTime = 0
                var mine = try #require(states.state(locate: state.locate))
                mine.receiveTime = 0
                #expect(TickJSON.string(state) == TickJSON.string(mine))
                #expect(state.bids[0] == mine.bids[0] && state.asks[0] == mine.asks[0])
            }
        }
        #expect(snapshots.map(\.states.count).reduce(0, +) == states.states.count)

        // Retransmission: messages 5..<15 of channel 1, exactly as first sent.
        let requester = try UDPSocket.unicast(binding: SocketAddress(host: "127.0.0.1", port: 0)!)
        defer { requester.close() }
        var request = [UInt8](repeating: 0, count: MoldUDP64.requestLength)
        let length = request.withUnsafeMutableBytes {
            MoldUDP64Request(session: sessions[1], sequenceNumber: 5, count: 10).encode(into: $0.baseAddress!)
        }
        try request.withUnsafeBytes { _ = try requester.send(UnsafeRawBufferPointer(rebasing: $0[0..<length]), to: service) }
        var resent: [[UInt8]] = []
        let until = Date().addingTimeInterval(5)
        while resent.count < 10 && Date() < until {
            let n = try requester.receive(into: batch)
            for i in 0..<n {
                guard let d = batch.datagram(i) else { continue }
                let packet = try MoldUDP64Packet(d)
                _ = packet.forEachBlock { resent.append(Array(UnsafeRawBufferPointer(start: $0.message.base, count: $0.message.length))) }
            }
            if n == 0 { _ = UDPSocket.waitReadable([requester], timeoutMilliseconds: 50) }
        }
        var original: [[UInt8]] = []
        for bytes in packets[1] {
            try bytes.withUnsafeBytes { raw in
                let packet = try MoldUDP64Packet(raw)
                _ = packet.forEachBlock { block in
                    if block.sequenceNumber >= 5 && block.sequenceNumber < 15 {
                        original.append(Array(UnsafeRawBufferPointer(start: block.message.base, count: block.message.length)))
                    }
                }
            }
        }
        #expect(resent.count == 10 && resent == original)

        // The linger ends and the node exits cleanly.
        let exitBy = Date().addingTimeInterval(15)
        while feed.isRunning && Date() < exitBy { usleep(50_000) }
        #expect(!feed.isRunning && feed.terminationStatus == 0, "\(logText())")
    }

    @Test(arguments: [
        ([String](), "--publish GROUP:PORT is required"),
        (["--publish", "10.0.0.1:9000"], "--publish: expected a multicast"),
        (["--publish", "239.255.0.1:9000", "--channels", "0"], "--channels"),
        (["--publish", "239.255.255.250:9000", "--channels", "20"], "--channels: 20 channels"),
        (["--publish", "239.255.0.1:9000", "--interface", "nope"], "--interface"),
        (["--publish", "239.255.0.1:9000", "--service", "nope"], "--service"),
    ])
    func badFlagsExit2NamingTheFlag(_ args: [String], _ message: String) throws {
        let result = try QuotecastProcess.run(["feed"] + args)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}

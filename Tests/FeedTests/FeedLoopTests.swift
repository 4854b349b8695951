import Fanout
import Foundation
import ITCH
import Market
import MoldUDP64
import OrderBook
import PacketCapture
import Simulator
import Sockets
import System
import Testing
@testable import Feed

/// Messages held in memory, as a source the feed thread paces (what a day-file or the simulator is).
struct ArraySource: MessageSource {
    let bytes: [[UInt8]]
    var index = 0
    mutating func next() -> FramedMessage? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index].withUnsafeBytes { FramedMessage(base: $0.baseAddress!, length: $0.count) }
    }
}

/// A made-up exchange whose every message or datagram is one instrument's whole state (as the Korea
/// Exchange's quote records are): byte 0 is the instrument, bytes 1... its price. One tick each, and
/// a record of what the feed thread handed over, so the loop's side of the interface is checked
/// without any real exchange.
struct RecordAdapter: ExchangeAdapter, ~Copyable {
    var streams: [Int] = []
    var oversize = 0
    var serviced = 0
    var applied = 0

    /// One message: the loop checks the message limit before each.
    mutating func apply(_ message: FramedMessage, receiveTime: UInt64, into ticks: inout TickSink) {
        write(message.bytes, receiveTime: receiveTime, into: &ticks)
    }

    /// One datagram, one record: an adapter stops applying once the limit is reached.
    mutating func receive(_ datagram: UnsafeRawBufferPointer, stream: Int, now: UInt64, receiveTime: UInt64,
                          into ticks: inout TickSink) {
        streams.append(stream)
        guard ticks.acceptsMessages else { return }
        write(datagram, receiveTime: receiveTime, into: &ticks)
    }

    mutating func receiveOversize(stream: Int) { oversize += 1 }
    mutating func service(now: UInt64, into ticks: inout TickSink, input: MulticastInput) { serviced += 1 }
    var idleWaitMilliseconds: Int32 { 5 }
    var health: FeedHealth { .live }
    func publish(to counters: FeedCounters) {}
    func instrumentState(locate: UInt16, into tick: inout Tick) -> Bool { false }

    private mutating func write(_ bytes: UnsafeRawBufferPointer, receiveTime: UInt64, into ticks: inout TickSink) {
        guard bytes.count >= 2 else { return }
        applied += 1
        var tick = Tick()
        tick.locate = UInt16(bytes[0])
        tick.seq = UInt64(applied)
        tick.kind = .status
        tick.receiveTime = receiveTime
        tick.tradePrice = UInt32(bytes[1])
        ticks.write(tick)
        ticks.countMessage()
    }
}

/// The feed thread's loop against the adapter interface: messages and datagrams in, ticks in the
/// ring, counts and the end published.
@Suite struct FeedLoopTests {
    /// Every tick a gating reader gets until the ring is closed (a generous 5 minutes at most).
    static func drain(_ ring: BroadcastRing) -> [Tick] {
        var reader = ring.makeReader(0)
        var tick = Tick()
        var out: [Tick] = []
        let deadline = Clock.monotonic() + 300_000_000_000
        while Clock.monotonic() < deadline {
            switch reader.next(into: &tick, timeoutMilliseconds: 1_000) {
            case .tick: out.append(tick)
            case .empty: continue
            case .closed: return out
            case .lapped: Issue.record("a gating reader was lapped"); return out
            }
        }
        Issue.record("the ring was not closed within 5 minutes")
        return out
    }

    @Test func messagesAreAppliedUpToTheLimitThenTheRingIsClosed() throws {
        let ring = try BroadcastRing(RingConfiguration(capacity: 1024, readers: [.gating]))
        let counters = FeedCounters()
        var source = ArraySource(bytes: (0..<500).map { [UInt8($0 % 7), UInt8($0 % 200)] })
        var adapter = RecordAdapter()
        let reader = TickCollector(ring)
        FeedLoop(rate: 0, messageLimit: 300).run(messages: &source, adapter: &adapter, writer: ring.makeWriter(), ring: ring,
                                                  stop: StopFlag(), counters: counters)
        let ticks = reader.wait()
        #expect(ticks.count == 300 && adapter.applied == 300)
        #expect(ticks.map(\.seq) == Array(1...300))
        #expect(counters.messages == 300 && counters.ticks == 300 && counters.ringRefusals == 0)
        #expect(counters.finished && counters.health == .ended)
    }

    @Test func aSourceThatRunsOutEndsTheFeed() throws {
        let ring = try BroadcastRing(RingConfiguration(capacity: 1024, readers: [.gating]))
        let counters = FeedCounters()
        var source = ArraySource(bytes: (0..<40).map { [1, UInt8($0)] })
        var adapter = RecordAdapter()
        let reader = TickCollector(ring)
        FeedLoop(rate: 0).run(messages: &source, adapter: &adapter, writer: ring.makeWriter(), ring: ring, stop: StopFlag(),
                              counters: counters)
        #expect(reader.wait().map(\.tradePrice) == (0..<40).map { UInt32($0) })
        #expect(counters.messages == 40 && counters.finished && counters.health == .ended)
    }

    @Test func datagramsFromEachStreamReachTheAdapterNumberedByTheirSocket() throws {
        let port = UInt16.random(in: 34_000...35_000)
        let groups = [SocketAddress(host: "239.255.43.1", port: port)!, SocketAddress(host: "239.255.43.2", port: port)!]
        let input = try MulticastInput(groups: groups, interface: "127.0.0.1", receiveBuffer: 1 << 20, unicast: false,
                                       maxDatagram: 16)
        defer { input.close() }
        let ring = try BroadcastRing(RingConfiguration(capacity: 1024, readers: [.gating]))
        let counters = FeedCounters()
        let reader = TickCollector(ring)
        let sender = try UDPSocket.multicastSender(interface: "127.0.0.1")
        defer { sender.close() }
        // Sent before the loop starts: the sockets hold them; the loop stops at the limit (6).
        for i in 0..<4 { _ = try [UInt8(1), UInt8(i)].withUnsafeBytes { try sender.send($0, to: groups[0]) } }
        _ = try [UInt8](repeating: 9, count: 40).withUnsafeBytes { try sender.send($0, to: groups[1]) }
        for i in 0..<2 { _ = try [UInt8(2), UInt8(i)].withUnsafeBytes { try sender.send($0, to: groups[1]) } }
        var adapter = RecordAdapter()
        try FeedLoop(rate: 0, messageLimit: 6).run(input: input, adapter: &adapter, writer: ring.makeWriter(), ring: ring,
                                                    stop: StopFlag(), counters: counters)
        let ticks = reader.wait()
        #expect(ticks.count == 6)
        #expect(adapter.streams.filter { $0 == 0 }.count == 4 && adapter.streams.filter { $0 == 1 }.count == 2)
        #expect(ticks.filter { $0.locate == 1 }.map(\.tradePrice) == [0, 1, 2, 3])
        #expect(adapter.oversize == 1)
        #expect(counters.messages == 6 && counters.finished)
    }

    @Test func aStopEndsTheLiveLoopAndTheTimersRanMeanwhile() throws {
        let input = try MulticastInput(groups: [SocketAddress(host: "239.255.43.3", port: 0)!], interface: "127.0.0.1",
                                       receiveBuffer: 1 << 16, unicast: false, maxDatagram: 16)
        defer { input.close() }
        let ring = try BroadcastRing(RingConfiguration(capacity: 64, readers: [.gating]))
        let counters = FeedCounters()
        let stop = StopFlag()
        let reader = TickCollector(ring)
        let stopper = NamedThread(name: "qc-test-stop") {
            // Bounded: the loop wakes every 5 ms; give it a moment of idle rounds, then stop it.
            let until = Clock.monotonic() + 100_000_000
            while Clock.monotonic() < until { usleep(5_000) }
            stop.raise()
        }
        var adapter = RecordAdapter()
        try FeedLoop(rate: 0).run(input: input, adapter: &adapter, writer: ring.makeWriter(), ring: ring, stop: stop,
                                  counters: counters)
        stopper.join()
        #expect(reader.wait().isEmpty)
        #expect(adapter.serviced > 0)
        #expect(counters.finished && counters.health == .live)   // stopped, not ended
    }

    // MARK: the Nasdaq ITCH adapter

    static let dayMessages: [[UInt8]] = {
        var out: [[UInt8]] = []
        generate(configuration: SimulatorConfiguration(seed: 5, symbols: .generated(count: 30)), messages: 20_000) { out.append(Array($0)) }
        return out
    }()

    /// The simulator's day as MoldUDP64 packets in a pcap, each packet on line A and again on line B.
    static func bothLinesPcap(_ messages: [[UInt8]]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotecast-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("day.pcap").path
        let writer = try PcapWriter(path: path)
        var buffer = [UInt8](repeating: 0, count: 1400)
        var next: UInt64 = 1
        var index = 0
        while index < messages.count {
            try buffer.withUnsafeMutableBytes { raw in
                var builder = MoldUDP64PacketBuilder(buffer: raw, session: MoldUDP64Session("DAY")!, firstSequenceNumber: next)
                while index < messages.count, messages[index].withUnsafeBytes({ builder.append($0) }) == .appended { index += 1 }
                next = builder.nextSequenceNumber
                for line in ["239.192.0.1:26400", "239.192.0.2:26400"] {
                    try writer.write(payload: builder.packet, timestamp: 1, source: IPv4Endpoint("10.0.0.1:1")!,
                                     destination: IPv4Endpoint(line)!)
                }
            }
        }
        try writer.close()
        return path
    }

    /// Ticks with the receive time (which differs from run to run) set to 0.
    static func withoutReceiveTime(_ ticks: [Tick]) -> [Tick] {
        ticks.map { var t = $0; t.receiveTime = 0; return t }
    }

    @Test func aCaptureOfBothLinesGivesTheSameTicksAsTheMessagesInOrder() throws {
        let counters = (FeedCounters(), FeedCounters())
        let ordered = try BroadcastRing(RingConfiguration(capacity: 1 << 16, readers: [.gating]))
        let orderedReader = TickCollector(ordered)
        var source = ArraySource(bytes: Self.dayMessages)
        var byMessage = NasdaqITCHAdapter(input: .orderedMessages)
        FeedLoop(rate: 0).run(messages: &source, adapter: &byMessage, writer: ordered.makeWriter(), ring: ordered,
                              stop: StopFlag(), counters: counters.0)
        let expected = Self.withoutReceiveTime(orderedReader.wait())

        let path = try Self.bothLinesPcap(Self.dayMessages)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let captured = try BroadcastRing(RingConfiguration(capacity: 1 << 16, readers: [.gating]))
        let capturedReader = TickCollector(captured)
        var byDatagram = NasdaqITCHAdapter(input: .capture)
        FeedLoop(rate: 0).run(capture: try PcapReader(path: path), adapter: &byDatagram, writer: captured.makeWriter(),
                              ring: captured, stop: StopFlag(), counters: counters.1)
        let got = Self.withoutReceiveTime(capturedReader.wait())

        #expect(expected.count > 10_000)
        #expect(got.count == expected.count)
        #expect(zip(got, expected).allSatisfy { $0.hasSameContent(as: $1) })
        #expect(counters.0.messages == Self.dayMessages.count && counters.1.messages == Self.dayMessages.count)
        // Every instrument's state, asked of the adapter, is the last tick's.
        var state = Tick(), last = [UInt16: Tick]()
        for t in expected { last[t.locate] = t }
        for (locate, tick) in last {
            #expect(byDatagram.instrumentState(locate: locate, into: &state))
            #expect(state.seq == tick.seq && state.symbol == tick.symbol)
        }
        #expect(!byDatagram.instrumentState(locate: 60_000, into: &state))
    }
}

/// A gating reader of ring reader 0 on its own thread, collecting every tick until the ring closes.
final class TickCollector: @unchecked Sendable {
    // @unchecked: `ticks` is written by the reader thread only, and read after `join`.
    private var ticks: [Tick] = []
    private var thread: NamedThread?

    init(_ ring: BroadcastRing) {
        thread = NamedThread(name: "qc-test-read") { [self] in ticks = FeedLoopTests.drain(ring) }
    }

    /// Waits for the ring to close and returns what was read.
    func wait() -> [Tick] {
        thread?.join()
        return ticks
    }
}

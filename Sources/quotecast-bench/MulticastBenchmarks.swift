import Fanout
import Feed
import Foundation
import ITCH
import MoldUDP64
import Simulator
import Sockets
import Synchronization
import System

/// Multicast receive on loopback: the simulator's day packed into MoldUDP64 packets (1400 bytes) in
/// memory, sent as fast as `sendmmsg` goes on a loopback multicast group, received by the feed
/// handler's multicast source (`recvmmsg`, arbitration, books, ring) — `mcast.receive`, ITCH messages
/// per second with zero loss — and, beside it in the same run, by a plain receiver that only counts
/// the datagrams (`mcast.loopback`, the same messages per second: the limit of the loopback itself).
/// Both receivers ask for a 256 MiB receive buffer (granted as root via SO_RCVBUFFORCE; the granted
/// size is printed), so a descheduled receiver does not lose packets: a run with any loss fails.
let multicastSuite: [Benchmark] = [
    Benchmark(name: "mcast.receive") { multicastReceiveBenchmark() },
]

private final class PacketStore: @unchecked Sendable {
    // @unchecked: filled once before the sending thread starts, then only read.
    var pointers: [UnsafeRawPointer?] = []
    var lengths: [UInt32] = []
    var storage: UnsafeMutableRawPointer
    var messages = 0

    init(messages: Int) {
        let payload = MoldUDP64.defaultMaxPayloadSize
        // Generous: at least one message per 64 bytes of payload.
        let capacityPackets = messages / 20 + 16
        storage = .allocate(byteCount: capacityPackets * payload, alignment: 64)
        var used = 0
        var builder = MoldUDP64PacketBuilder(buffer: UnsafeMutableRawBufferPointer(start: storage, count: payload),
                                             session: MoldUDP64Session("BENCH")!)
        func close() {
            pointers.append(UnsafeRawPointer(storage + used * payload))
            lengths.append(UInt32(builder.byteCount))
            used += 1
            builder = MoldUDP64PacketBuilder(buffer: UnsafeMutableRawBufferPointer(start: storage + used * payload, count: payload),
                                             session: MoldUDP64Session("BENCH")!, firstSequenceNumber: builder.nextSequenceNumber)
        }
        generate(configuration: SimulatorConfiguration(seed: 1), messages: messages) { m in
            if builder.append(m) != .appended {
                close()
                _ = builder.append(m)
            }
        }
        if !builder.isEmpty { close() }
        self.messages = messages
    }

    deinit { storage.deallocate() }

    /// Sends every packet to `group` from a new sender socket, in batches of 64.
    func send(to group: SocketAddress) {
        let socket = try! UDPSocket.multicastSender(interface: "127.0.0.1")
        defer { socket.close() }
        var i = 0
        pointers.withUnsafeBufferPointer { p in
            lengths.withUnsafeBufferPointer { l in
                while i < p.count {
                    let k = min(64, p.count - i)
                    i += (try? socket.send(p.baseAddress! + i, lengths: l.baseAddress! + i, count: k, to: group)) ?? 0
                }
            }
        }
    }
}

private func multicastReceiveBenchmark() -> [BenchmarkResult] {
    let messages = isOptimizedBuild ? 2_000_000 : 100_000
    let runs = isOptimizedBuild ? 5 : 1
    let store = PacketStore(messages: messages)
    let rcvbuf = 256 << 20
    var feedRates: [Double] = []
    var feedCPURates: [Double] = []
    var plainRates: [Double] = []
    for run in 0..<runs {
        // Distinct groups per run, so a straggler from the previous run cannot be counted.
        let port = UInt16(41_000 + run)
        // 1. The feed handler's multicast source, through the books into a ring.
        do {
            let group = SocketAddress(host: "239.255.90.\(1 + run)", port: port)!
            var configuration = MoldUDP64FeedConfiguration(lineA: group)
            configuration.sequencing.receiveBuffer = rcvbuf
            let granted = Atomic<Int>(0)
            let feed = FeedLoop(rate: 0, messageLimit: messages)
            let ring = try! BroadcastRing(RingConfiguration(capacity: 65_536, readers: [.nonGating]))
            let counters = FeedCounters()
            let stop = StopFlag()
            let cpu = Atomic<UInt64>(0)
            let receiver = NamedThread(name: "bench-recv") { [configuration] in
                let before = Clock.threadCPU()
                guard let input = try? configuration.openInput() else { ring.close(); return }
                defer { input.close() }
                var adapter = NasdaqITCHAdapter(input: .lines(configuration, input)) { event in
                    if case .joined(_, _, let bytes, _) = event { granted.store(bytes, ordering: .relaxed) }
                }
                try? feed.run(input: input, adapter: &adapter, writer: ring.makeWriter(), ring: ring, stop: stop, counters: counters)
                cpu.store(Clock.threadCPU() - before, ordering: .relaxed)
            }
            while granted.load(ordering: .relaxed) == 0 { usleep(1000) }
            if run == 0 { printError("mcast.receive: receive buffer granted \(granted.load(ordering: .relaxed)) bytes") }
            let start = Clock.monotonic()
            store.send(to: group)
            let deadline = start + 20_000_000_000
            while !counters.finished && Clock.monotonic() < deadline { usleep(200) }
            let elapsed = Clock.monotonic() - start
            stop.raise()
            receiver.join()
            let t = counters.receiver
            if counters.messages != messages || t.gaps != 0 {
                printError("mcast.receive: run \(run) lost packets (applied \(counters.messages) of \(messages), gaps \(t.gaps)): not counted")
            } else {
                feedRates.append(Double(messages) / (Double(elapsed) / 1e9))
                feedCPURates.append(Double(messages) / (Double(max(cpu.load(ordering: .relaxed), 1)) / 1e9))
            }
        }
        // 2. A plain receiver of the same packets: recvmmsg and count.
        do {
            let group = SocketAddress(host: "239.255.91.\(1 + run)", port: port)!
            let socket = try! UDPSocket.multicastReceiver(group: group, interface: "127.0.0.1", receiveBuffer: rcvbuf)
            let expected = store.pointers.count
            let received = Atomic<Int>(0)
            let done = StopFlag()
            let receiver = NamedThread(name: "bench-plain") {
                let batch = DatagramBatch(capacity: 256, stride: 2048)
                var n = 0
                var idleSince = Clock.monotonic()
                while n < expected && Clock.monotonic() - idleSince < 2_000_000_000 && !done.isRaised {
                    let k = (try? socket.receive(into: batch)) ?? 0
                    if k == 0 { _ = UDPSocket.waitReadable([socket], timeoutMilliseconds: 10); continue }
                    n += k
                    idleSince = Clock.monotonic()
                    received.store(n, ordering: .relaxed)
                }
            }
            let start = Clock.monotonic()
            store.send(to: group)
            while received.load(ordering: .relaxed) < expected && Clock.monotonic() - start < 20_000_000_000 { usleep(200) }
            let elapsed = Clock.monotonic() - start
            done.raise()
            receiver.join()
            socket.close()
            if received.load(ordering: .relaxed) == expected {
                plainRates.append(Double(messages) / (Double(elapsed) / 1e9))
            } else {
                printError("mcast.loopback: run \(run) lost packets (\(received.load(ordering: .relaxed)) of \(expected)): not counted")
            }
        }
    }
    let feed = median(feedRates), plain = median(plainRates)
    return [
        BenchmarkResult(name: "mcast.receive", value: feed, unit: "msgs/s", runs: feedRates.count),
        BenchmarkResult(name: "mcast.loopback", value: plain, unit: "msgs/s", runs: plainRates.count),
        BenchmarkResult(name: "mcast.ratio", value: feed / plain, unit: "x", runs: min(feedRates.count, plainRates.count)),
        BenchmarkResult(name: "mcast.receive.cpu", value: median(feedCPURates), unit: "msgs/cpu-s", runs: feedCPURates.count),
    ]
}

import Foundation
import Sockets
import Testing

/// `MulticastInput`: several groups and a unicast socket drained as numbered streams on loopback.
@Suite struct MulticastInputTests {
    @Test func eachGroupIsAStreamAndTheUnicastSocketComesLast() throws {
        let port = UInt16.random(in: 33_000...34_000)
        let groups = [SocketAddress(host: "239.255.42.1", port: port)!, SocketAddress(host: "239.255.42.2", port: port)!]
        let input = try MulticastInput(groups: groups, interface: "127.0.0.1", receiveBuffer: 1 << 20, unicast: true,
                                       maxDatagram: 64, batchCapacity: 8)
        defer { input.close() }
        #expect(input.unicastStream == 2)
        #expect(input.receiveBufferBytes(of: 0) >= 1 << 20 && input.receiveBufferBytes(of: 2) >= 1 << 20)

        // Something for each stream: 3 datagrams to group 0, 2 to group 1, one oversize to group 1,
        // and 1 from the unicast socket to a peer that answers it.
        let sender = try UDPSocket.multicastSender(interface: "127.0.0.1")
        defer { sender.close() }
        for i in 0..<3 { _ = try [UInt8(i)].withUnsafeBytes { try sender.send($0, to: groups[0]) } }
        for i in 0..<2 { _ = try [UInt8(10 + i)].withUnsafeBytes { try sender.send($0, to: groups[1]) } }
        _ = try [UInt8](repeating: 7, count: 100).withUnsafeBytes { try sender.send($0, to: groups[1]) }
        let peer = try UDPSocket.unicast(binding: SocketAddress(host: "127.0.0.1", port: 0)!)
        defer { peer.close() }
        #expect([UInt8(42)].withUnsafeBytes { input.send($0, to: peer.localAddress) })
        let request = DatagramBatch(capacity: 1, stride: 64)
        #expect(UDPSocket.waitReadable([peer], timeoutMilliseconds: 5_000))
        #expect(try peer.receive(into: request) == 1)
        _ = try [UInt8(99)].withUnsafeBytes { try peer.send($0, to: request.source(0)) }

        var byStream: [Int: [[UInt8]]] = [:]
        var cut = 0
        let deadline = Date().addingTimeInterval(10)
        while byStream.values.map(\.count).reduce(0, +) + cut < 7 && Date() < deadline {
            let n = try input.drain { stream, k in
                for i in 0..<k {
                    if let d = input.batch.datagram(i) { byStream[stream, default: []].append(Array(d)) } else { cut += 1 }
                }
                return true
            }
            if n == 0 { try input.wait(timeoutMilliseconds: 100) }
        }
        #expect(byStream[0] == [[0], [1], [2]])
        #expect(byStream[1] == [[10], [11]])
        #expect(cut == 1)                      // longer than maxDatagram: reported, not delivered
        #expect(byStream[2] == [[99]])
    }

    @Test func withoutAUnicastSocketNothingIsSent() throws {
        let input = try MulticastInput(groups: [SocketAddress(host: "239.255.42.3", port: 0)!], interface: "127.0.0.1",
                                       receiveBuffer: 1 << 16, unicast: false, maxDatagram: 64)
        defer { input.close() }
        #expect(input.unicastStream == nil)
        #expect(![UInt8(1)].withUnsafeBytes { input.send($0, to: SocketAddress(host: "127.0.0.1", port: 9)!) })
    }

    @Test func aGroupThatCannotBeJoinedIsAnError() throws {
        #expect(throws: SystemError.self) {
            _ = try MulticastInput(groups: [SocketAddress(host: "239.255.42.4", port: 0)!], interface: "10.255.255.254",
                                   receiveBuffer: 1 << 16, unicast: true, maxDatagram: 64)
        }
    }
}

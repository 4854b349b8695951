import Foundation
import Glibc
import Sockets
import Testing

/// UDP multicast on the loopback interface, as a fresh machine has it (no multicast route): a
/// receiver joins by interface index, a sender picks the interface with IP_MULTICAST_IF.
@Suite struct MulticastSocketTests {
    @Test func aBatchSentToAGroupOnLoopbackArrivesWhole() throws {
        let group = SocketAddress(host: "239.255.41.1", port: 0)!
        let receiver = try UDPSocket.multicastReceiver(group: group, interface: "127.0.0.1", receiveBuffer: 1 << 20)
        defer { receiver.close() }
        #expect(receiver.localAddress.port != 0)
        #expect(receiver.receiveBufferBytes >= 1 << 20)
        let sender = try UDPSocket.multicastSender(interface: "127.0.0.1")
        defer { sender.close() }
        let destination = SocketAddress(host: "239.255.41.1", port: receiver.localAddress.port)!

        let count = 100
        let payloads = (0..<count).map { i in [UInt8](repeating: UInt8(i), count: 100 + i) }
        let pointers = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: count)
        let lengths = UnsafeMutablePointer<UInt32>.allocate(capacity: count)
        defer { pointers.deallocate(); lengths.deallocate() }
        let storage = payloads.map { p -> UnsafeMutableRawBufferPointer in
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: p.count, alignment: 8)
            b.copyBytes(from: p)
            return b
        }
        defer { storage.forEach { $0.deallocate() } }
        for i in 0..<count {
            pointers[i] = UnsafeRawPointer(storage[i].baseAddress!)
            lengths[i] = UInt32(storage[i].count)
        }
        #expect(try sender.send(pointers, lengths: lengths, count: count, to: destination) == count)

        let batch = DatagramBatch(capacity: 32, stride: 256)
        var received: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(5)
        while received.count < count && Date() < deadline {
            if try receiver.receive(into: batch) == 0 { _ = UDPSocket.waitReadable([receiver], timeoutMilliseconds: 100); continue }
            for i in 0..<batch.count { received.append(Array(try #require(batch.datagram(i)))) }
        }
        #expect(received == payloads)
        #expect(batch.source(0).host == "127.0.0.1")
    }

    @Test func anotherGroupOnTheSamePortIsNotDelivered() throws {
        let a = try UDPSocket.multicastReceiver(group: SocketAddress(host: "239.255.41.2", port: 0)!, interface: "127.0.0.1")
        defer { a.close() }
        let port = a.localAddress.port
        let b = try UDPSocket.multicastReceiver(group: SocketAddress(host: "239.255.41.3", port: port)!, interface: "127.0.0.1")
        defer { b.close() }
        let sender = try UDPSocket.multicastSender(interface: "127.0.0.1")
        defer { sender.close() }
        let bytes: [UInt8] = [1, 2, 3]
        try bytes.withUnsafeBytes { _ = try sender.send($0, to: SocketAddress(host: "239.255.41.3", port: port)!) }
        let batch = DatagramBatch(capacity: 4, stride: 64)
        #expect(UDPSocket.waitReadable([b], timeoutMilliseconds: 2000))
        #expect(try b.receive(into: batch) == 1)
        #expect(try a.receive(into: batch) == 0)
    }

    @Test func aGroupThatIsNotMulticastOrAnUnknownInterfaceIsAClearError() {
        #expect(throws: SystemError.self) {
            _ = try UDPSocket.multicastReceiver(group: SocketAddress(host: "127.0.0.1", port: 0)!, interface: "127.0.0.1")
        }
        do {
            _ = try UDPSocket.multicastReceiver(group: SocketAddress(host: "239.255.41.4", port: 0)!, interface: "10.254.254.254")
            Issue.record("joined on an interface that does not exist")
        } catch {
            #expect(error.errno == ENODEV)
            #expect(error.call.contains("10.254.254.254"))
        }
    }
}

import Foundation
import MoldUDP64
import Sockets
import Testing

/// The retransmission server on loopback UDP, as a receiver uses it: a request is answered to the
/// requester's address with the messages asked for; requests it cannot answer (malformed, another
/// session, messages not held) are counted, and answered with nothing. Every wait is on a condition.
@Suite struct RetransmissionServerTests {
    /// A requester: its own unicast socket, sending requests and collecting answer packets.
    final class Requester {
        let socket: UDPSocket
        let batch = DatagramBatch(capacity: 64, stride: 2048)

        init() throws { socket = try UDPSocket.unicast(binding: SocketAddress(host: "127.0.0.1", port: 0)!) }
        deinit { socket.close() }

        func send(_ bytes: [UInt8], to server: RetransmissionServer) throws {
            _ = try bytes.withUnsafeBytes { try socket.send($0, to: server.address) }
        }

        func request(_ request: MoldUDP64Request, to server: RetransmissionServer) throws {
            var bytes = [UInt8](repeating: 0, count: 20)
            let n = bytes.withUnsafeMutableBytes { request.encode(into: $0.baseAddress!) }
            try send(Array(bytes[0..<n]), to: server)
        }

        /// Answer blocks received until `done` holds or 60 s pass.
        func blocks(until done: ([(UInt64, [UInt8])]) -> Bool) throws -> [(UInt64, [UInt8])] {
            var blocks: [(UInt64, [UInt8])] = []
            let deadline = Date().addingTimeInterval(60)
            while !done(blocks), Date() < deadline {
                _ = UDPSocket.waitReadable([socket], timeoutMilliseconds: 50)
                let n = try socket.receive(into: batch)
                for i in 0..<n {
                    let datagram = try #require(batch.datagram(i))
                    let packet = try MoldUDP64Packet(datagram)
                    #expect(packet.session == RetransmissionWindowTests.session)
                    #expect(packet.forEachBlock { blocks.append(($0.sequenceNumber, Array($0.message.bytes))) } == .complete)
                }
            }
            return blocks
        }
    }

    /// Waits (60 s at most) until the server's statistics satisfy `condition`.
    func wait(_ server: RetransmissionServer, _ condition: ((requests: Int, malformed: Int, messages: Int, unanswered: Int)) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while !condition(server.statistics) {
            if Date() > deadline { return false }
            usleep(1000)
        }
        return true
    }

    @Test func aRequestIsAnsweredToTheRequesterWithTheMessagesAskedFor() throws {
        let window = RetransmissionWindow(session: RetransmissionWindowTests.session)
        RetransmissionWindowTests.send(window, from: 1, through: 500, perPacket: 9)
        let server = try RetransmissionServer(binding: SocketAddress(host: "127.0.0.1", port: 0)!, window: window, payloadSize: 300)
        defer { server.stop() }
        #expect(server.address.port != 0)
        let requester = try Requester()
        try requester.request(MoldUDP64Request(session: RetransmissionWindowTests.session, sequenceNumber: 120, count: 200), to: server)
        let blocks = try requester.blocks { $0.count >= 200 }
        #expect(blocks.map(\.0) == Array(120..<320))
        #expect(blocks.allSatisfy { $0.1 == RetransmissionWindowTests.message($0.0) })
        #expect(wait(server) { $0.messages == 200 })
        #expect(server.statistics == (requests: 1, malformed: 0, messages: 200, unanswered: 0))
    }

    @Test func aCountAboveTheLimitIsAnsweredUpToIt() throws {
        let window = RetransmissionWindow(session: RetransmissionWindowTests.session)
        RetransmissionWindowTests.send(window, from: 1, through: 500, perPacket: 9)
        let server = try RetransmissionServer(binding: SocketAddress(host: "127.0.0.1", port: 0)!, window: window, maxCount: 50)
        defer { server.stop() }
        let requester = try Requester()
        try requester.request(MoldUDP64Request(session: RetransmissionWindowTests.session, sequenceNumber: 1, count: 400), to: server)
        let blocks = try requester.blocks { $0.count >= 50 }
        #expect(blocks.map(\.0) == Array(1...50))
        // The server counts an answer's messages after sending them: wait for the count.
        #expect(wait(server) { $0.messages == 50 })
        #expect(server.statistics.requests == 1)
    }

    @Test func whatCannotBeAnsweredIsCountedAndGetsNothing() throws {
        let window = RetransmissionWindow(session: RetransmissionWindowTests.session, capacityMessages: 100)
        RetransmissionWindowTests.send(window, from: 1, through: 500, perPacket: 10)
        let server = try RetransmissionServer(binding: SocketAddress(host: "127.0.0.1", port: 0)!, window: window)
        defer { server.stop() }
        let requester = try Requester()
        try requester.send([0x41, 0x42, 0x43], to: server)                                   // not a request
        try requester.request(MoldUDP64Request(session: MoldUDP64Session("OTHER")!, sequenceNumber: 450, count: 5), to: server)
        try requester.request(MoldUDP64Request(session: RetransmissionWindowTests.session, sequenceNumber: 10, count: 5), to: server)  // forgotten
        try requester.request(MoldUDP64Request(session: RetransmissionWindowTests.session, sequenceNumber: 501, count: 5), to: server) // not yet sent
        // Then one that is answered: once its messages arrive, the ones before were handled (one thread, in order).
        try requester.request(MoldUDP64Request(session: RetransmissionWindowTests.session, sequenceNumber: 496, count: 5), to: server)
        let blocks = try requester.blocks { $0.count >= 5 }
        #expect(blocks.map(\.0) == Array(496...500), "only the last request was answered")
        // The server counts an answer's messages after sending them: wait for the count.
        #expect(wait(server) { $0.messages == 5 })
        #expect(server.statistics == (requests: 5, malformed: 1, messages: 5, unanswered: 3))
    }
}

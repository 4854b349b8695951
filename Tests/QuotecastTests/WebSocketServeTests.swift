import Foundation
import Sockets
import Testing

/// `quotecast serve` as a WebSocket/HTTP server: the real binary on an ephemeral loopback port,
/// spoken to with raw sockets. Every wait is bounded.
@Suite struct WebSocketServeTests {
    /// A running `quotecast serve --listen 127.0.0.1:0 …` and the port it logged.
    final class Server {
        let process = Process()
        let log: URL
        let port: UInt16

        init(_ extra: [String] = []) throws {
            ignoreBrokenPipes()
            log = try QuotecastProcess.temporaryDirectory().appendingPathComponent("serve.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = QuotecastProcess.binary
            process.arguments = ["serve", "--listen", "127.0.0.1:0", "--echo", "/echo", "--rate", "1000",
                                 "--status-interval", "600"] + extra
            process.standardError = try FileHandle(forWritingTo: log)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let read = { [log] in (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
            #expect(QuotecastProcess.waitFor("event=serve_started", in: read, timeout: 20))
            let line = read().split(separator: "\n").first { $0.contains("event=serve_started") } ?? ""
            let listen = line.split(separator: " ").first { $0.hasPrefix("listen=") }?.dropFirst("listen=".count) ?? ""
            port = SocketAddress(parsing: String(listen))?.port ?? 0
            #expect(port != 0, "no port in: \(line)")
        }

        var address: SocketAddress { SocketAddress(host: "127.0.0.1", port: port)! }
        var text: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        /// Sends `signal` and waits (bounded) for the exit; returns the status.
        @discardableResult
        func stop(_ signal: Int32 = SIGTERM) -> Int32 {
            if process.isRunning { kill(process.processIdentifier, signal) }
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                Issue.record("serve did not stop on signal \(signal)")
            }
            process.waitUntilExit()
            return process.terminationStatus
        }

        /// Resident memory of the server, KiB.
        var residentKiB: Int {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
    }

    /// A blocking raw-socket client.
    struct Client {
        let tcp: TCPConnection
        init(_ address: SocketAddress) throws { tcp = try TCPConnection.connect(to: address, blocking: true) }
        func close() { tcp.close() }
        func write(_ bytes: [UInt8]) throws { try tcp.writeAll(bytes) }

        func read(_ count: Int, timeout: Double = 5) -> [UInt8] {
            var out: [UInt8] = []
            let deadline = Date().addingTimeInterval(timeout)
            var chunk = [UInt8](repeating: 0, count: 4096)
            while out.count < count && deadline.timeIntervalSinceNow > 0 {
                var p = pollfd(fd: tcp.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 50) <= 0 { continue }
                let n = chunk.withUnsafeMutableBytes { recv(tcp.descriptor.rawValue, $0.baseAddress, min(4096, count - out.count), 0) }
                if n <= 0 { break }
                out += chunk[0..<n]
            }
            return out
        }

        func request(_ text: String) throws -> String {
            try write(Array(text.utf8))
            var head: [UInt8] = []
            while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
                let b = read(1)
                if b.isEmpty { break }
                head += b
            }
            let headText = String(decoding: head, as: UTF8.self)
            let length = headText.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            return headText + String(decoding: read(length), as: UTF8.self)
        }

        func upgrade() throws -> String {
            try request("GET /echo HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        }

        /// A masked client frame.
        func send(_ opcode: UInt8, _ payload: [UInt8], masked: Bool = true) throws {
            var f: [UInt8] = [0x80 | opcode]
            let m: UInt8 = masked ? 0x80 : 0
            if payload.count < 126 { f.append(m | UInt8(payload.count)) } else { f += [m | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] }
            let key: [UInt8] = [9, 8, 7, 6]
            if masked { f += key }
            f += payload.enumerated().map { masked ? $0.element ^ key[$0.offset & 3] : $0.element }
            try write(f)
        }

        func frame(timeout: Double = 5) -> (opcode: UInt8, payload: [UInt8])? {
            let h = read(2, timeout: timeout)
            guard h.count == 2 else { return nil }
            var n = Int(h[1] & 0x7F)
            if n == 126 { let e = read(2); n = Int(e[0]) << 8 | Int(e[1]) }
            let p = read(n, timeout: timeout)
            return p.count == n ? (h[0] & 0x0F, p) : nil
        }

        func closeCode(timeout: Double = 10) -> UInt16? {
            while let f = frame(timeout: timeout) {
                if f.opcode == 8 { return f.payload.count >= 2 ? UInt16(f.payload[0]) << 8 | UInt16(f.payload[1]) : 1005 }
            }
            return nil
        }

        func echo(_ text: String) throws -> String? {
            try send(1, Array(text.utf8))
            return frame().map { String(decoding: $0.payload, as: UTF8.self) }
        }
    }

    @Test func healthzAndEndpointsAnswerOverHTTP() throws {
        let server = try Server()
        defer { server.stop() }
        let c = try Client(server.address)
        defer { c.close() }
        let health = try c.request("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(health.hasPrefix("HTTP/1.1 200 OK\r\n") && health.contains("application/json") && health.contains("\"status\":\"live\""))
        // The stream wants a WebSocket handshake.
        #expect(try c.request("GET /v1/stream HTTP/1.1\r\nHost: t\r\n\r\n").hasPrefix("HTTP/1.1 426"))
        #expect(try c.request("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n").hasPrefix("HTTP/1.1 404"))
        #expect(try c.request("DELETE /healthz HTTP/1.1\r\nHost: t\r\n\r\n").hasPrefix("HTTP/1.1 405"))
    }

    @Test func echoesAndClosesProtocolViolationsWith1002() throws {
        let server = try Server()
        defer { server.stop() }
        let c = try Client(server.address)
        defer { c.close() }
        #expect(try c.upgrade().contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        #expect(try c.echo("héllo") == "héllo")
        try c.send(1, Array("naked".utf8), masked: false)
        #expect(c.closeCode() == 1002)
    }

    @Test func tenThousandHalfOpenConnectionsLeaveTheServerResponsiveAndBounded() throws {
        let server = try Server(["--max-clients", "15000"])
        defer { server.stop() }
        let before = server.residentKiB
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = server.port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        for _ in 0..<10_000 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { Issue.record("socket: errno \(errno)"); break }
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0 else { close(fd); Issue.record("connect: errno \(errno)"); break }
            idle.append(fd)
        }
        #expect(idle.count == 10_000)
        let good = try Client(server.address)
        defer { good.close() }
        let started = Date()
        #expect(try good.upgrade().hasPrefix("HTTP/1.1 101"))
        #expect(try good.echo("still fast") == "still fast")
        #expect(Date().timeIntervalSince(started) < 3)
        let grown = server.residentKiB - before
        #expect(grown < 256 * 1024, "resident memory grew by \(grown) KiB for 10 000 idle connections")
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func clientsGet1001OnShutdown(signal: Int32) throws {
        let server = try Server()
        let c = try Client(server.address)
        defer { c.close() }
        _ = try c.upgrade()
        #expect(try c.echo("x") == "x")
        kill(server.process.processIdentifier, signal)
        #expect(c.closeCode() == 1001)
        #expect(server.stop(signal) == 0)
        #expect(server.text.contains("event=serve_stopped"))
    }

    @Test func anExplicitListenAddressThatIsBusyIsAnError() throws {
        let holder = try TCPListener(binding: SocketAddress(host: "127.0.0.1", port: 0)!)
        defer { holder.close() }
        let r = try QuotecastProcess.run(["serve", "--listen", "\(holder.localAddress)", "--duration", "5"], timeout: 20)
        #expect(r.status == 2)
        #expect(r.stderr.contains("--listen"))
        let bad = try QuotecastProcess.run(["serve", "--listen", "nohost"], timeout: 20)
        #expect(bad.status == 2 && bad.stderr.contains("--listen"))
    }
}

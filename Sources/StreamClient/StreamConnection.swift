import Glibc
import Market
import Sockets
import System
import WebSocket

/// Why a client connection failed, readable as it is (`description`) for a user's screen.
public struct StreamClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure it was, for code that reacts differently (retry, give up).
    public enum Kind: Equatable, Sendable {
        /// The TCP connection could not be made (refused, unreachable).
        case connectFailed
        /// Nothing arrived within the time allowed (handshake).
        case timedOut
        /// The server answered the upgrade with something else (404, 503, a bad accept value).
        case handshakeRejected(status: Int)
        /// The server broke RFC 6455; we closed with the code the RFC prescribes.
        case protocolViolation
        /// A read or write failed, or the connection is already closed.
        case io
    }

    /// The kind of failure.
    public let kind: Kind
    /// What happened, with the address or the server's answer in it.
    public let description: String
}

/// What a client connection delivers.
public enum StreamEvent: Equatable, Sendable {
    /// A text message (one JSON object, from a quotecast gateway).
    case text(String)
    /// A binary message.
    case binary([UInt8])
    /// The connection is over: the close code the server sent (1006 if the TCP connection dropped
    /// without a close frame, 1005 if the close frame had no code) and its reason.
    case closed(code: UInt16, reason: String)
}

/// One WebSocket client connection with blocking calls bounded by timeouts: for the ticker, tests
/// and tools. Pings are answered as they are read; a server close is answered and reported once as
/// `.closed`. Used from one thread at a time (it is not `Sendable`).
public final class StreamConnection {
    /// The connected socket (non-blocking).
    private let connection: TCPConnection
    /// Reads the server's frames (unmasked, `role: .client`).
    private var parser: WebSocketFrameParser
    /// Bytes read but not yet parsed (the start of a frame that has not fully arrived).
    private var pending: [UInt8] = []
    /// The read chunk.
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    /// Masking keys.
    private var random: SplitMix64
    /// Whether the connection has ended (close seen or sent, or the socket dropped).
    public private(set) var isClosed = false
    /// The URL connected to.
    public let url: StreamURL

    /// The socket's descriptor, to poll together with other inputs (stdin, a signal pipe).
    public var descriptor: Int32 { connection.descriptor.rawValue }

    private init(connection: TCPConnection, url: StreamURL, maxMessageBytes: Int, seed: UInt64) {
        self.connection = connection
        self.url = url
        parser = WebSocketFrameParser(maxMessageBytes: maxMessageBytes, role: .client)
        random = SplitMix64(seed: seed)
    }

    deinit { if !isClosed { connection.close() } }

    /// Connects to `url` and completes the opening handshake, each within `timeout`.
    public static func connect(to url: StreamURL, timeout: Duration = .seconds(5), maxMessageBytes: Int = 1 << 20,
                               extraHeaders: [(String, String)] = []) throws(StreamClientError) -> StreamConnection {
        let tcp: TCPConnection
        do {
            let ms = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            tcp = try TCPConnection.connect(to: url.socketAddress, timeoutMilliseconds: Int32(clamping: max(1, ms)))
        } catch {
            if error.errno == ETIMEDOUT {
                throw StreamClientError(kind: .timedOut, description: "cannot connect to \(url.hostHeader): no answer within \(timeout)")
            }
            throw StreamClientError(kind: .connectFailed, description: "cannot connect to \(url.hostHeader): \(error)")
        }
        let seed = UInt64(truncatingIfNeeded: Clock.monotonic()) ^ UInt64(UInt32(bitPattern: tcp.descriptor.rawValue)) << 32
        let client = StreamConnection(connection: tcp, url: url, maxMessageBytes: maxMessageBytes, seed: seed)
        do {
            try client.handshake(timeout: timeout, extraHeaders: extraHeaders)
        } catch {
            client.abort()
            throw error
        }
        return client
    }

    private func handshake(timeout: Duration, extraHeaders: [(String, String)]) throws(StreamClientError) {
        let key = ClientHandshake.makeKey(&random)
        try write(ClientHandshake.request(for: url, key: key, extraHeaders: extraHeaders))
        let deadline = ContinuousClock.now + timeout
        while true {
            let result = pending.withUnsafeBytes { ClientHandshake.parseResponse($0, key: key) }
            switch result {
            case .accepted(let headerLength):
                pending.removeFirst(headerLength)
                return
            case .rejected(let status, let reason):
                throw StreamClientError(kind: .handshakeRejected(status: status), description: "\(url): \(reason)")
            case .incomplete:
                let left = deadline - ContinuousClock.now
                guard left > .zero, waitReadable(left) else {
                    throw StreamClientError(kind: .timedOut, description: "\(url): no handshake answer within \(timeout)")
                }
                if try readSome() == 0 {
                    throw StreamClientError(kind: .io, description: "\(url): connection closed during the handshake")
                }
            }
        }
    }

    /// Sends one text message.
    public func send(text: String) throws(StreamClientError) {
        try ensureOpen()
        try write(ClientFrame.text(text, maskKey: UInt32(truncatingIfNeeded: random.next())))
    }

    /// The next message or the close, waiting at most `timeout`; nil when nothing complete arrived.
    public func receive(timeout: Duration) throws(StreamClientError) -> StreamEvent? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let event = try parseOne() { return event }
            if isClosed { return nil }
            let left = deadline - ContinuousClock.now
            guard left > .zero, waitReadable(left) else { return nil }
            if try readSome() == 0 { return dropped() }
        }
    }

    /// Everything that has arrived, without waiting (empty when nothing complete is there).
    public func drainAvailable() throws(StreamClientError) -> [StreamEvent] {
        var events: [StreamEvent] = []
        while true {
            while let event = try parseOne() { events.append(event) }
            if isClosed { return events }
            let n = try readSome()
            if n == 0 { events.append(dropped()); return events }
            if n < 0 { return events }
        }
    }

    /// Sends a close frame with `code` and closes the socket (without waiting for the server's answer).
    public func close(code: WebSocketCloseCode = .normal, reason: String = "") {
        guard !isClosed else { return }
        try? write(ClientFrame.close(code, reason: reason, maskKey: UInt32(truncatingIfNeeded: random.next())))
        abort()
    }

    /// Closes the socket without a close frame.
    public func abort() {
        guard !isClosed else { return }
        isClosed = true
        connection.close()
    }

    // MARK: - Internals

    private func ensureOpen() throws(StreamClientError) {
        if isClosed { throw StreamClientError(kind: .io, description: "\(url): connection is closed") }
    }

    private func dropped() -> StreamEvent {
        abort()
        return .closed(code: WebSocketCloseCode.abnormal.rawValue, reason: "connection dropped without a close frame")
    }

    /// Parses one event from `pending`, handling control frames; nil when more bytes are needed.
    private func parseOne() throws(StreamClientError) -> StreamEvent? {
        while !pending.isEmpty {
            var consumed = 0
            let event = pending.withUnsafeBytes { parser.next($0, consumed: &consumed) }
            pending.removeFirst(consumed)
            switch event {
            case .insufficientData:
                return nil
            case .message(let isText):
                return isText ? .text(String(decoding: parser.message, as: UTF8.self)) : .binary(parser.message)
            case .ping:
                let body = parser.control
                let pong = body.withUnsafeBytes { ClientFrame.pong($0, maskKey: UInt32(truncatingIfNeeded: random.next())) }
                try? write(pong)
            case .pong:
                continue
            case .close(let code):
                let reason = parser.control.count > 2 ? String(decoding: parser.control[2...], as: UTF8.self) : ""
                close(code: code ?? .normal)
                return .closed(code: (code ?? .noStatus).rawValue, reason: reason)
            case .failure(let code, let reason):
                close(code: code, reason: reason)
                throw StreamClientError(kind: .protocolViolation, description: "\(url): server broke the protocol: \(reason) (closed with \(code.rawValue))")
            }
        }
        return nil
    }

    /// Reads what is there into `pending`: the byte count, 0 at end of stream, -1 when nothing was ready.
    private func readSome() throws(StreamClientError) -> Int {
        try ensureOpen()
        let result = chunk.withUnsafeMutableBytes { connection.read(into: $0) }
        switch result {
        case .bytes(let n):
            pending.append(contentsOf: chunk[0..<n])
            return n
        case .endOfStream:
            return 0
        case .wouldBlock:
            return -1
        case .failed(let error):
            abort()
            throw StreamClientError(kind: .io, description: "\(url): \(error)")
        }
    }

    private func write(_ bytes: [UInt8]) throws(StreamClientError) {
        do {
            try connection.writeAll(bytes)
        } catch {
            throw StreamClientError(kind: .io, description: "\(url): \(error)")
        }
    }

    /// Waits until the socket is readable or `timeout` passes.
    private func waitReadable(_ timeout: Duration) -> Bool {
        let ms = max(1, Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        var p = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, ms) > 0
    }
}

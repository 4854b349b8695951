import Codecs
import Market
import WebSocket

/// What the server answered to the opening handshake.
public enum ClientHandshakeResult: Equatable, Sendable {
    /// The response's header block has not fully arrived yet.
    case incomplete
    /// `101 Switching Protocols` with the right accept value: the first `headerLength` bytes were the
    /// response; any bytes after them are already WebSocket frames. `deflate` is the permessage-deflate
    /// the server agreed to (only when it was offered).
    case accepted(headerLength: Int, deflate: DeflateAgreement? = nil)
    /// Anything else: the status (0 when the response was not HTTP) and why it is refused.
    case rejected(status: Int, reason: String)
}

/// The client side of the RFC 6455 §4.1 opening handshake: builds the upgrade request and checks
/// the server's answer (status 101, `Upgrade: websocket`, `Connection: Upgrade`, and the
/// `Sec-WebSocket-Accept` value derived from our key).
public enum ClientHandshake {
    /// The largest response header block accepted (a server sending more is refused, not buffered).
    public static let maxResponseBytes = 16 * 1024

    /// A fresh `Sec-WebSocket-Key`: 16 random bytes in base64.
    public static func makeKey(_ random: inout SplitMix64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for _ in 0..<2 {
            let v = random.next()
            for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) }
        }
        return Base64.encode(bytes)
    }

    /// The permessage-deflate offer a client makes (`offerDeflate`): no parameters but
    /// `client_max_window_bits`, so the server may bound the client's window (RFC 7692 §7.1.2.2).
    public static let deflateOffer = "permessage-deflate; client_max_window_bits"

    /// The GET upgrade request for `url` with `key`, plus any `extraHeaders`.
    public static func request(for url: StreamURL, key: String, extraHeaders: [(String, String)] = []) -> [UInt8] {
        var text = "GET \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in extraHeaders { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Checks the response at the start of `bytes` against `key`; `offeredDeflate` says the request
    /// carried `deflateOffer` (otherwise any extension in the answer is refused).
    public static func parseResponse(_ bytes: UnsafeRawBufferPointer, key: String, offeredDeflate: Bool = false) -> ClientHandshakeResult {
        guard let end = headerEnd(bytes) else {
            return bytes.count > maxResponseBytes ? .rejected(status: 0, reason: "response headers longer than \(maxResponseBytes) bytes") : .incomplete
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return .rejected(status: 0, reason: "empty response") }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            return .rejected(status: 0, reason: "not an HTTP response")
        }
        guard status == 101 else {
            let phrase = statusLine.count > 2 ? String(statusLine[2]) : ""
            return .rejected(status: status, reason: "server answered \(status) \(phrase)".trimmingSuffixSpaces())
        }
        var headers: [String: String] = [:]
        var extensions: [String] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return .rejected(status: status, reason: "malformed header line") }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }).trimmingSuffixSpaces()
            headers[name] = value
            if name == "sec-websocket-extensions" { extensions.append(value) }
        }
        guard headers["upgrade"]?.lowercased() == "websocket" else { return .rejected(status: status, reason: "no Upgrade: websocket") }
        guard headers["connection"]?.lowercased().contains("upgrade") == true else {
            return .rejected(status: status, reason: "no Connection: Upgrade")
        }
        guard headers["sec-websocket-accept"] == WebSocketHandshake.acceptValue(forKey: key) else {
            return .rejected(status: status, reason: "wrong Sec-WebSocket-Accept")
        }
        guard offeredDeflate else {
            if let ext = headers["sec-websocket-extensions"], !ext.isEmpty {
                return .rejected(status: status, reason: "server chose an extension we did not offer (\(ext))")
            }
            return .accepted(headerLength: end)
        }
        do {
            let deflate = try DeflateNegotiation.agreement(answer: extensions, offeredClientWindow: true)
            return .accepted(headerLength: end, deflate: deflate)
        } catch {
            return .rejected(status: status, reason: "unacceptable Sec-WebSocket-Extensions answer: \(error)")
        }
    }

    /// The length of the header block including its blank line, if it is complete.
    private static func headerEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingSuffixSpaces() -> String {
        var s = Substring(self)
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}

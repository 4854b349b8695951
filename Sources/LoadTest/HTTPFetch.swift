import Foundation
import Glibc
import System

/// A minimal blocking HTTP/1.1 GET for the gateway's side endpoints (`/v1/symbols`, `/metrics`),
/// off the measured path: `Connection: close`, body by Content-Length or to the end of stream,
/// bounded in size (8 MiB) and time.
enum HTTPFetch {
    /// What went wrong, readable.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// GETs `path` from `host:port` with `headers` besides its own; returns (status, body).
    static func get(host: String, port: UInt16, hostHeader: String, path: String, headers: [(String, String)] = [],
                    timeout: Double = 5) throws(Failure) -> (status: Int, body: [UInt8]) {
        let fd = ClientSocket.startConnect(host: host, port: port, receiveBuffer: nil)
        guard fd >= 0 else { throw Failure(description: "connect to \(host):\(port): \(errnoName(-fd))") }
        defer { ClientSocket.close(fd) }
        let deadline = Clock.monotonic() + UInt64(timeout * 1e9)
        func waitFor(_ events: Int16) throws(Failure) {
            while true {
                let left = Int64(deadline) - Int64(Clock.monotonic())
                guard left > 0 else { throw Failure(description: "GET \(path): timed out after \(timeout) s") }
                var p = pollfd(fd: fd, events: events, revents: 0)
                let rc = poll(&p, 1, Int32(min(left / 1_000_000 + 1, 1000)))
                if rc > 0 { return }
            }
        }
        try waitFor(Int16(POLLOUT))
        let code = ClientSocket.pendingError(fd)
        guard code == 0 else { throw Failure(description: "connect to \(host):\(port): \(errnoName(code))") }
        let extra = headers.map { "\($0.0): \($0.1)\r\n" }.joined()
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\nAccept: */*\r\n\(extra)\r\n".utf8)
        var sent = 0
        while sent < request.count {
            try waitFor(Int16(POLLOUT))
            let n = request.withUnsafeBytes { ClientSocket.write(fd, $0.baseAddress! + sent, $0.count - sent) }
            if n > 0 { sent += n } else if n != -Int(EAGAIN) { throw Failure(description: "GET \(path): write failed") }
        }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        var contentLength: Int?
        var status = 0
        while true {
            if let end = headerEnd, let length = contentLength, data.count - end >= length { break }
            try waitFor(Int16(POLLIN))
            let n = chunk.withUnsafeMutableBytes { ClientSocket.read(fd, $0.baseAddress!, $0.count) }
            if n == -Int(EAGAIN) { continue }
            if n <= 0 { break }
            data += chunk[0..<n]
            guard data.count < 8 << 20 else { throw Failure(description: "GET \(path): response larger than 8 MiB") }
            if headerEnd == nil, let r = findHeaderEnd(data) {
                headerEnd = r
                let head = String(decoding: data[0..<r], as: UTF8.self)
                let lines = head.split(separator: "\r\n")
                let parts = lines.first?.split(separator: " ") ?? []
                status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
                for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
                }
            }
        }
        guard let end = headerEnd else { throw Failure(description: "GET \(path): no HTTP response") }
        var body = Array(data[end...])
        if let length = contentLength, body.count > length { body = Array(body[0..<length]) }
        return (status, body)
    }

    private static func findHeaderEnd(_ data: [UInt8]) -> Int? {
        guard data.count >= 4 else { return nil }
        for i in 0...(data.count - 4) where data[i] == 13 && data[i + 1] == 10 && data[i + 2] == 13 && data[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    /// The symbols named by a `/v1/symbols` body: a JSON array, or an object holding one under
    /// `symbols`; each entry a string or an object with a `symbol` field.
    static func symbols(fromJSON body: [UInt8]) -> [String]? {
        guard let value = try? JSONSerialization.jsonObject(with: Data(body)) else { return nil }
        var list: [Any]?
        if let array = value as? [Any] { list = array }
        if let object = value as? [String: Any] { list = object["symbols"] as? [Any] }
        guard let list else { return nil }
        let names = list.compactMap { entry -> String? in
            if let s = entry as? String { return s }
            return (entry as? [String: Any])?["symbol"] as? String
        }
        return names.isEmpty ? nil : names
    }

    /// Whether a `/v1/symbols` body is a well-formed but empty list.
    static func isEmptyList(_ body: [UInt8]) -> Bool {
        guard let value = try? JSONSerialization.jsonObject(with: Data(body)) else { return false }
        if let array = value as? [Any] { return array.isEmpty }
        return ((value as? [String: Any])?["symbols"] as? [Any])?.isEmpty == true
    }

    /// The samples of a Prometheus text exposition: `name{labels}` → value (comments skipped, a
    /// trailing timestamp ignored).
    static func prometheusSamples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let name: Substring
            let rest: Substring
            if let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}"), open < close {
                name = line[...close]
                rest = line[line.index(after: close)...]
            } else if let space = line.firstIndex(of: " ") {
                name = line[..<space]
                rest = line[space...]
            } else {
                continue
            }
            if let valueText = rest.split(separator: " ").first, let value = Double(valueText) {
                samples[String(name)] = value
            }
        }
        return samples
    }
}

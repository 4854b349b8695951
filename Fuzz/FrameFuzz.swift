// Fuzz target `frame`: the RFC 6455 frame parser (WebSocket module's WebSocketFrameParser) on what
// a peer sends. The first byte picks the role (a server reading masked client frames, or a client
// reading a server's), whether permessage-deflate was negotiated, the largest message (125 bytes to
// 4 KiB, so the limit is reached) and the chunk size the bytes arrive in; the rest is the stream.
// Properties: no crash; the events and their payloads are the same whether the bytes come at once or
// a chunk at a time (the parser streams payloads and keeps partial headers for the next read); it
// never consumes more than it was given, and nothing after a failure; a message is at most the limit,
// a control payload at most 125 bytes, a text message valid UTF-8, a close code one a peer may send;
// and a server frame the project encodes (`WebSocketFrame`) carrying the input reads back as it.

import WebSocket

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    func masked(_ first: UInt8, _ payload: [UInt8], key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]) -> [UInt8] {
        var f: [UInt8] = [first]
        if payload.count < 126 { f.append(0x80 | UInt8(payload.count)) } else { f += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] }
        return f + key + payload.enumerated().map { $0.element ^ key[$0.offset & 3] }
    }
    let subscribe = Array(#"{"op":"subscribe","symbols":["AAPL","MSFT"],"depth":5}"#.utf8)
    let server: [UInt8] = [0x00]   // role server, no deflate, 125-byte limit, whole input at once
    let client: [UInt8] = [0x01]
    let quote = Array(#"{"type":"quote","symbol":"AAPL","seq":42,"bids":[["189.2500",300]],"asks":[]}"#.utf8)
    return [
        ("subscribe.frame", server + masked(0x81, subscribe)),
        ("fragments.frame", [0x20] + masked(0x01, Array(subscribe[0..<10])) + masked(0x89, [1, 2]) + masked(0x80, Array(subscribe[10...]))),
        ("ping-close.frame", [0x0C] + masked(0x89, Array("hi".utf8)) + masked(0x88, [0x03, 0xE8] + Array("bye".utf8))),
        ("long.frame", [0xE0] + masked(0x82, [UInt8](repeating: 0x41, count: 300))),
        ("deflated.frame", [0x40] + masked(0xC1, [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])),
        ("bad-utf8.frame", server + masked(0x81, [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80])),
        ("unmasked.frame", server + [0x81, 0x02, 0x68, 0x69]),
        ("server.frame", client + frameBytes(WebSocketFrame.make(.text, quote)) + frameBytes(WebSocketFrame.close(.goingAway, reason: "bye"))),
    ]
}

/// A frame's wire bytes, copied while the frame (which owns them) is alive: `Array(frame.bytes)` on a
/// temporary let the optimizer release the frame first (AddressSanitizer: heap-use-after-free).
func frameBytes(_ frame: WebSocketFrame) -> [UInt8] {
    withExtendedLifetime(frame) { Array(frame.bytes) }
}

/// One parser event with the payload it made available.
struct Seen: Equatable {
    let event: WebSocketFrameEvent
    let payload: [UInt8]
}

/// Parses `input` fed `chunk` bytes at a time the way the server does (unconsumed bytes are kept and
/// offered again with the next ones); stops after a failure.
func events(_ input: UnsafeRawBufferPointer, chunk: Int, role: WebSocketRole, deflate: Bool, limit: Int) -> [Seen] {
    var parser = WebSocketFrameParser(maxMessageBytes: limit, role: role)
    parser.perMessageDeflate = deflate
    var out: [Seen] = []
    var pending: [UInt8] = []
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + chunk)
        pending += input[offset..<end]
        offset = end
        var used = 0
        while true {
            var consumed = 0
            let event = pending.withUnsafeBytes { parser.next(UnsafeRawBufferPointer(rebasing: $0[used...]), consumed: &consumed) }
            if consumed > pending.count - used { propertyFailed("consumed \(consumed) of \(pending.count - used) bytes") }
            used += consumed
            if event == .insufficientData { break }
            switch event {
            case .message, .compressedMessage: out.append(Seen(event: event, payload: parser.message))
            case .ping, .pong, .close: out.append(Seen(event: event, payload: parser.control))
            default: out.append(Seen(event: event, payload: []))
            }
            check(out.last!, parser: parser, limit: limit)
            if case .failure = event { return out }
        }
        pending.removeFirst(used)
    }
    return out
}

func check(_ seen: Seen, parser: WebSocketFrameParser, limit: Int) {
    switch seen.event {
    case .message(let isText):
        if seen.payload.count > limit { propertyFailed("message of \(seen.payload.count) bytes over \(limit)") }
        if isText && !UTF8Validator.isValid(seen.payload) { propertyFailed("text message is not UTF-8") }
    case .compressedMessage:
        if seen.payload.count > limit { propertyFailed("compressed message of \(seen.payload.count) bytes over \(limit)") }
    case .ping, .pong:
        if seen.payload.count > 125 { propertyFailed("control payload of \(seen.payload.count) bytes") }
    case .close(let code):
        if let code, !code.isValidOnWire { propertyFailed("close code \(code) accepted") }
        if code == nil && !seen.payload.isEmpty { propertyFailed("close without code but with a body") }
        if seen.payload.count > 125 || (seen.payload.count >= 2 && !UTF8Validator.isValid(Array(seen.payload[2...]))) {
            propertyFailed("close reason accepted: \(seen.payload.count) bytes")
        }
    case .failure(let code, _):
        if ![1002, 1007, 1009].contains(code.rawValue) { propertyFailed("failure code \(code)") }
    case .insufficientData:
        break
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    let role: WebSocketRole = control & 1 == 0 ? .server : .client
    let deflate = control & 0x40 != 0
    let limit = 125 + Int(control >> 1 & 0x1F) * 128
    let chunk = [1, 2, 3, 7, 64][Int(control >> 2 & 0x3) + (control & 0x80 != 0 ? 1 : 0)]
    let input = UnsafeRawBufferPointer(start: data + 1, count: size - 1)

    let atOnce = events(input, chunk: max(1, input.count), role: role, deflate: deflate, limit: limit)
    let chunked = events(input, chunk: chunk, role: role, deflate: deflate, limit: limit)
    if atOnce != chunked {
        propertyFailed("at once \(atOnce.map(\.event)), in chunks of \(chunk) \(chunked.map(\.event))")
    }

    // The project's own server frame, read by a client, gives the input back.
    if input.count <= limit {
        let frame = WebSocketFrame(opcode: .binary, payload: input)
        let back = events(frame.bytes, chunk: max(1, frame.bytes.count), role: .client, deflate: false, limit: limit)
        if back.count != 1 || back[0].event != .message(isText: false) || !back[0].payload.elementsEqual(input) {
            propertyFailed("a server frame of \(input.count) bytes reads back as \(back.map(\.event))")
        }
    }
    return 0
}

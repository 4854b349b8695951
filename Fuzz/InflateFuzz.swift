// Fuzz target `inflate`: permessage-deflate's inflate path (WebSocket module's MessageInflater) on
// hostile payloads: malformed, truncated, oversized streams and bombs. The first byte picks the
// window (8...15), context takeover and text checking, the second the inflated-size limit
// (256...65 536 bytes); the rest is one or more messages, each but the last behind a 2-byte
// little-endian length. Properties: no crash; a message either inflates to at most the limit (valid
// UTF-8 when text) or fails with 1007, 1009 or 1011; the output buffer never grows much past the
// limit; after a failure the inflater still inflates a good message; and the fuzzed bytes, compressed
// by the project's deflater with the same window and context, inflate back to themselves.

import Market
import WebSocket

/// RFC 7692 §7.2.3.1's "Hello".
let hello: [UInt8] = [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    func framed(_ control: UInt8, _ limit: UInt8, _ messages: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [control, limit]
        for (i, m) in messages.enumerated() {
            if i < messages.count - 1 { out += [UInt8(m.count & 0xFF), UInt8(m.count >> 8)] }
            out += m
        }
        return out
    }
    var seeds: [(String, [UInt8])] = [
        ("hello.inflate", framed(0x17, 0, [hello])),
        ("context.inflate", framed(0x1F, 10, [hello, [0xF2, 0x00, 0x11, 0x00, 0x00]])),
        ("stored.inflate", framed(0x07, 0, [[0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x00]])),
        ("bfinal.inflate", framed(0x0F, 0, [[0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00], hello])),
        ("two-blocks.inflate", framed(0x07, 0, [[0xF2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xCA, 0xC9, 0xC9, 0x07, 0x00]])),
    ]
    // A quote-like JSON flow compressed with and without context, and a bomb of zeros.
    var rng = SplitMix64(seed: 22)
    var json: [[UInt8]] = []
    for _ in 0..<4 {
        json.append(Array("{\"type\":\"quote\",\"symbol\":\"AAPL\",\"seq\":\(UInt32.random(in: 0...99_999, using: &rng)),\"bids\":[[189.25,\(UInt8.random(in: 1...9, using: &rng))00]]}".utf8))
    }
    if let alone = MessageDeflater(contextTakeover: false), let kept = MessageDeflater(maxWindowBits: 10, contextTakeover: true) {
        seeds.append(("json.inflate", framed(0x17, 3, json.compactMap { alone.compress($0) })))
        seeds.append(("json-context.inflate", framed(0x1A, 3, json.compactMap { kept.compress($0) })))
        if let bomb = alone.compress([UInt8](repeating: 0, count: 200_000)) { seeds.append(("bomb.inflate", framed(0x07, 0, [bomb]))) }
    }
    return seeds
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let windowBits = 8 + Int(input[0] & 7)
    let contextTakeover = input[0] & 8 != 0
    let text = input[0] & 16 != 0
    let limit = (Int(input[1]) + 1) * 256
    guard let inflater = MessageInflater(windowBits: windowBits, contextTakeover: contextTakeover) else { return 0 }
    var output: [UInt8] = []
    var offset = 2
    while offset <= size {
        var length = size - offset
        if length >= 2 {
            let announced = Int(input[offset]) | Int(input[offset + 1]) << 8
            if announced <= length - 2 {
                offset += 2
                length = announced
            }
        }
        let message = UnsafeRawBufferPointer(rebasing: input[offset..<(offset + length)])
        offset += length
        let outcome = inflater.inflate(message, into: &output, limit: limit, text: text)
        if output.count > limit + 1 + 16 * 1024 { propertyFailed("output grew to \(output.count) for a limit of \(limit)") }
        switch outcome {
        case .inflated(let count):
            if count > limit { propertyFailed("inflated \(count) bytes past the limit \(limit)") }
            if text && !output.withUnsafeBytes({ UTF8Validator.isValid(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }) {
                propertyFailed("text inflated to invalid UTF-8")
            }
        case .failure(let code, _):
            if ![1007, 1009, 1011].contains(code.rawValue) { propertyFailed("unexpected close code \(code)") }
            // The stream was reset: a message that needs no earlier context still inflates.
            if case .inflated(let n) = hello.withUnsafeBytes({ inflater.inflate($0, into: &output, limit: limit, text: false) }),
               n == 5, output.starts(with: Array("Hello".utf8)) {} else { propertyFailed("inflater unusable after a failure") }
        }
        if length == 0 { break }
    }
    // Round trip: the input itself, compressed by the deflater with the same window and context.
    guard let deflater = MessageDeflater(maxWindowBits: windowBits, contextTakeover: contextTakeover),
          let back = MessageInflater(windowBits: windowBits, contextTakeover: deflater.contextTakeover) else { return 0 }
    for _ in 0..<2 {
        var compressed: [UInt8] = []
        guard let n = deflater.compress(input, into: &compressed) else {
            if !(windowBits == 8 && size > MessageDeflater.eightBitWindowLimit) { propertyFailed("deflater refused \(size) bytes") }
            return 0
        }
        let outcome = compressed.withUnsafeBytes { back.inflate(UnsafeRawBufferPointer(rebasing: $0[0..<n]), into: &output, limit: size, text: false) }
        if outcome != .inflated(count: size) || !output.prefix(size).elementsEqual(input) { propertyFailed("round trip differs: \(outcome)") }
    }
    return 0
}

import Market
import Testing
@testable import WebSocket

/// Encodes a client (masked) frame, with knobs to break the rules.
func clientFrame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, masked: Bool = true,
                 mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D], forceLength64: UInt64? = nil) -> [UInt8] {
    var out: [UInt8] = [(fin ? 0x80 : 0) | rsv << 4 | opcode]
    let maskBit: UInt8 = masked ? 0x80 : 0
    if let forced = forceLength64 {
        out.append(maskBit | 127)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: forced >> UInt64(56 - 8 * i))) }
    } else if payload.count < 126 {
        out.append(maskBit | UInt8(payload.count))
    } else if payload.count <= 0xFFFF {
        out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(truncatingIfNeeded: payload.count)]
    } else {
        out.append(maskBit | 127)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: UInt64(payload.count) >> UInt64(56 - 8 * i))) }
    }
    if masked {
        out += mask
        out += payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
    } else {
        out += payload
    }
    return out
}

/// What a parser reported, with the payloads copied out.
enum Seen: Equatable {
    case message(Bool, [UInt8])
    case compressed(Bool, [UInt8])
    case ping([UInt8])
    case pong([UInt8])
    case close(UInt16?)
    case failure(UInt16)
}

/// Feeds `chunks` to a parser the way the server does (unconsumed bytes kept for the next read).
func feed(_ chunks: [[UInt8]], maxMessageBytes: Int = 1 << 20, perMessageDeflate: Bool = false) -> [Seen] {
    var parser = WebSocketFrameParser(maxMessageBytes: maxMessageBytes)
    parser.perMessageDeflate = perMessageDeflate
    var seen: [Seen] = []
    var pending: [UInt8] = []
    for chunk in chunks {
        pending += chunk
        var offset = 0
        scan: while true {
            var used = 0
            let event = pending[offset...].withUnsafeBytes { parser.next($0, consumed: &used) }
            offset += used
            switch event {
            case .insufficientData: break scan
            case .message(let isText): seen.append(.message(isText, parser.message))
            case .compressedMessage(let isText): seen.append(.compressed(isText, parser.message))
            case .ping: seen.append(.ping(parser.control))
            case .pong: seen.append(.pong(parser.control))
            case .close(let code): seen.append(.close(code?.rawValue))
            case .failure(let code, _): seen.append(.failure(code.rawValue)); return seen
            }
        }
        pending.removeFirst(offset)
    }
    return seen
}

@Suite struct FrameParserTests {
    @Test func randomMessagesFragmentedAndSplitAnywhereComeOutWhole() {
        // Seeded: every run parses the same frames, and a failure prints the seed with its round.
        let seed: UInt64 = 0xF7A_3E5
        var rng = SplitMix64(seed: seed)
        let alphabet = Array("aé€😀 z".unicodeScalars)
        for round in 0..<300 {
            var wire: [UInt8] = []
            var expected: [Seen] = []
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let isText = Bool.random(using: &rng)
                let size = [0, 1, 125, 126, 200, 65_535, 65_536, 70_000].randomElement(using: &rng)! / (round % 4 == 0 ? 1 : 50)
                let payload: [UInt8] = isText
                    ? Array(String(String.UnicodeScalarView((0..<size / 2).map { _ in alphabet.randomElement(using: &rng)! })).utf8)
                    : (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
                // Cut into 1-5 fragments at arbitrary byte offsets (even inside a UTF-8 sequence).
                var cuts = (0..<Int.random(in: 0...4, using: &rng)).map { _ in Int.random(in: 0...payload.count, using: &rng) }.sorted()
                cuts = [0] + cuts + [payload.count]
                for i in 0..<(cuts.count - 1) {
                    let opcode: UInt8 = i == 0 ? (isText ? 1 : 2) : 0
                    let mask = (0..<4).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    wire += clientFrame(opcode, Array(payload[cuts[i]..<cuts[i + 1]]), fin: i == cuts.count - 2, mask: mask)
                    if i < cuts.count - 2 && Int.random(in: 0..<3, using: &rng) == 0 {
                        let ping = (0..<Int.random(in: 0...125, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                        wire += clientFrame(9, ping, mask: mask)
                        expected.append(.ping(ping))
                    }
                }
                expected.append(.message(isText, payload))
            }
            wire += clientFrame(8, [0x03, 0xE8] + Array("bye".utf8))
            expected.append(.close(1000))
            var chunks: [[UInt8]] = []
            var i = 0
            while i < wire.count {
                let n = Int.random(in: 1...(Bool.random(using: &rng) ? 7 : 4096), using: &rng)
                chunks.append(Array(wire[i..<min(wire.count, i + n)]))
                i += n
            }
            let seen = feed(chunks)
            #expect(seen == expected, "seed \(seed) round \(round): \(seen.count) events, expected \(expected.count)")
        }
    }

    @Test func lengthEncodingsSevenSixteenAndSixtyFourBits() {
        for size in [0, 125, 126, 65_535, 65_536] {
            let payload = [UInt8](repeating: 0x5A, count: size)
            #expect(feed([clientFrame(2, payload)]) == [.message(false, payload)])
        }
    }

    @Test func protocolViolationsGetTheirCloseCodes() {
        #expect(feed([clientFrame(1, Array("hi".utf8), masked: false)]) == [.failure(1002)])
        #expect(feed([clientFrame(1, Array("hi".utf8), rsv: 4)]) == [.failure(1002)])
        #expect(feed([clientFrame(1, Array("hi".utf8), rsv: 1)]) == [.failure(1002)])
        #expect(feed([clientFrame(3, [])]) == [.failure(1002)])
        #expect(feed([clientFrame(0xB, [])]) == [.failure(1002)])
        #expect(feed([clientFrame(0, Array("x".utf8))]) == [.failure(1002)])
        #expect(feed([clientFrame(1, Array("a".utf8), fin: false) + clientFrame(1, Array("b".utf8))]) == [.failure(1002)])
        #expect(feed([clientFrame(9, [], fin: false)]) == [.failure(1002)])
        #expect(feed([clientFrame(9, [UInt8](repeating: 1, count: 126))]) == [.failure(1002)])
        #expect(feed([clientFrame(2, [], forceLength64: 1 << 63)]) == [.failure(1002)])
        #expect(feed([clientFrame(2, [], forceLength64: 1 << 40)]) == [.failure(1009)])
        #expect(feed([clientFrame(2, [UInt8](repeating: 0, count: 1001))], maxMessageBytes: 1000) == [.failure(1009)])
        // The limit holds for the message, not the frame.
        #expect(feed([clientFrame(2, [UInt8](repeating: 0, count: 600), fin: false) + clientFrame(0, [UInt8](repeating: 0, count: 600))],
                     maxMessageBytes: 1000) == [.failure(1009)])
    }

    @Test func rsv1MarksACompressedMessageOnlyWhenNegotiatedAndOnlyOnItsFirstFrame() {
        let bytes: [UInt8] = [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]
        // Negotiated: RSV1 on the first frame; continuations carry none; the payload is not UTF-8-checked.
        #expect(feed([clientFrame(1, bytes, rsv: 4)], perMessageDeflate: true) == [.compressed(true, bytes)])
        #expect(feed([clientFrame(2, Array(bytes[0..<3]), fin: false, rsv: 4) + clientFrame(9, [])
                      + clientFrame(0, Array(bytes[3...]))], perMessageDeflate: true) == [.ping([]), .compressed(false, bytes)])
        // A message without RSV1 is plain, UTF-8-checked as before.
        #expect(feed([clientFrame(1, Array("hi".utf8))], perMessageDeflate: true) == [.message(true, Array("hi".utf8))])
        #expect(feed([clientFrame(1, [0xFF])], perMessageDeflate: true) == [.failure(1007)])
        // Not negotiated: RSV1 is a protocol error, as is RSV1 on a continuation or a control frame,
        // and RSV2/RSV3 always.
        #expect(feed([clientFrame(1, bytes, rsv: 4)]) == [.failure(1002)])
        #expect(feed([clientFrame(1, Array(bytes[0..<3]), fin: false, rsv: 4) + clientFrame(0, Array(bytes[3...]), rsv: 4)],
                     perMessageDeflate: true) == [.failure(1002)])
        #expect(feed([clientFrame(2, Array(bytes[0..<3]), fin: false) + clientFrame(0, Array(bytes[3...]), rsv: 4)],
                     perMessageDeflate: true) == [.failure(1002)])
        #expect(feed([clientFrame(9, [], rsv: 4)], perMessageDeflate: true) == [.failure(1002)])
        #expect(feed([clientFrame(8, [0x03, 0xE8], rsv: 4)], perMessageDeflate: true) == [.failure(1002)])
        #expect(feed([clientFrame(1, bytes, rsv: 2)], perMessageDeflate: true) == [.failure(1002)])
        #expect(feed([clientFrame(1, bytes, rsv: 1)], perMessageDeflate: true) == [.failure(1002)])
        // The size limit applies to the compressed message as it arrives (the inflated size is the inflater's).
        #expect(feed([clientFrame(2, [UInt8](repeating: 0, count: 1001), rsv: 4)], maxMessageBytes: 1000, perMessageDeflate: true)
                == [.failure(1009)])
    }

    @Test func invalidUTF8FailsFastEvenAcrossFragments() {
        // A sequence valid so far, split across fragments, stays alive; an impossible byte fails at once,
        // before the message's last fragment has arrived.
        let first = clientFrame(1, [0xCE, 0xBA, 0xE1], fin: false)
        let second = clientFrame(0, [0xBD, 0xB9], fin: false)
        #expect(feed([first, second]) == [])
        #expect(feed([first + second + clientFrame(0, [0xED, 0xA0, 0x80], fin: false)]) == [.failure(1007)])
        #expect(feed([clientFrame(1, [0xF4, 0x90], fin: false)]) == [.failure(1007)])
        // A message that ends inside a sequence.
        #expect(feed([clientFrame(1, [0x61, 0xE2, 0x82])]) == [.failure(1007)])
        // Binary messages are not checked.
        #expect(feed([clientFrame(2, [0xFF])]) == [.message(false, [0xFF])])
    }

    @Test func closeFrames() {
        #expect(feed([clientFrame(8, [])]) == [.close(nil)])
        #expect(feed([clientFrame(8, [0x03])]) == [.failure(1002)])
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 3000, 3999, 4000, 4999] {
            #expect(feed([clientFrame(8, [UInt8(code >> 8), UInt8(code & 0xFF)])]) == [.close(code)])
        }
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            #expect(feed([clientFrame(8, [UInt8(code >> 8), UInt8(code & 0xFF)])]) == [.failure(1002)])
        }
        #expect(feed([clientFrame(8, [0x03, 0xE8, 0xFF])]) == [.failure(1007)])
        #expect(feed([clientFrame(8, [0x03, 0xE8] + Array("ok é".utf8))]) == [.close(1000)])
    }

    @Test func controlFramesBetweenFragments() {
        let wire = clientFrame(1, Array("Hel".utf8), fin: false) + clientFrame(9, Array("p".utf8))
            + clientFrame(10, []) + clientFrame(0, Array("lo".utf8))
        #expect(feed([wire]) == [.ping(Array("p".utf8)), .pong([]), .message(true, Array("Hello".utf8))])
    }

    @Test func serverFramesAreUnmaskedWithMinimalLengths() {
        for (size, header) in [(0, [0x82, 0]), (125, [0x82, 125]), (126, [0x82, 126, 0, 126]),
                               (65_535, [0x82, 126, 0xFF, 0xFF]), (65_536, [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0])] as [(Int, [UInt8])] {
            let frame = WebSocketFrame.make(.binary, [UInt8](repeating: 7, count: size))
            #expect(Array(frame.bytes.prefix(header.count)) == header)
            #expect(frame.bytes.count == header.count + size && frame.payloadCount == size)
        }
        let close = WebSocketFrame.close(.goingAway, reason: String(repeating: "é", count: 100))
        #expect(close.bytes.count <= 127 && close.bytes[0] == 0x88 && close.bytes[2] == 0x03 && close.bytes[3] == 0xE9)
        #expect(UTF8Validator.isValid(UnsafeRawBufferPointer(rebasing: close.bytes[4...])))
    }

    @Test func unmaskingAtEveryPhaseAndLength() {
        for phase in 0..<4 {
            for length in 0..<40 {
                let mask: [UInt8] = [1, 2, 4, 8]
                let plain = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7) }
                var masked = plain.enumerated().map { $0.element ^ mask[($0.offset + phase) & 3] }
                let key = UInt32(mask[0]) | UInt32(mask[1]) << 8 | UInt32(mask[2]) << 16 | UInt32(mask[3]) << 24
                masked.withUnsafeMutableBytes { unmask($0, key, phase) }
                #expect(masked == plain)
            }
        }
    }
}

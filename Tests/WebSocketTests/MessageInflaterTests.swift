import CZlib
import Market
import Testing
@testable import WebSocket

/// Raw DEFLATE of `data` through zlib directly, ended by `flush` (Z_SYNC_FLUSH or Z_FINISH), with an
/// optional preset dictionary: streams the project's deflater never makes, for the inflater to read.
func zlibDeflate(_ data: [UInt8], flush: Int32, dictionary: [UInt8] = [], level: Int32 = 6) -> [UInt8] {
    var stream = z_stream()
    let counter = CompressionMemory()
    precondition(qz_deflate_init(&stream, level, 15, 8, counter.counter) == Z_OK)
    defer { deflateEnd(&stream) }
    if !dictionary.isEmpty {
        _ = dictionary.withUnsafeBytes { deflateSetDictionary(&stream, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt($0.count)) }
    }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 64)
    var input = data
    let produced = input.withUnsafeMutableBytes { inp in
        out.withUnsafeMutableBytes { o -> Int in
            stream.next_in = inp.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(inp.count)
            stream.next_out = o.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(o.count)
            _ = deflate(&stream, flush)
            return o.count - Int(stream.avail_out)
        }
    }
    return Array(out[0..<produced])
}

/// RFC 7692 §7.2.2: the inflater's handling of every block shape the RFC shows, of context takeover,
/// of the inflated-size limit (bombs) and of damaged input.
@Suite struct MessageInflaterTests {
    let hello = Array("Hello".utf8)

    @Test(arguments: [
        ("§7.2.3.1 compressed", [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00] as [UInt8]),
        ("§7.2.3.3 stored block", [0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x00]),
        ("§7.2.3.4 BFINAL set", [0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00]),
        ("§7.2.3.5 two blocks", [0xF2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xCA, 0xC9, 0xC9, 0x07, 0x00]),
    ])
    func everyRFCExampleInflatesToHello(what: String, payload: [UInt8]) throws {
        for takeover in [false, true] {
            let inflater = try #require(MessageInflater(contextTakeover: takeover))
            // Twice: the second shows the stream is ready for the next message after each shape.
            #expect(try inflater.inflate(payload, text: true).get() == hello, "\(what), takeover \(takeover)")
            #expect(try inflater.inflate(payload, text: true).get() == hello, "\(what) again, takeover \(takeover)")
        }
    }

    @Test func contextTakeoverCarriesTheWindowAndIsNeededForIt() throws {
        let second: [UInt8] = [0xF2, 0x00, 0x11, 0x00, 0x00]  // §7.2.3.2: "Hello" again, as a back reference
        let kept = try #require(MessageInflater(contextTakeover: true))
        #expect(try kept.inflate([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]).get() == hello)
        #expect(try kept.inflate(second).get() == hello)
        // Without the window the back reference points before the start: refused, not guessed.
        let alone = try #require(MessageInflater(contextTakeover: false))
        #expect(try alone.inflate([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]).get() == hello)
        #expect(alone.inflate(second).failureCode == 1007)
    }

    @Test func aFinalBlockKeepsTheWindowForTheNextMessage() throws {
        // A sender that ends each message with BFINAL (RFC 7692 §7.2.3.4) and keeps its context: the
        // second message is compressed against the first as a preset dictionary.
        let first = Array("the quick brown fox jumps over the lazy dog".utf8)
        let second = first + Array(" again".utf8)
        let inflater = try #require(MessageInflater(contextTakeover: true))
        #expect(try inflater.inflate(zlibDeflate(first, flush: Z_FINISH)).get() == first)
        let referring = zlibDeflate(second, flush: Z_FINISH, dictionary: first)
        #expect(referring.count < second.count / 2)
        #expect(try inflater.inflate(referring).get() == second)
    }

    @Test func aSmallPayloadThatInflatesPastTheLimitIsStoppedThere() throws {
        // 64 MiB of zeros in about 64 KiB: inflating stops one step past the 1 MiB limit.
        let bomb = zlibDeflate([UInt8](repeating: 0, count: 64 << 20), flush: Z_SYNC_FLUSH, level: 9).dropLast(4)
        #expect(bomb.count < 100_000)
        let inflater = try #require(MessageInflater(contextTakeover: false))
        var output: [UInt8] = []
        let outcome = Array(bomb).withUnsafeBytes { inflater.inflate($0, into: &output, limit: 1 << 20, text: false) }
        #expect(outcome == .failure(.messageTooBig, reason: "message inflates to more than 1048576 bytes"))
        #expect(output.count <= (1 << 20) + 16 * 1024)
        // The same inflater (no context) takes the next message.
        #expect(try inflater.inflate([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]).get() == hello)
        // Exactly at the limit is allowed.
        let exact = zlibDeflate([UInt8](repeating: 7, count: 4096), flush: Z_SYNC_FLUSH).dropLast(4)
        #expect(try inflater.inflate(Array(exact), limit: 4096).get().count == 4096)
        #expect(inflater.inflate(Array(exact), limit: 4095).failureCode == 1009)
    }

    @Test(arguments: [
        ("reserved block type", [0xFF, 0xFF, 0xFF] as [UInt8], UInt16(1007)),
        ("cut inside a block", [0xF2, 0x48, 0xCD], UInt16(1007)),
        ("stored block with a wrong length check", [0x00, 0x05, 0x00, 0xFB, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F], UInt16(1007)),
        ("text that is not UTF-8", [0x00, 0x02, 0x00, 0xFD, 0xFF, 0xC3, 0x28, 0x00], UInt16(1007)),
        ("text that ends inside a code point", [0x00, 0x01, 0x00, 0xFE, 0xFF, 0xC3, 0x00], UInt16(1007)),
    ])
    func damagedInputIsRefusedWithItsCode(what: String, payload: [UInt8], code: UInt16) throws {
        let inflater = try #require(MessageInflater(contextTakeover: false))
        #expect(inflater.inflate(payload, text: true).failureCode == code, "\(what)")
        #expect(try inflater.inflate([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]).get() == hello, "after \(what)")
    }

    @Test func textIsCheckedAcrossOutputSteps() throws {
        // 40 000 bytes of 3-byte code points: the 16 KiB steps cut through code points.
        let text = Array(String(repeating: "€", count: 13_333).utf8) + Array("!".utf8)
        let deflater = try #require(MessageDeflater(contextTakeover: false))
        let inflater = try #require(MessageInflater(contextTakeover: false))
        #expect(try inflater.inflate(try #require(deflater.compress(text)), text: true).get() == text)
    }

    @Test func randomCorruptionNeverCrashesOrPassesTheLimit() throws {
        let seed: UInt64 = 0xDEF1A7E
        var rng = SplitMix64(seed: seed)
        let deflater = try #require(MessageDeflater(contextTakeover: false))
        let inflater = try #require(MessageInflater(contextTakeover: false))
        var output: [UInt8] = []
        for round in 0..<500 {
            var payload = try #require(deflater.compress(sampleMessage(&rng, maxLength: 2000)))
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !payload.isEmpty {
                payload[Int.random(in: 0..<payload.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
            if Bool.random(using: &rng) { payload.removeLast(Int.random(in: 0...payload.count, using: &rng)) }
            let outcome = payload.withUnsafeBytes { inflater.inflate($0, into: &output, limit: 1500, text: true) }
            if case .failure(let code, _) = outcome {
                #expect([1007, 1009].contains(code.rawValue), "seed \(seed) round \(round): \(outcome)")
            }
            #expect(output.count <= 1501 + 16 * 1024, "seed \(seed) round \(round)")
        }
    }
}

extension Result where Failure == InflateFailure {
    /// The close code of a failure (nil on success).
    var failureCode: UInt16? {
        if case .failure(let f) = self { return f.code.rawValue }
        return nil
    }
}

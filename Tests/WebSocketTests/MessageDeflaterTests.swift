import Market
import Testing
@testable import WebSocket

/// Random messages that compress like the API's JSON: words from a small vocabulary, digits, and
/// now and then a run of arbitrary bytes (binary) or non-ASCII text.
func sampleMessage(_ rng: inout SplitMix64, maxLength: Int, text: Bool = true) -> [UInt8] {
    let words = ["{\"type\":\"quote\"", ",\"symbol\":\"AAPL\"", ",\"bids\":[", "[189.25,300]", ",\"seq\":", "é€😀", "}"]
    let target = Int.random(in: 0...maxLength, using: &rng)
    var out: [UInt8] = []
    while out.count < target {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<6: out += Array(words.randomElement(using: &rng)!.utf8)
        case 6..<9: out += Array(String(UInt64.random(in: 0...999_999, using: &rng)).utf8)
        default:
            let n = Int.random(in: 1...64, using: &rng)
            out += (0..<n).map { _ in text ? UInt8.random(in: 0x20...0x7E, using: &rng) : UInt8.random(in: 0...255, using: &rng) }
        }
    }
    if text {
        // Cut back to a code point boundary so the text stays valid UTF-8.
        while !UTF8Validator.isValid(out) { out.removeLast() }
    }
    return out
}

/// RFC 7692 §7.2: the deflater's output, byte for byte where the RFC gives it, and round trips
/// through the inflater for every window and context setting.
@Suite struct MessageDeflaterTests {
    let hello = Array("Hello".utf8)

    @Test func helloIsCompressedAsInRFC7692WithoutContextTakeover() throws {
        // §7.2.3.1: the same bytes for every message when the context is not kept.
        let deflater = try #require(MessageDeflater(contextTakeover: false))
        #expect(deflater.compress(hello) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        #expect(deflater.compress(hello) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
    }

    @Test func theSecondHelloRefersBackWithContextTakeover() throws {
        // §7.2.3.2: the second message is a back reference into the first.
        let deflater = try #require(MessageDeflater(contextTakeover: true))
        #expect(deflater.compress(hello) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        #expect(deflater.compress(hello) == [0xF2, 0x00, 0x11, 0x00, 0x00])
    }

    @Test func anEmptyMessageIsOneByte() throws {
        // §7.2.3.6: an empty message compresses to a single 0x00.
        let deflater = try #require(MessageDeflater(contextTakeover: false))
        #expect(deflater.compress([]) == [0x00])
        let inflater = try #require(MessageInflater(contextTakeover: false))
        #expect(try inflater.inflate([0x00]).get() == [])
    }

    @Test(arguments: [8, 9, 10, 12, 15], [false, true])
    func randomMessageSequencesRoundTrip(windowBits: Int, contextTakeover: Bool) throws {
        let seed = UInt64(windowBits * 2 + (contextTakeover ? 1 : 0)) &* 0x9E37_79B9
        var rng = SplitMix64(seed: seed)
        let deflater = try #require(MessageDeflater(maxWindowBits: windowBits, contextTakeover: contextTakeover))
        // The peer's inflater has exactly the promised window (zlib inflates 8-bit windows).
        let inflater = try #require(MessageInflater(windowBits: windowBits, contextTakeover: deflater.contextTakeover))
        var output: [UInt8] = []
        for round in 0..<200 {
            let text = Bool.random(using: &rng)
            let message = sampleMessage(&rng, maxLength: round % 20 == 0 ? 40_000 : 600, text: text)
            guard let payload = deflater.compress(message) else {
                #expect(windowBits == 8 && message.count > MessageDeflater.eightBitWindowLimit,
                        "seed \(seed) round \(round): refused a \(message.count)-byte message")
                continue
            }
            let outcome = payload.withUnsafeBytes { inflater.inflate($0, into: &output, limit: 1 << 20, text: text) }
            #expect(outcome == .inflated(count: message.count), "seed \(seed) round \(round)")
            #expect(Array(output.prefix(message.count)) == message, "seed \(seed) round \(round)")
        }
    }

    @Test func anEightBitWindowCompressesOnlyMessagesThatFitIt() throws {
        let deflater = try #require(MessageDeflater(maxWindowBits: 8, contextTakeover: true))
        #expect(!deflater.contextTakeover)
        let fits = [UInt8](repeating: 0x61, count: 256)
        #expect(deflater.compress(fits) != nil)
        #expect(deflater.compress(fits + [0x61]) == nil)
    }

    @Test func contextTakeoverMakesRepeatedMessagesSmaller() throws {
        var rng = SplitMix64(seed: 7)
        let quote = sampleMessage(&rng, maxLength: 450)
        let alone = try #require(MessageDeflater(contextTakeover: false))
        let kept = try #require(MessageDeflater(contextTakeover: true))
        _ = kept.compress(quote)
        let second = try #require(kept.compress(quote))
        let single = try #require(alone.compress(quote))
        #expect(second.count < single.count / 4, "\(second.count) vs \(single.count)")
    }

    @Test func zlibMemoryIsCountedAndReturned() throws {
        let memory = CompressionMemory()
        do {
            // zlib: 2^(windowBits+2) + 2^(memoryLevel+9) bytes plus its state of a few KiB.
            let deflater = try #require(MessageDeflater(maxWindowBits: 12, contextTakeover: true, memoryLevel: 5, memory: memory))
            let counted = memory.bytes
            #expect(counted >= (1 << 14) + (1 << 14) && counted <= (1 << 14) + (1 << 14) + 8 * 1024, "\(counted)")
            let inflater = try #require(MessageInflater(windowBits: 12, contextTakeover: true, memory: memory))
            _ = try inflater.inflate(try #require(deflater.compress(Array("a message to inflate".utf8)))).get()
            // Its window is allocated with the first message.
            #expect(memory.bytes - counted >= 1 << 12 && memory.bytes - counted <= (1 << 12) + 8 * 1024, "\(memory.bytes - counted)")
        }
        #expect(memory.bytes == 0)
    }
}

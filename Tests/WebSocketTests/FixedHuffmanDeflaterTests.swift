import Market
import Testing
@testable import WebSocket

/// The fixed-Huffman encoder of the shared short frames: its output is RFC 7692's where the RFC gives
/// it, and zlib's inflater (what every client runs, in effect) reads back every message exactly, with
/// a fresh context or one kept across messages, within the window the message's length promises.
@Suite struct FixedHuffmanDeflaterTests {
    @Test func helloIsCompressedAsInRFC7692() {
        // §7.2.3.1: "Hello" as one fixed-Huffman block, then the sync flush with 00 00 ff ff removed.
        let deflater = FixedHuffmanDeflater(maximumMessageBytes: 1024)
        #expect(deflater.compress(Array("Hello".utf8)) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        #expect(deflater.compress(Array("Hello".utf8)) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
    }

    @Test func anEmptyMessageInflatesToNothing() throws {
        let payload = FixedHuffmanDeflater(maximumMessageBytes: 64).compress([])
        let inflater = try #require(MessageInflater(contextTakeover: false))
        #expect(try inflater.inflate(payload).get() == [])
    }

    @Test(arguments: [(UInt64(1), 1024, 8), (2, 1024, 1), (3, 300, 8), (4, 32_768, 4)])
    func randomMessagesRoundTripThroughZlib(seed: UInt64, limit: Int, chainLimit: Int) throws {
        var rng = SplitMix64(seed: seed)
        let deflater = FixedHuffmanDeflater(maximumMessageBytes: limit, chainLimit: chainLimit)
        let fresh = try #require(MessageInflater(contextTakeover: false))
        // A client may keep its inflater's context even when the server keeps none: each payload must
        // inflate the same after the earlier ones (that it leaves the stream open, BFINAL 0, is pinned
        // by the RFC's bytes above: this project's inflater also recovers from a final block).
        let kept = try #require(MessageInflater(contextTakeover: true))
        let eightBit = try #require(MessageInflater(windowBits: 8, contextTakeover: false))
        for round in 0..<300 {
            let text = Bool.random(using: &rng)
            var message: [UInt8]
            switch round % 10 {
            case 0: message = [UInt8](repeating: UInt8.random(in: 0...255, using: &rng), count: Int.random(in: 0...limit, using: &rng))
            case 1: message = (0..<Int.random(in: 0...limit, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            default: message = sampleMessage(&rng, maxLength: limit, text: text)
            }
            message = Array(message.prefix(limit))
            let payload = deflater.compress(message)
            let context = "seed \(seed) round \(round): \(message.count) bytes"
            #expect(payload.count <= FixedHuffmanDeflater.bound(message.count), "\(context): \(payload.count)")
            #expect(try fresh.inflate(payload, limit: 1 << 16).get() == message, "\(context)")
            #expect(try kept.inflate(payload, limit: 1 << 16).get() == message, "\(context)")
            if message.count <= MessageDeflater.eightBitWindowLimit {
                #expect(try eightBit.inflate(payload, limit: 1 << 16).get() == message, "\(context)")
            }
        }
    }

    @Test func quotesCompressToUnderHalfAndLongRunsToAFewBytes() throws {
        var rng = SplitMix64(seed: 11)
        var text = Array("{\"type\":\"quote\",\"symbol\":\"AAPL\",\"bids\":[".utf8)
        while text.count < 450 {
            text += Array("[\"\(Int.random(in: 180...190, using: &rng)).\(Int.random(in: 10...99, using: &rng))00\",\(Int.random(in: 1...9, using: &rng) * 100)],".utf8)
        }
        let deflater = FixedHuffmanDeflater(maximumMessageBytes: 1024)
        let quote = deflater.compress(text)
        #expect(quote.count < text.count / 2, "\(quote.count) of \(text.count)")
        // 1 000 equal bytes: a literal, then matches of 258 at distance 1.
        let run = deflater.compress([UInt8](repeating: 0x30, count: 1000))
        #expect(run.count < 20, "\(run.count)")
        #expect(try #require(MessageInflater(contextTakeover: false)).inflate(run).get() == [UInt8](repeating: 0x30, count: 1000))
    }

    @Test func noMatchReachesIntoAnEarlierMessage() throws {
        // The hash table holds offsets in the message and is cleared per message (over the entries
        // the message's size uses): a long message's entries must not be taken for a shorter one's,
        // whatever the order of sizes (each size class uses a different part of the table).
        let deflater = FixedHuffmanDeflater(maximumMessageBytes: 1024)
        let inflater = try #require(MessageInflater(contextTakeover: false))
        var rng = SplitMix64(seed: 5)
        for i in 0..<200 {
            let length = [1024, 700, 300, 100, 20, 5, 900, 64][i % 8]
            // Repeated words, so the table is full of candidates when the next message comes.
            let words = ["{\"bids\":", "[\"189.25\",", "200],", "\"asks\":", "null,"]
            var m: [UInt8] = []
            while m.count < length { m += Array(words[Int.random(in: 0..<words.count, using: &rng)].utf8) }
            m = Array(m.prefix(length))
            #expect(try inflater.inflate(deflater.compress(m)).get() == m, "message \(i), \(length) bytes")
        }
    }

    @Test func theHashTableFitsTheMessage() {
        #expect(FixedHuffmanDeflater.hashBits(0) == 8)
        #expect(FixedHuffmanDeflater.hashBits(150) == 10)  // a depth-1 quote: 1 024 entries
        #expect(FixedHuffmanDeflater.hashBits(475) == 11)  // a depth-10 quote: 2 048 entries, 4 KiB
        #expect(FixedHuffmanDeflater.hashBits(1024) == FixedHuffmanDeflater.maximumHashBits)
        #expect(FixedHuffmanDeflater.hashBits(32_768) == FixedHuffmanDeflater.maximumHashBits)
    }

    @Test func itsTablesAreCountedWhileItLives() {
        let memory = CompressionMemory()
        do {
            let deflater = FixedHuffmanDeflater(maximumMessageBytes: 1024, memory: memory)
            _ = deflater.compress(Array("counted".utf8))
            // 4 096 hash entries of 2 bytes, 2 bytes a message byte (the chain), 2 KiB of codes.
            #expect(memory.bytes > 12 * 1024 && memory.bytes < 13 * 1024, "\(memory.bytes)")
        }
        #expect(memory.bytes == 0)
    }
}

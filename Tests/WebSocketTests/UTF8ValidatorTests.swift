import Market
import Testing
@testable import WebSocket

/// The incremental UTF-8 validator: RFC 3629's edge cases, agreement with the standard library on
/// random bytes, and the same answer however the input is split into chunks.
@Suite struct UTF8ValidatorTests {
    @Test(arguments: [
        ([0x41], true), ([0xC2, 0x80], true), ([0xDF, 0xBF], true), ([0xE0, 0xA0, 0x80], true),
        ([0xED, 0x9F, 0xBF], true), ([0xEF, 0xBF, 0xBF], true), ([0xF0, 0x90, 0x80, 0x80], true),
        ([0xF4, 0x8F, 0xBF, 0xBF], true), ([0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5], true),
        ([0x80], false), ([0xBF], false), ([0xC0, 0x80], false), ([0xC1, 0xBF], false), ([0xE0, 0x80, 0x80], false),
        ([0xED, 0xA0, 0x80], false), ([0xF0, 0x80, 0x80, 0x80], false), ([0xF4, 0x90, 0x80, 0x80], false),
        ([0xF5, 0x80, 0x80, 0x80], false), ([0xFE], false), ([0xFF], false), ([0xC2], false), ([0xE1, 0x80], false),
    ] as [([UInt8], Bool)])
    func edgeCases(bytes: [UInt8], valid: Bool) {
        #expect(UTF8Validator.isValid(bytes) == valid)
    }

    @Test func agreesWithTheStandardLibraryOnRandomBytes() {
        // Seeded: every run checks the same inputs, and a failure prints the seed with its bytes.
        let seed: UInt64 = 0x07F8_7A11D
        var rng = SplitMix64(seed: seed)
        let pieces: [[UInt8]] = [[0x41], [0x7F], [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0x80], [0xC0],
                                 [0xED, 0xA0], [0xF4, 0x90], [0xE0], [0xF0], [0xBF], [0xFF]]
        for _ in 0..<3_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &rng) { bytes += pieces.randomElement(using: &rng)! }
            if Bool.random(using: &rng) { bytes += (0..<Int.random(in: 0...20, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(UTF8Validator.isValid(bytes) == expected, "seed \(seed): \(bytes)")
            // The same verdict however the bytes are cut.
            var v = UTF8Validator()
            var ok = true
            var i = 0
            while i < bytes.count && ok {
                let n = Int.random(in: 1...4, using: &rng)
                let end = min(bytes.count, i + n)
                ok = bytes[i..<end].withUnsafeBytes { v.validate($0) }
                i = end
            }
            #expect((ok && v.isComplete) == expected, "seed \(seed): \(bytes)")
        }
    }

    @Test func longASCIIRunsTakeTheFastPathAndStillCatchALateError() {
        var bytes = [UInt8](repeating: 0x61, count: 1000)
        #expect(UTF8Validator.isValid(bytes))
        bytes[997] = 0xC3
        #expect(!UTF8Validator.isValid(bytes))
    }
}

import Testing
import Market
@testable import ITCH

extension ITCHHeader {
    static func random(using rng: inout SplitMix64) -> ITCHHeader {
        ITCHHeader(stockLocate: .random(in: .min ... .max, using: &rng),
                   trackingNumber: .random(in: .min ... .max, using: &rng),
                   timestamp: .random(in: 0...0xFFFF_FFFF_FFFF, using: &rng))
    }
}

func randomSymbol(using rng: inout SplitMix64) -> Symbol {
    let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    let n = Int.random(in: 1...8, using: &rng)
    return Symbol(String((0..<n).map { _ in letters.randomElement(using: &rng)! }))!
}

/// Encodes one message into a fresh byte array of exactly `length` bytes.
func encodeMessage(length: Int, _ body: (UnsafeMutableRawPointer) -> Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0xEE, count: length)
    let written = bytes.withUnsafeMutableBytes { body($0.baseAddress!) }
    #expect(written == length)
    return bytes
}

struct DecodeFailure: Error { let result: String }

/// Decodes `bytes` as one framed message and hands the message to `check`.
func decodeMessage(_ bytes: [UInt8], _ check: (ITCHMessage) throws -> Void) throws {
    try bytes.withUnsafeBytes { raw in
        switch ITCHDecoder.decode(raw) {
        case .message(let m): try check(m)
        case let other: throw DecodeFailure(result: "\(other)")
        }
    }
}

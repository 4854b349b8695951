import Market

/// Plausible ticker symbols: 1–5 upper-case letters, mostly 3 and 4 like Nasdaq's, with letters
/// drawn by how often they start and fill real tickers, so the list reads like a market and not
/// like line noise.
enum TickerNames {
    /// Letters weighted roughly by their frequency in listed tickers.
    private static let letters = Array("AAAABBBCCCCDDEEEFFGGHHIIIJKLLLMMMNNNOOPPPQRRRSSSSTTTUUVVWXYZ".utf8)

    /// `count` distinct symbols derived from `seed` alone (independent of the order-flow stream).
    static func generate(count: Int, seed: UInt64) -> [Symbol] {
        var rng = SplitMix64(seed: seed ^ 0x7469_636B_6572_7321)  // "tickers!"
        var seen = Set<Symbol>()
        var symbols: [Symbol] = []
        symbols.reserveCapacity(count)
        while symbols.count < count {
            let r = rng.next()
            // Length: 1 letter 1%, 2 letters 6%, 3 letters 30%, 4 letters 58%, 5 letters 5%.
            let roll = r % 100
            let length = roll < 1 ? 1 : roll < 7 ? 2 : roll < 37 ? 3 : roll < 95 ? 4 : 5
            var raw: UInt64 = 0x2020_2020_2020_2020
            var bits = rng.next()
            for i in 0..<length {
                let letter = letters[Int(bits % UInt64(letters.count))]
                bits /= UInt64(letters.count)
                raw &= ~(UInt64(0xFF) << (8 * UInt64(i)))
                raw |= UInt64(letter) << (8 * UInt64(i))
            }
            let symbol = Symbol(raw: raw)
            if seen.insert(symbol).inserted { symbols.append(symbol) }
        }
        return symbols
    }
}

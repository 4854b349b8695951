@testable import Ticker

/// Canned gateway messages and states for the tests: prices and times are fixed, so screens are too.
enum TickerFixtures {
    /// 09:30:00 in ns since midnight.
    static let open: UInt64 = 34_200 * 1_000_000_000
    /// A wall clock: 2026-01-02 14:30:00 UTC, ns.
    static let wall: UInt64 = 1_767_364_200 * 1_000_000_000

    static func levels(_ best: Int64, step: Int64, sizes: [Int64]) -> [BookLevel] {
        sizes.enumerated().map { i, s in BookLevel(price: best + step * Int64(i), size: s) }
    }

    static func stamp(_ symbol: String, _ seq: UInt64, ms: UInt64 = 0) -> MarketStamp {
        MarketStamp(symbol: symbol, seq: seq, ts: open + ms * 1_000_000, rt: wall - 400_000)
    }

    static func snapshot(_ symbol: String, bid: Int64, last: Int64?, volume: UInt64, status: String = "trading",
                         depth: Int = 1) -> TickerMessage {
        let bidSizes: [Int64] = [300, 500, 200, 800, 1200, 400, 600, 100, 900, 700]
        let askSizes: [Int64] = [100, 400, 700, 300, 200, 1000, 500, 800, 250, 600]
        return .snapshot(stamp(symbol, 1), status: status,
                         bids: levels(bid, step: -100, sizes: Array(bidSizes.prefix(depth))),
                         asks: levels(bid + 100, step: 100, sizes: Array(askSizes.prefix(depth))),
                         last: last.map { BookLevel(price: $0, size: 100) }, volume: volume)
    }

    /// A table of five symbols: moves up, down, halted, never traded, unknown.
    static func tableState() -> TickerState {
        var s = TickerState(url: "ws://127.0.0.1:8080/v1/stream", symbols: ["AAPL", "MSFT", "NVDA", "QQQ", "NOPE"])
        s.connectionOpened()
        s.advance(now: 1_000_000_000, wallNow: wall)
        s.apply(.subscribed(["AAPL", "MSFT", "NVDA", "QQQ"]))
        s.apply(.error(code: "unknown_symbol", message: "unknown symbol NOPE", symbols: ["NOPE"]))
        s.apply(snapshot("AAPL", bid: 1_892_500, last: 1_892_600, volume: 123_400))
        s.apply(snapshot("MSFT", bid: 4_150_100, last: 4_150_200, volume: 2_345_678))
        s.apply(snapshot("NVDA", bid: 1_201_000, last: 1_201_100, volume: 98_765, status: "halted"))
        s.apply(snapshot("QQQ", bid: 5_020_000, last: nil, volume: 0))
        s.apply(.trade(stamp("AAPL", 2, ms: 5), price: 1_893_800, size: 200, side: "B"))
        s.apply(.trade(stamp("MSFT", 2, ms: 7), price: 4_148_000, size: 50, side: "S"))
        s.apply(.quote(stamp("AAPL", 3, ms: 9), bids: levels(1_893_700, step: -100, sizes: [400]),
                       asks: levels(1_893_800, step: 100, sizes: [150]), conflated: false))
        s.advance(now: 2_000_000_000, wallNow: wall + 1_000_000_000)  // flashes over; rate window rolled
        return s
    }

    /// The ladder of AAPL with a few trades.
    static func ladderState() -> TickerState {
        var s = TickerState(url: "ws://127.0.0.1:8080/v1/stream", symbols: [], depthSymbol: "AAPL")
        s.connectionOpened()
        s.advance(now: 1_000_000_000, wallNow: wall)
        s.apply(snapshot("AAPL", bid: 1_892_500, last: 1_892_600, volume: 123_400, depth: 10))
        var price: Int64 = 1_892_600
        for i in 0..<6 {
            price += i % 3 == 2 ? -100 : 100
            s.apply(.trade(stamp("AAPL", UInt64(2 + i), ms: UInt64(100 * i)), price: price, size: Int64(100 * (i + 1)),
                           side: i % 2 == 0 ? "B" : "S"))
        }
        s.advance(now: 2_000_000_000, wallNow: wall + 1_000_000_000)
        return s
    }
}

extension TickerFixtures {
    /// Never connected: the third attempt is 2.5 s away.
    static func downState() -> TickerState {
        var s = TickerState(url: "ws://127.0.0.1:9/v1/stream", symbols: ["AAPL", "MSFT"])
        s.advance(now: 1_000_000_000, wallNow: wall)
        s.connection = .waiting(attempt: 3, retryAt: s.now + 2_500_000_000, reason: "connect: Connection refused")
        return s
    }
}

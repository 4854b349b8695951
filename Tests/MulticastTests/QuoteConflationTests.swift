import Market
import Multicast
import Testing

/// The quotes a feed node over its budget holds back: one per instrument, the newest, flagged when
/// it replaced others, with the shallowest change of those it replaced; released oldest instrument first.
@Suite struct QuoteConflationTests {
    func quote(_ symbol: String, locate: UInt16, seq: UInt64, changed: UInt8, bid: UInt32) -> Tick {
        var t = Tick()
        t.symbol = Symbol(symbol)!
        t.locate = locate
        t.seq = seq
        t.changedLevel = changed
        t.bidCount = 1
        t.bids[0] = PriceLevel(price: bid, size: 100)
        return t
    }

    @Test func theNewestQuoteReplacesTheUnsentOneAndSaysSo() throws {
        let held = QuoteConflation(channels: 2)
        #expect(held.hold(quote("AAPL", locate: 7, seq: 10, changed: 3, bid: 100), channel: 1))
        #expect(held.hold(quote("MSFT", locate: 9, seq: 4, changed: 0, bid: 200), channel: 1))
        #expect(held.hold(quote("AAPL", locate: 7, seq: 11, changed: 1, bid: 101), channel: 1))
        #expect(held.hold(quote("AAPL", locate: 7, seq: 12, changed: 5, bid: 102), channel: 1))
        #expect(held.pendingCount == [0, 2])
        #expect(held.conflated == [0, 2])

        let first = try #require(held.takeOldest(channel: 1))
        #expect(first.symbol == Symbol("AAPL")! && first.seq == 12 && first.bids[0].price == 102)
        #expect(first.flags & Tick.Flags.conflated != 0)
        #expect(first.changedLevel == 1, "the shallowest level any replaced quote changed")
        let second = try #require(held.takeOldest(channel: 1))
        #expect(second.symbol == Symbol("MSFT")! && second.flags & Tick.Flags.conflated == 0, "replaced nothing")
        #expect(held.takeOldest(channel: 1) == nil && held.pendingCount == [0, 0])
    }

    @Test func aQuoteTakenOutBeforeItsTurnIsNotReleasedTwice() throws {
        let held = QuoteConflation(channels: 1)
        _ = held.hold(quote("A", locate: 1, seq: 1, changed: 0, bid: 1), channel: 0)
        _ = held.hold(quote("B", locate: 2, seq: 1, changed: 0, bid: 1), channel: 0)
        // A trade of A comes: its quote goes first, out of turn.
        #expect(held.hasPending(locate: 1))
        #expect(held.take(locate: 1).seq == 1)
        _ = held.hold(quote("A", locate: 1, seq: 3, changed: 0, bid: 2), channel: 0)
        var released: [(Symbol, UInt64)] = []
        while let t = held.takeOldest(channel: 0) { released.append((t.symbol, t.seq)) }
        #expect(released.count == 2, "each pending quote once")
        #expect(released.contains { $0 == (Symbol("A")!, 3) } && released.contains { $0 == (Symbol("B")!, 1) })
    }

    @Test func aReusedLocateIsNotMerged() {
        let held = QuoteConflation(channels: 1)
        #expect(held.hold(quote("OLD", locate: 5, seq: 1, changed: 0, bid: 1), channel: 0))
        #expect(!held.hold(quote("NEW", locate: 5, seq: 1, changed: 0, bid: 1), channel: 0), "the caller sends the old one first")
    }
}

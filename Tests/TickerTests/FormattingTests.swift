import Testing
@testable import Ticker

/// Number, time and key formatting: locale-free, the same on every machine.
@Suite struct FormattingTests {
    @Test func prices() {
        #expect(TickerFormat.price(1_892_500) == "189.2500")
        #expect(TickerFormat.price(1_892_500, decimals: 2) == "189.25")
        #expect(TickerFormat.price(5, decimals: 4) == "0.0005")
        #expect(TickerFormat.change(-1_200, decimals: 2) == "-0.12")
        #expect(TickerFormat.change(0, decimals: 2) == "0.00")
        #expect(TickerFormat.change(100, decimals: 4) == "+0.0100")
    }

    @Test func percentsAndCounts() {
        #expect(TickerFormat.percent(0.0634) == "+0.06%")
        #expect(TickerFormat.percent(-12.345) == "-12.35%")
        #expect(TickerFormat.percent(-0.001) == "0.00%")
        #expect(TickerFormat.grouped(1_234_567) == "1,234,567")
        #expect(TickerFormat.grouped(999) == "999")
        #expect(TickerFormat.count(123_456_789, width: 9) == "123M")
        #expect(TickerFormat.count(1_234_567_890, width: 9) == "1.2B")
        #expect(TickerFormat.count(12_345, width: 5) == "12.3K")
    }

    @Test func latenciesAndClocks() {
        #expect(TickerFormat.latency(420_000) == "0.42 ms")
        #expect(TickerFormat.latency(12_345_678) == "12.3 ms")
        #expect(TickerFormat.latency(250_000_000) == "250 ms")
        #expect(TickerFormat.latency(1_500_000_000) == "1.5 s")
        #expect(TickerFormat.clock(34_200_123_000_000, millis: true) == "09:30:00.123")
        #expect(TickerFormat.clock(1_767_364_201_000_000_000) == "14:30:01")
    }

    @Test func keys() {
        #expect(KeyDecoder.keys(Array("q".utf8)) == [.quit])
        #expect(KeyDecoder.keys([0x03]) == [.quit])
        #expect(KeyDecoder.keys([0x09, 0x1B, 0x5B, 0x41, 0x1B, 0x5B, 0x42, 0x6A, 0x6B]) == [.toggleView, .up, .down, .down, .up])
        #expect(KeyDecoder.keys([0x1B, 0x5B, 0x35, 0x7E, 0x1B, 0x5B, 0x36, 0x7E, 0x0C]) == [.pageUp, .pageDown, .redraw])
        #expect(KeyDecoder.keys(Array("xyz".utf8) + [0x1B]) == [])
    }
}

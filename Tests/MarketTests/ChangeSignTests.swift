import Foundation
import Testing
@testable import Market

/// The change sign of a Korean screen (KOSCOM's 1 상한 … 5 하락) at each boundary, and where the
/// JSON carries it.
@Suite struct ChangeSignTests {
    /// 005930 on a day with base 71 000, limits 92 300 / 49 700, tick 100 won.
    func sign(_ price: UInt32) -> ChangeSign? {
        ChangeSign.of(price: price, reference: 71_000, upperLimit: 92_300, lowerLimit: 49_700)
    }

    @Test func eachBoundary() {
        #expect(sign(92_300) == .upperLimit)       // exactly at the upper limit
        #expect(sign(92_200) == .up)               // one tick under it
        #expect(sign(71_100) == .up)
        #expect(sign(71_000) == .unchanged)        // equal to the reference
        #expect(sign(70_900) == .down)
        #expect(sign(49_800) == .down)             // one tick over the lower limit
        #expect(sign(49_700) == .lowerLimit)       // exactly at the lower limit
        #expect(ChangeSign.of(price: 71_000, reference: 0, upperLimit: 92_300, lowerLimit: 49_700) == nil)  // no reference
        #expect(ChangeSign.of(price: 0, reference: 71_000) == nil)                                          // no price
        // Without limits (Nasdaq): up, unchanged, down only.
        #expect(ChangeSign.of(price: 4_294_967_295, reference: 1_875_000) == .up)
        #expect(ChangeSign.of(price: 1, reference: 1_875_000) == .down)
        #expect(ChangeSign.allCases.map(\.rawValue) == [1, 2, 3, 4, 5])
        #expect(ChangeSign.allCases.map(\.name) == ["upper_limit", "up", "unchanged", "lower_limit", "down"])
    }

    func trade(_ price: UInt32) -> Tick {
        var t = Tick()
        t.kind = .trade
        t.symbol = Symbol("005930")!
        t.seq = 5
        t.tradePrice = price
        t.tradeSize = 10
        t.volume = 10
        t.side = UInt8(ascii: "B")
        return t
    }

    func encoded(_ t: Tick, sign: ChangeSign?) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TickJSON.maxLength) { buf in
            let n = TickJSON.encode(t, decimals: 0, sign: sign, into: buf.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
    }

    @Test func aTradeCarriesItsSignOnlyWhenGivenOne() throws {
        #expect(encoded(trade(92_300), sign: sign(92_300)).hasSuffix(#""price":"92300","size":10,"side":"B","sign":"upper_limit"}"#))
        #expect(encoded(trade(49_700), sign: sign(49_700)).hasSuffix(#""side":"B","sign":"lower_limit"}"#))
        // No sign: byte for byte the trade as before.
        #expect(encoded(trade(71_000), sign: nil) == TickJSON.string(trade(71_000), decimals: 0))
        #expect(!encoded(trade(71_000), sign: nil).contains("sign"))
        _ = try JSONSerialization.jsonObject(with: Data(encoded(trade(92_200), sign: .up).utf8))
    }

    func snapshot(_ price: UInt32, reference: UInt32, instrument: InstrumentReference?) -> String {
        let s = DayStatistics(open: price, high: price, low: price, reference: reference, tradeCount: 1, value: UInt64(price) * 10)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TickJSON.maxLength) { buf in
            let n = TickJSON.encodeSnapshot(trade(price), hasTraded: true, statistics: s, instrument: instrument, into: buf.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
    }

    @Test func aSnapshotCarriesTheSignAfterTheChange() {
        let krx = InstrumentReference(market: .krx, decimals: 0, referencePrice: 71_000, upperLimit: 92_300, lowerLimit: 49_700)
        #expect(snapshot(92_300, reference: 71_000, instrument: krx).contains(#""change":"21300","change_pct":"30.00","sign":"upper_limit","open""#))
        #expect(snapshot(92_200, reference: 71_000, instrument: krx).contains(#""change_pct":"29.86","sign":"up","open""#))
        #expect(snapshot(71_000, reference: 71_000, instrument: krx).contains(#""change":"0","change_pct":"0.00","sign":"unchanged","open""#))
        #expect(snapshot(49_700, reference: 71_000, instrument: krx).contains(#""change_pct":"-30.00","sign":"lower_limit","open""#))
        // No reference: change, change % and sign unknown, no sign field.
        #expect(snapshot(71_000, reference: 0, instrument: nil).contains(#""reference":null,"change":null,"change_pct":null,"open""#))
        // Nasdaq with a reference (previous close or opening cross) and no limits: up/unchanged/down.
        #expect(snapshot(1_892_600, reference: 1_875_000, instrument: nil).contains(#""change":"1.7600","change_pct":"0.94","sign":"up","open""#))
    }
}

import Testing
import Market
import ITCH
@testable import OrderBook

/// Random order flow checked against a brute-force reference model: after every message the engine's
/// quotes must equal the model's top 10, a quote must appear exactly when the model's top 10 changed,
/// and the engine's internal invariants must hold at the end.
@Suite struct BookPropertyTests {
    struct ModelOrder { var locate: UInt16; var buy: Bool; var price: UInt32; var shares: UInt32 }

    /// The model's top 10 levels of one side, best first.
    static func top(_ orders: [UInt64: ModelOrder], locate: UInt16, buy: Bool) -> [[UInt32]] {
        var levels: [UInt32: UInt64] = [:]
        for o in orders.values where o.locate == locate && o.buy == buy { levels[o.price, default: 0] += UInt64(o.shares) }
        let prices = levels.keys.sorted(by: buy ? (>) : (<)).prefix(10)
        return prices.map { [$0, UInt32(levels[$0]!)] }
    }

    /// Prices per side an add picks from, and adds made before the mixed flow starts. Narrow books
    /// (30 prices, no warm-up) stay mostly within the ladder's linear search; deep ones (200 prices,
    /// about 80 levels per side after 600 adds) take its binary search below the best 32 levels.
    @Test(arguments: zip([1, 2, 3, 4, 5, 6] as [UInt64], [30, 30, 30, 30, 200, 200]))
    func randomFlowMatchesTheReferenceModel(seed: UInt64, prices: Int) {
        let warmupAdds = prices > 30 ? 600 : 0
        var rng = SplitMix64(seed: seed)
        let d = BookDriver()
        var model: [UInt64: ModelOrder] = [:]
        var nextRef: UInt64 = 1
        var volume: [UInt16: UInt64] = [:]
        var tops: [UInt16: [[[UInt32]]]] = [:]
        let locates: [UInt16] = [1, 2, 3]
        for step in 0..<6000 {
            let locate = locates.randomElement(using: &rng)!
            let live = model.keys.sorted()  // sorted: Dictionary order differs per process
            let roll = Int.random(in: 0..<100, using: &rng)
            var touched = locate
            var expectTrade = false
            var produced: [Tick]
            if roll < 40 || live.isEmpty || step < warmupAdds {
                let buy = Bool.random(using: &rng)
                let price = UInt32(1000 + (buy ? 0 : prices / 2) + Int.random(in: 0..<prices, using: &rng)) * 100
                let shares = UInt32.random(in: 1...500, using: &rng)
                produced = d.add(locate, nextRef, buy: buy, shares, price, symbol: "S\(locate)")
                model[nextRef] = ModelOrder(locate: locate, buy: buy, price: price, shares: shares)
                nextRef += 1
            } else if roll < 95 {
                let ref = live.randomElement(using: &rng)!
                var o = model[ref]!
                touched = o.locate
                switch roll {
                case 40..<55:
                    produced = d.delete(ref)
                    model[ref] = nil
                case 55..<65:
                    let n = UInt32.random(in: 1...o.shares, using: &rng)
                    produced = d.cancel(ref, n)
                    o.shares -= n
                    model[ref] = o.shares == 0 ? nil : o
                case 65..<80:
                    let n = UInt32.random(in: 1...o.shares, using: &rng)
                    produced = d.execute(ref, n)
                    o.shares -= n
                    model[ref] = o.shares == 0 ? nil : o
                    volume[touched, default: 0] += UInt64(n)
                    expectTrade = true
                default:
                    // Sometimes the same price and size: only the reference changes (no quote).
                    let same = Int.random(in: 0..<5, using: &rng) == 0
                    let price = same ? o.price : o.price + UInt32(Int.random(in: 0...4, using: &rng)) * 100
                    let shares = same ? o.shares : UInt32.random(in: 1...500, using: &rng)
                    produced = d.replace(ref, new: nextRef, shares, price, locate: o.locate)
                    model[ref] = nil
                    model[nextRef] = ModelOrder(locate: o.locate, buy: o.buy, price: price, shares: shares)
                    nextRef += 1
                }
            } else {
                // A reference the feed never announced (mid-session join): no effect at all.
                produced = d.execute(1_000_000 + UInt64(step), 10)
                #expect(produced.isEmpty)
                continue
            }
            let bids = Self.top(model, locate: touched, buy: true)
            let asks = Self.top(model, locate: touched, buy: false)
            let changed = tops[touched] != [bids, asks]
            tops[touched] = [bids, asks]
            let quotes = produced.filter { $0.kind == .quote }
            let trades = produced.filter { $0.kind == .trade }
            #expect(quotes.count == (changed ? 1 : 0), "step \(step): quote iff the top 10 changed")
            #expect(trades.count == (expectTrade ? 1 : 0), "step \(step)")
            if let q = quotes.first {
                #expect(q.bidPairs == bids, "step \(step) bids")
                #expect(q.askPairs == asks, "step \(step) asks")
                #expect(q.locate == touched && q.volume == volume[touched, default: 0])
            }
            if let t = trades.first { #expect(t.volume == volume[touched, default: 0]) }
        }
        #expect(d.engine.checkInvariants() == nil)
        #expect(d.engine.restingOrders == model.count)
        // Per-symbol sequence numbers run 1, 2, 3, … without gaps.
        for locate in locates {
            let seqs = d.ticks.filter { $0.locate == locate }.map(\.seq)
            #expect(seqs == Array(1...UInt64(seqs.count)))
        }
    }

    @Test func orderHashTableMatchesADictionaryThroughGrowthAndDeletes() {
        var rng = SplitMix64(seed: 99)
        var table = OrderHashTable(initialCapacity: 16, limit: 1 << 20)
        var reference: [UInt64: UInt32] = [:]
        for i in 0..<60_000 {
            let ref = UInt64.random(in: 1...5000, using: &rng) &* (i % 3 == 0 ? 0x1_0000_0001 : 1)
            if Bool.random(using: &rng) {
                let result = table.insert(reference: ref, price: UInt32(i), shares: 1, locate: 0, isBuy: true)
                if reference[ref] == nil {
                    #expect(result == .inserted)
                    reference[ref] = UInt32(i)
                } else {
                    #expect(result == .duplicate)
                }
            } else if let slot = table.find(ref) {
                #expect(reference[ref] == table[slot].price)
                table.remove(at: slot)
                reference[ref] = nil
            } else {
                #expect(reference[ref] == nil)
            }
        }
        #expect(table.count == reference.count)
        for (ref, price) in reference { #expect(table.find(ref).map { table[$0].price } == price) }
    }

    /// The order window's memory: zeroed (an all-zero slot is empty), 2 MiB aligned so the kernel
    /// can back it with huge pages, writable to its last byte.
    @Test func zeroedMappingIsAlignedZeroedAndWritable() {
        let size = 3 << 20 + 12_345
        let m = ZeroedMapping(byteCount: size)
        defer { m.unmap() }
        #expect(Int(bitPattern: m.base) % ZeroedMapping.hugePage == 0)
        let bytes = m.base.assumingMemoryBound(to: UInt8.self)
        for offset in stride(from: 0, to: size, by: 4093) { #expect(bytes[offset] == 0) }
        bytes[size - 1] = 0xAB
        bytes[0] = 0xCD
        #expect(bytes[size - 1] == 0xAB && bytes[0] == 0xCD)
    }

    /// The window + hash table facade, with a 16-slot window so that most references collide and
    /// spill into the hash table: it must still behave exactly like a dictionary.
    @Test(arguments: [4, 10] as [Int])
    func orderTableMatchesADictionaryThroughWindowCollisions(windowBits: Int) {
        var rng = SplitMix64(seed: UInt64(windowBits))
        var table = OrderTable(initialCapacity: 16, windowBits: windowBits, limit: 1 << 20)
        var reference: [UInt64: (price: UInt32, locate: UInt16, buy: Bool)] = [:]
        var next: UInt64 = 1
        for i in 0..<40_000 {
            let roll = Int.random(in: 0..<10, using: &rng)
            if roll < 5 {
                // Mostly rising references, sometimes an old or a far one.
                let ref = roll == 0 ? UInt64.random(in: 1...next + 5000, using: &rng) : next
                next += UInt64.random(in: 1...3, using: &rng)
                let locate = UInt16.random(in: 0...UInt16.max, using: &rng)
                let buy = Bool.random(using: &rng)
                let result = table.insert(reference: ref, price: UInt32(i), shares: 7, locate: locate, isBuy: buy)
                #expect(result == (reference[ref] == nil ? .inserted : .duplicate))
                if reference[ref] == nil { reference[ref] = (UInt32(i), locate, buy) }
            } else {
                let ref = reference.isEmpty || roll == 9 ? UInt64.random(in: 1...next, using: &rng)
                                                         : reference.keys.min()! + UInt64(roll)
                if let handle = table.find(ref) {
                    let o = table[handle]
                    #expect(reference[ref]?.price == o.price && reference[ref]?.locate == o.locate
                            && reference[ref]?.buy == o.isBuy && o.reference == ref)
                    if roll % 2 == 0 {
                        table[handle].shares = 3
                        #expect(table.find(ref).map { table[$0].shares } == 3)
                    }
                    table.remove(at: handle)
                    reference[ref] = nil
                } else {
                    #expect(reference[ref] == nil)
                }
            }
        }
        #expect(table.count == reference.count)
        if windowBits == 4 { #expect(table.overflowCount > 0) }
        for (ref, value) in reference { #expect(table.find(ref).map { table[$0].price } == value.price) }
        var seen = 0
        table.forEach { _ in seen += 1 }
        #expect(seen == reference.count)
        #expect(table.find(0) == nil)
        #expect(table.insert(reference: 0, price: 1, shares: 1, locate: 0, isBuy: true) == .outOfRange)
    }
}

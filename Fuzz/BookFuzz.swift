// Fuzz target `book`: the input is a day-file; every message is applied to a fresh `BookEngine`
// (OrderBook module), and the engine's invariants (ladders sorted, level aggregates equal to the
// resting orders, order table consistent) must hold afterwards. Bad frames must be counted, never
// crash, hang or corrupt a book.

import ITCH
import Market
import OrderBook

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    [("flow-a.itch", seedDayFile(seedOrderFlow(seed: 4, count: 150))),
     ("flow-b.itch", seedDayFile(seedOrderFlow(seed: 5, count: 400)))]
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // A small order table keeps each run cheap; the limit path (adds refused) gets fuzzed too.
    let engine = BookEngine(configuration: BookConfiguration(maxOrders: 4096, initialOrderCapacity: 64, orderWindowBits: 6))
    let ticks = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)
    defer { ticks.deallocate() }
    var produced = 0
    DayFileReader(bytes: UnsafeRawBufferPointer(start: data, count: size)).forEach { message in
        let n = engine.apply(message.base, length: message.length, receiveTime: 1, into: ticks)
        if n < 0 || n > BookEngine.maxTicksPerMessage { propertyFailed("apply returned \(n) ticks") }
        produced += n
    }
    if let problem = engine.checkInvariants() { propertyFailed("book invariant: \(problem)") }
    keep(UInt64(produced))
    return 0
}

// Fuzz target `dayfile`: the input is a day-file. Every framed message must lie inside the input,
// the walk must end, and every message is decoded and its fields read.

import ITCH

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    let flow = seedOrderFlow(seed: 1, count: 120)
    let file = seedDayFile(flow)
    return [("flow.itch", file), ("cut.itch", Array(file.dropLast(7))), ("empty-frames.itch", [0, 0, 0, 1, 0x53, 0, 0])]
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let lower = UnsafeRawPointer(data)
    var sum: UInt64 = 0
    var consumed = 0
    let end = DayFileReader(bytes: input).forEach { message in
        if message.base < lower || message.base + message.length > lower + size { propertyFailed("frame outside input") }
        consumed += 2 + message.length
        sum &+= exercise(message)
    }
    switch end {
    case .complete: if consumed != size { propertyFailed("complete but \(consumed) of \(size) bytes consumed") }
    case let .truncated(offset, declared, available):
        let prefix = declared == nil ? 0 : 2
        if offset != consumed || available != size - offset - prefix || (declared ?? Int.max) <= available {
            propertyFailed("bad truncation report")
        }
    }
    keep(sum)
    return 0
}

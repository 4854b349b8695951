// Fuzz target `dayfile`: the input is a day-file. Every framed message must lie inside the input and
// be a known ITCH type at its length, the walk must end, and every message is decoded and its fields
// read; a walk that stops at garbage names the frame's offset and number and the right reason.

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
    var count = 0
    let end = DayFileReader(bytes: input).forEach { message in
        if message.base < lower || message.base + message.length > lower + size { propertyFailed("frame outside input") }
        guard message.length > 0, ITCHDecoder.expectedLength(of: message.base.load(as: UInt8.self)) == message.length else {
            propertyFailed("a frame that is no ITCH message was yielded")
        }
        consumed += 2 + message.length
        count += 1
        sum &+= exercise(message)
    }
    switch end {
    case .complete: if consumed != size { propertyFailed("complete but \(consumed) of \(size) bytes consumed") }
    case let .truncated(offset, declared, available):
        let prefix = declared == nil ? 0 : 2
        if offset != consumed || available != size - offset - prefix || (declared ?? Int.max) <= available {
            propertyFailed("bad truncation report")
        }
    case let .garbage(offset, index, reason):
        if offset != consumed || index != count + 1 || offset + 2 > size { propertyFailed("bad garbage report at \(offset)") }
        let length = Int(data[offset]) << 8 | Int(data[offset + 1])
        let expected = offset + 2 < size ? ITCHDecoder.expectedLength(of: data[offset + 2]) : -1
        switch reason {
        case .zeroLength: if length != 0 { propertyFailed("zero length reported for \(length)") }
        case .unknownType(let t): if expected != 0 || t != data[offset + 2] { propertyFailed("unknown type reported for a known one") }
        case let .lengthMismatch(t, l, e): if l != length || e != expected || l == e || t != data[offset + 2] { propertyFailed("bad length report") }
        }
    }
    keep(sum)
    return 0
}

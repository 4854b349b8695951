// Fuzz target `normalized`: the decoder of the feed → gateway normalized messages (Multicast
// module's NormalizedMessage, docs/wire-format.md), one message block as a gateway receives it from
// the network. Properties: no crash; a block that decodes encodes back to the same bytes (directory:
// all but its reserved byte), so nothing is read that the format does not carry; and the tick the
// gateway would serve becomes a WebSocket message (TickJSON) that fits `TickJSON.maxLength` and is
// valid JSON at every depth, whatever the bytes said: what a feed node sends must not break clients.

import Codecs
import Market
import Multicast

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    var quote = Tick()
    quote.kind = .quote
    quote.symbol = Symbol("AAPL")!
    quote.locate = 7
    quote.seq = 42
    quote.timestamp = 34_200_000_000_000
    quote.receiveTime = 1_767_225_600_000_000_000
    quote.volume = 12_300
    quote.bidCount = 2
    quote.askCount = 1
    quote.bids[0] = PriceLevel(price: 1_892_500, size: 300)
    quote.bids[1] = PriceLevel(price: 1_892_400, size: 500)
    quote.asks[0] = PriceLevel(price: 1_892_600, size: 100)
    quote.tradePrice = 1_892_600
    quote.tradeSize = 100
    var trade = quote
    trade.kind = .trade
    trade.side = UInt8(ascii: "B")
    trade.matchNumber = 99
    var status = quote
    status.kind = .status
    status.status = .halted
    var broken = trade
    broken.kind = .tradeBreak
    var seeds: [(String, [UInt8])] = []
    var buffer = [UInt8](repeating: 0, count: NormalizedMessage.maxLength)
    for (name, tick) in [("quote", quote), ("trade", trade), ("status", status), ("break", broken)] {
        let n = buffer.withUnsafeMutableBytes { NormalizedMessage.encode(tick, into: $0.baseAddress!) }
        seeds.append(("\(name).norm", Array(buffer[0..<n])))
    }
    let n = buffer.withUnsafeMutableBytes { NormalizedMessage.encodeDirectory(symbol: Symbol("MSFT")!, locate: 8, into: $0.baseAddress!) }
    seeds.append(("directory.norm", Array(buffer[0..<n])))
    return seeds
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let base = input.baseAddress else { return 0 }
    var again = [UInt8](repeating: 0, count: NormalizedMessage.maxLength)
    switch NormalizedMessage.decode(base, length: size) {
    case .failure:
        break
    case .success(.directory(let symbol, let locate)):
        let n = again.withUnsafeMutableBytes { NormalizedMessage.encodeDirectory(symbol: symbol, locate: locate, into: $0.baseAddress!) }
        if n != size || again[0] != input[0] || !again[2..<n].elementsEqual(input[2...]) { propertyFailed("directory does not encode back") }
    case .success(.dayState(let day)):
        let n = again.withUnsafeMutableBytes { NormalizedMessage.encodeDayState(day, statistics: day.statistics, into: $0.baseAddress!) }
        if n != size || !again[0..<n].elementsEqual(input) { propertyFailed("a day state does not encode back to its \(size) bytes") }
    case .success(.tick(let tick)):
        let n = again.withUnsafeMutableBytes { NormalizedMessage.encode(tick, into: $0.baseAddress!) }
        if n != size || !again[0..<n].elementsEqual(input) { propertyFailed("\(tick.kind) does not encode back to its \(size) bytes") }
        let json = UnsafeMutablePointer<UInt8>.allocate(capacity: TickJSON.maxLength)
        defer { json.deallocate() }
        for depth in [1, Tick.depth] {
            let length = TickJSON.encode(tick, depth: depth, conflated: depth == 1, into: json)
            if length > TickJSON.maxLength { propertyFailed("JSON of \(length) bytes") }
            let text = UnsafeRawBufferPointer(start: json, count: length)
            if case .failure(let error) = JSONReader.parse(text) {
                propertyFailed("\(tick.kind) at depth \(depth) is not JSON (\(error)): \(String(decoding: text, as: UTF8.self))")
            }
        }
    }
    return 0
}

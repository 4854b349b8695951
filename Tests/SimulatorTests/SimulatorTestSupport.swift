import ITCH
import Market
import Simulator
import Testing

struct DayFileError: Error, CustomStringConvertible {
    let description: String
}

/// Walks a day-file (2-byte big-endian length before each message), decoding every message and
/// handing it to `body` with its index. Fails on anything that is not a known type of the right
/// length, or a truncated frame.
func forEachMessage(in day: [UInt8], _ body: (Int, ITCHMessage) throws -> Void) throws {
    try day.withUnsafeBytes { raw in
        var offset = 0
        var index = 0
        while offset < raw.count {
            guard offset + 2 <= raw.count else { throw DayFileError(description: "truncated length at \(offset)") }
            let length = Int(raw[offset]) << 8 | Int(raw[offset + 1])
            offset += 2
            guard offset + length <= raw.count else { throw DayFileError(description: "truncated message \(index)") }
            switch ITCHDecoder.decode(raw.baseAddress! + offset, length: length) {
            case .message(let message): try body(index, message)
            case let other: throw DayFileError(description: "message \(index): \(other)")
            }
            offset += length
            index += 1
        }
    }
}

/// The type byte of every message of a day-file, in order.
func messageTypes(of day: [UInt8]) -> [UInt8] {
    var types: [UInt8] = []
    var offset = 0
    while offset + 2 < day.count {
        let length = Int(day[offset]) << 8 | Int(day[offset + 1])
        types.append(day[offset + 2])
        offset += 2 + length
    }
    return types
}

/// An independent model of the books the stream describes, deliberately naive (dictionaries), to
/// check the simulator's own book-keeping from the outside.
struct ShadowBook {
    struct Order {
        var locate: UInt16
        var bid: Bool
        var price: UInt32
        var shares: UInt32
    }

    var orders: [UInt64: Order] = [:]
    /// Per locate, per side: price → live orders at that price.
    var bidLevels: [UInt16: [UInt32: Int]] = [:]
    var askLevels: [UInt16: [UInt32: Int]] = [:]
    var lastReference: UInt64 = 0
    var problems: [String] = []

    func bestBid(_ locate: UInt16) -> UInt32? { bidLevels[locate]?.keys.max() }
    func bestAsk(_ locate: UInt16) -> UInt32? { askLevels[locate]?.keys.min() }

    mutating func problem(_ text: String) {
        if problems.count < 20 { problems.append(text) }
    }

    mutating func add(_ reference: UInt64, locate: UInt16, bid: Bool, price: UInt32, shares: UInt32, what: String) {
        if orders[reference] != nil { problem("\(what): reference \(reference) reused") }
        if reference <= lastReference { problem("\(what): reference \(reference) not increasing") }
        lastReference = max(lastReference, reference)
        if shares == 0 { problem("\(what): zero shares") }
        if price == 0 || price % 100 != 0 { problem("\(what): price \(price) not a whole tick") }
        if bid, let ask = bestAsk(locate), price >= ask { problem("\(what): bid \(price) crosses ask \(ask)") }
        if !bid, let bidPrice = bestBid(locate), price <= bidPrice { problem("\(what): ask \(price) crosses bid \(bidPrice)") }
        orders[reference] = Order(locate: locate, bid: bid, price: price, shares: shares)
        if bid { bidLevels[locate, default: [:]][price, default: 0] += 1 } else { askLevels[locate, default: [:]][price, default: 0] += 1 }
    }

    mutating func remove(_ reference: UInt64) {
        guard let order = orders.removeValue(forKey: reference) else { return }
        func drop(_ levels: inout [UInt16: [UInt32: Int]]) {
            levels[order.locate]![order.price]! -= 1
            if levels[order.locate]![order.price]! == 0 { levels[order.locate]![order.price] = nil }
        }
        if order.bid { drop(&bidLevels) } else { drop(&askLevels) }
    }

    /// Takes `shares` from a live order; checks it exists, has them, and (for executions) is at the
    /// best price of its side.
    mutating func take(_ reference: UInt64, locate: UInt16, shares: UInt32, atBest: Bool, what: String) {
        guard let order = orders[reference] else { return problem("\(what): unknown reference \(reference)") }
        if order.locate != locate { problem("\(what): reference \(reference) belongs to locate \(order.locate)") }
        if shares == 0 || shares > order.shares {
            return problem("\(what): \(shares) shares of an order with \(order.shares)")
        }
        if atBest {
            let best = order.bid ? bestBid(locate) : bestAsk(locate)
            if best != order.price { problem("\(what): executed at \(order.price), best is \(best ?? 0)") }
        }
        if shares == order.shares { remove(reference) } else { orders[reference]!.shares -= shares }
    }

    /// Applies one message; returns whether it was an order-book or trade message.
    mutating func apply(_ message: ITCHMessage) {
        switch message {
        case .addOrder(let m):
            add(m.orderReference, locate: m.stockLocate, bid: m.side == 0x42, price: m.price, shares: m.shares, what: "A")
        case .addOrderMPID(let m):
            add(m.orderReference, locate: m.stockLocate, bid: m.side == 0x42, price: m.price, shares: m.shares, what: "F")
        case .orderExecuted(let m):
            take(m.orderReference, locate: m.stockLocate, shares: m.executedShares, atBest: true, what: "E")
        case .orderExecutedWithPrice(let m):
            take(m.orderReference, locate: m.stockLocate, shares: m.executedShares, atBest: true, what: "C")
        case .orderCancel(let m):
            guard let order = orders[m.orderReference] else { return problem("X: unknown reference \(m.orderReference)") }
            if m.cancelledShares >= order.shares { problem("X: cancels \(m.cancelledShares) of \(order.shares) (use D)") }
            take(m.orderReference, locate: m.stockLocate, shares: m.cancelledShares, atBest: false, what: "X")
        case .orderDelete(let m):
            if orders[m.orderReference] == nil { problem("D: unknown reference \(m.orderReference)") }
            remove(m.orderReference)
        case .orderReplace(let m):
            guard let order = orders[m.originalOrderReference] else {
                return problem("U: unknown reference \(m.originalOrderReference)")
            }
            if order.locate != m.stockLocate { problem("U: locate changed") }
            remove(m.originalOrderReference)
            // The new order keeps the side of the one it replaces.
            add(m.newOrderReference, locate: m.stockLocate, bid: order.bid, price: m.price, shares: m.shares, what: "U")
        default:
            break
        }
    }
}

/// A configuration with short halts that happen often, to exercise them in a short run.
func haltingConfiguration(seed: UInt64 = 7) -> SimulatorConfiguration {
    SimulatorConfiguration(seed: seed, symbols: .generated(count: 20), haltProbability: 0.000_2,
                           haltDuration: 50_000_000...500_000_000)
}

import Market
import ITCH
@testable import OrderBook

/// Drives a `BookEngine` with encoded ITCH messages and collects the ticks it produces.
final class BookDriver {
    // A 64-slot window: most orders of a test spill into the hash table, so both paths are exercised.
    let engine: BookEngine
    var ticks: [Tick] = []
    var clock: UInt64 = 34_200_000_000_000
    private let scratch = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
    private let out = UnsafeMutablePointer<Tick>.allocate(capacity: BookEngine.maxTicksPerMessage)

    init(configuration: BookConfiguration = BookConfiguration()) {
        var c = configuration
        c.initialOrderCapacity = 16
        c.orderWindowBits = 6
        engine = BookEngine(configuration: c)
    }

    deinit {
        scratch.deallocate()
        out.deallocate()
    }

    private func header(_ locate: UInt16) -> ITCHHeader {
        clock += 1000
        return ITCHHeader(stockLocate: locate, trackingNumber: 0, timestamp: clock)
    }

    /// Applies raw bytes as one framed message; returns the ticks it produced.
    @discardableResult
    func apply(raw bytes: [UInt8]) -> [Tick] {
        let n = bytes.withUnsafeBytes { engine.apply($0.baseAddress ?? UnsafeRawPointer(scratch), length: $0.count, receiveTime: 42, into: out) }
        let produced = (0..<n).map { out[$0] }
        ticks += produced
        return produced
    }

    @discardableResult
    func apply(_ encode: (UnsafeMutableRawPointer) -> Int) -> [Tick] {
        let n = encode(scratch)
        return apply(raw: Array(UnsafeRawBufferPointer(start: scratch, count: n)))
    }

    @discardableResult
    func directory(_ locate: UInt16, _ symbol: String) -> [Tick] {
        apply { StockDirectory.encode(header(locate), stock: Symbol(symbol)!, marketCategory: 0x51,
                                      financialStatusIndicator: 0x4E, roundLotSize: 100, roundLotsOnly: 0x4E,
                                      issueClassification: 0x43, issueSubType: 0x5A20, authenticity: 0x50,
                                      shortSaleThresholdIndicator: 0x4E, ipoFlag: 0x4E, luldReferencePriceTier: 0x31,
                                      etpFlag: 0x4E, etpLeverageFactor: 0, inverseIndicator: 0x4E, into: $0) }
    }

    @discardableResult
    func add(_ locate: UInt16, _ ref: UInt64, buy: Bool, _ shares: UInt32, _ price: UInt32,
             symbol: String = "TEST", mpid: Bool = false) -> [Tick] {
        let side = buy ? UInt8(ascii: "B") : UInt8(ascii: "S")
        if mpid {
            return apply { AddOrderMPID.encode(header(locate), orderReference: ref, side: side, shares: shares,
                                               stock: Symbol(symbol)!, price: price, attribution: alpha4("MPID"), into: $0) }
        }
        return apply { AddOrder.encode(header(locate), orderReference: ref, side: side, shares: shares,
                                       stock: Symbol(symbol)!, price: price, into: $0) }
    }

    @discardableResult
    func execute(_ ref: UInt64, _ shares: UInt32, match: UInt64 = 1) -> [Tick] {
        apply { OrderExecuted.encode(header(0), orderReference: ref, executedShares: shares, matchNumber: match, into: $0) }
    }

    @discardableResult
    func executeWithPrice(_ ref: UInt64, _ shares: UInt32, price: UInt32, printable: Bool, match: UInt64 = 2) -> [Tick] {
        apply { OrderExecutedWithPrice.encode(header(0), orderReference: ref, executedShares: shares, matchNumber: match,
                                              printable: printable ? 0x59 : 0x4E, executionPrice: price, into: $0) }
    }

    @discardableResult
    func cancel(_ ref: UInt64, _ shares: UInt32) -> [Tick] {
        apply { OrderCancel.encode(header(0), orderReference: ref, cancelledShares: shares, into: $0) }
    }

    @discardableResult
    func delete(_ ref: UInt64) -> [Tick] {
        apply { OrderDelete.encode(header(0), orderReference: ref, into: $0) }
    }

    @discardableResult
    func replace(_ ref: UInt64, new: UInt64, _ shares: UInt32, _ price: UInt32, locate: UInt16 = 0) -> [Tick] {
        apply { OrderReplace.encode(header(locate), originalOrderReference: ref, newOrderReference: new, shares: shares,
                                    price: price, into: $0) }
    }

    @discardableResult
    func status(_ locate: UInt16, _ state: Character, symbol: String = "TEST") -> [Tick] {
        apply { StockTradingAction.encode(header(locate), stock: Symbol(symbol)!, tradingState: state.asciiValue!,
                                          reserved: 0x20, reason: alpha4(""), into: $0) }
    }

    func bids(_ locate: UInt16) -> [[UInt64]] {
        engine.levels(locate: locate, buy: true).map { [UInt64($0.price), $0.shares, UInt64($0.orders)] }
    }

    func asks(_ locate: UInt16) -> [[UInt64]] {
        engine.levels(locate: locate, buy: false).map { [UInt64($0.price), $0.shares, UInt64($0.orders)] }
    }
}

extension Tick {
    /// The valid bid levels as (price, size) pairs.
    var bidPairs: [[UInt32]] { (0..<Int(bidCount)).map { [bids[$0].price, bids[$0].size] } }
    var askPairs: [[UInt32]] { (0..<Int(askCount)).map { [asks[$0].price, asks[$0].size] } }
}

import CShim
import ITCH
import Market

/// Limits and options of a `BookEngine`, validated at start-up.
public struct BookConfiguration: Sendable {
    /// Most orders resting at once across all instruments; adds past it are refused and counted.
    /// Default 32 M (a whole Nasdaq day peaks well below); the table grows to it on demand.
    public var maxOrders: Int = 32 << 20
    /// Initial order-table capacity (slots); grows by doubling.
    public var initialOrderCapacity: Int = 1 << 12
    /// The order table's direct-mapped window holds `2^orderWindowBits` recent orders (16 bytes each,
    /// memory touched only as used); older or colliding ones live in its hash table. Default 20.
    public var orderWindowBits: Int = 20
    /// From this many instruments on, `ApplyPipeline` also fetches the books and ladders of the messages
    /// ahead (see `BookEngine.prefetchesDeep`). Default 1 024: below it the books stay in the caches
    /// and the extra fetches only cost; 0 makes every engine fetch deep (tests use it).
    public var deepPrefetchInstruments: Int = 1024
    /// Reference prices (previous closes, `Price(4)`) by symbol, from `--reference-prices FILE`
    /// (`ReferencePrices`); an instrument without one takes its opening cross price.
    public var referencePrices: [Symbol: UInt32] = [:]

    public init(maxOrders: Int = 32 << 20, initialOrderCapacity: Int = 1 << 12, orderWindowBits: Int = 20,
                deepPrefetchInstruments: Int = 1024, referencePrices: [Symbol: UInt32] = [:]) {
        self.referencePrices = referencePrices
        self.maxOrders = maxOrders
        self.initialOrderCapacity = initialOrderCapacity
        self.orderWindowBits = max(4, min(orderWindowBits, 28))
        self.deepPrefetchInstruments = max(0, deepPrefetchInstruments)
    }
}

/// The feed handler's core: applies ITCH 5.0 messages, keeps a full order-by-order book per
/// instrument aggregated into price levels, and turns every visible change into ticks.
///
/// Per message it produces at most `maxTicksPerMessage` ticks into the caller's buffer: a quote when
/// the top 10 levels of either side changed (with the shallowest changed level), a trade for
/// printable executions and trade messages (carrying the instrument's day statistics), a status tick
/// when the trading state changed, a trade break for `B`, an instrument tick (reference data) for a
/// stock directory entry and when the opening cross sets the reference price. Orders it never saw (a mid-session join) are counted and ignored; malformed frames
/// are counted and skipped. Single-threaded: one engine belongs to one thread.
public final class BookEngine {
    /// The most ticks one message can produce (an execution: a trade and a quote).
    public static let maxTicksPerMessage = 2

    /// Number of stock locates (ITCH locates are 2-byte integers).
    public static let locateCount = 1 << 16

    var orders: OrderTable
    /// One book per locate. Invariant: `books[i]` is initialized exactly when bit `i` of `knownBits`
    /// is set (books are made on first sight, so a new engine costs no 65 536-book initialization).
    let books: UnsafeMutablePointer<InstrumentBook>
    /// The memory behind `books`, unmapped by `deinit`.
    private let booksMapping: ZeroedMapping
    let knownBits: UnsafeMutablePointer<UInt64>
    /// Bit `i` set: an instrument tick of locate `i`'s current reference data went out.
    let announcedBits: UnsafeMutablePointer<UInt64>
    let typeCounts: UnsafeMutablePointer<UInt64>
    private let lengths: UnsafeMutablePointer<UInt8>
    var stats = BookStatistics()
    var symbolIndex: [Symbol: UInt16] = [:]
    var knownLocates: [UInt16] = []
    /// Each locate's day statistics, beside the books rather than in them (`InstrumentBook`'s four
    /// cache lines are pinned): touched only by trades, instrument ticks and queries. Zero (no trade,
    /// no reference) until an instrument is registered, which sets its reference from the file.
    let dayStatistics: UnsafeMutablePointer<DayStatistics>
    private let dayStatisticsMapping: ZeroedMapping
    /// Reference prices by symbol (`BookConfiguration.referencePrices`).
    let referencePrices: [Symbol: UInt32]
    /// Whether `ApplyPipeline` fetches books and ladders ahead too: once the engine knows
    /// `configuration.deepPrefetchInstruments` instruments, their books no longer stay in the caches.
    public private(set) var prefetchesDeep: Bool
    private let deepPrefetchInstruments: Int

    /// A new engine with empty books.
    public init(configuration: BookConfiguration = BookConfiguration()) {
        deepPrefetchInstruments = configuration.deepPrefetchInstruments
        referencePrices = configuration.referencePrices
        dayStatisticsMapping = ZeroedMapping(byteCount: Self.locateCount * MemoryLayout<DayStatistics>.stride)
        dayStatistics = dayStatisticsMapping.base.bindMemory(to: DayStatistics.self, capacity: Self.locateCount)
        prefetchesDeep = configuration.deepPrefetchInstruments == 0
        orders = OrderTable(initialCapacity: configuration.initialOrderCapacity, windowBits: configuration.orderWindowBits,
                            limit: configuration.maxOrders)
        // Huge-page aligned, so each book is exactly four cache lines (see `InstrumentBook`); on huge
        // pages, so thousands of books do not each cost a TLB entry.
        booksMapping = ZeroedMapping(byteCount: Self.locateCount * MemoryLayout<InstrumentBook>.stride)
        books = booksMapping.base.bindMemory(to: InstrumentBook.self, capacity: Self.locateCount)
        knownBits = .allocate(capacity: Self.locateCount / 64)
        knownBits.initialize(repeating: 0, count: Self.locateCount / 64)
        announcedBits = .allocate(capacity: Self.locateCount / 64)
        announcedBits.initialize(repeating: 0, count: Self.locateCount / 64)
        typeCounts = .allocate(capacity: 256)
        typeCounts.initialize(repeating: 0, count: 256)
        lengths = .allocate(capacity: 256)
        for t in 0..<256 { lengths[t] = UInt8(ITCHDecoder.expectedLength(of: UInt8(t))) }
    }

    deinit {
        for locate in knownLocates {
            books[Int(locate)].bids.release()
            books[Int(locate)].asks.release()
            (books + Int(locate)).deinitialize(count: 1)
        }
        booksMapping.unmap()
        dayStatisticsMapping.unmap()
        knownBits.deallocate()
        announcedBits.deallocate()
        typeCounts.deallocate()
        lengths.deallocate()
    }

    // MARK: - Applying messages

    /// Applies one framed ITCH message (`length` bytes at `base`, as framed by the day-file length or
    /// the MoldUDP64 block length) received at `receiveTime` (ns since the Unix epoch). Writes the
    /// ticks it produces to `out`, which must have room for `maxTicksPerMessage`; returns their count.
    public func apply(_ base: UnsafeRawPointer, length: Int, receiveTime: UInt64,
                      into out: UnsafeMutablePointer<Tick>) -> Int {
        applyMessage(base, length: length, receiveTime: receiveTime, into: out)
    }

    /// Applies one message like `apply(_:length:receiveTime:into:)`, first starting the fetch of the
    /// memory the *next* message will touch (see `prefetch`), so the two overlap: the fastest way to
    /// apply a stream whose next message is already at hand. One call per message.
    public func apply(_ base: UnsafeRawPointer, length: Int, receiveTime: UInt64, into out: UnsafeMutablePointer<Tick>,
                      prefetching next: UnsafeRawPointer, nextLength: Int) -> Int {
        prefetch(next, length: nextLength)
        return applyMessage(base, length: length, receiveTime: receiveTime, into: out)
    }

    @inline(__always)
    private func applyMessage(_ base: UnsafeRawPointer, length: Int, receiveTime: UInt64,
                              into out: UnsafeMutablePointer<Tick>) -> Int {
        stats.messages &+= 1
        guard length > 0 else { stats.empty &+= 1; return 0 }
        let type = base.load(as: UInt8.self)
        let expected = Int(lengths[Int(type)])
        guard expected != 0 else { stats.unknownType &+= 1; return 0 }
        guard expected == length else { stats.badLength &+= 1; return 0 }
        typeCounts[Int(type)] &+= 1
        let bytes = WireBytes(base)
        switch type {
        case AddOrder.type, AddOrderMPID.type:
            // F is A with an MPID appended: the same fields at the same offsets.
            return add(AddOrder(bytes), receiveTime: receiveTime, out: out)
        case OrderDelete.type:
            let m = OrderDelete(bytes)
            return reduce(reference: m.orderReference, shares: nil, timestamp: m.timestamp,
                          receiveTime: receiveTime, out: out)
        case OrderCancel.type:
            let m = OrderCancel(bytes)
            return reduce(reference: m.orderReference, shares: m.cancelledShares, timestamp: m.timestamp,
                          receiveTime: receiveTime, out: out)
        case OrderReplace.type:
            let m = OrderReplace(bytes)
            return replace(m, receiveTime: receiveTime, out: out)
        case OrderExecuted.type:
            let m = OrderExecuted(bytes)
            return execute(reference: m.orderReference, shares: m.executedShares, matchNumber: m.matchNumber,
                           price: nil, printable: true, timestamp: m.timestamp, receiveTime: receiveTime, out: out)
        case OrderExecutedWithPrice.type:
            let m = OrderExecutedWithPrice(bytes)
            return execute(reference: m.orderReference, shares: m.executedShares, matchNumber: m.matchNumber,
                           price: m.executionPrice, printable: m.printable != UInt8(ascii: "N"),
                           timestamp: m.timestamp, receiveTime: receiveTime, out: out)
        case NonCrossTrade.type:
            let m = NonCrossTrade(bytes)
            let book = bookFor(locate: m.stockLocate, stock: m.stock)
            book.pointee.messages &+= 1
            return trade(book: book, locate: m.stockLocate, price: m.price, shares: UInt64(m.shares), side: 0,
                         flags: 0, matchNumber: m.matchNumber, timestamp: m.timestamp,
                         receiveTime: receiveTime, out: out)
        case CrossTrade.type:
            let m = CrossTrade(bytes)
            let book = bookFor(locate: m.stockLocate, stock: m.stock)
            book.pointee.messages &+= 1
            // A cross with zero shares means no cross took place: nothing printed.
            guard m.shares > 0 else { return 0 }
            var produced = 0
            if m.crossType == UInt8(ascii: "O") {
                produced = openingCross(book: book, locate: m.stockLocate, price: m.crossPrice, timestamp: m.timestamp,
                                        receiveTime: receiveTime, out: out)
            }
            return produced + trade(book: book, locate: m.stockLocate, price: m.crossPrice, shares: m.shares, side: 0,
                                    flags: Tick.Flags.cross, matchNumber: m.matchNumber, timestamp: m.timestamp,
                                    receiveTime: receiveTime, out: out + produced)
        case BrokenTrade.type:
            let m = BrokenTrade(bytes)
            guard isKnown(m.stockLocate) else { stats.unknownLocate &+= 1; return 0 }
            let book = books + Int(m.stockLocate)
            book.pointee.messages &+= 1
            stats.tradeBreaks &+= 1
            begin(out, book: book, locate: m.stockLocate, kind: .tradeBreak, timestamp: m.timestamp,
                  receiveTime: receiveTime)
            out.pointee.matchNumber = m.matchNumber
            return 1
        case StockTradingAction.type:
            let m = StockTradingAction(bytes)
            let status: TradingStatus
            switch m.tradingState {
            case UInt8(ascii: "T"): status = .trading
            case UInt8(ascii: "H"): status = .halted
            case UInt8(ascii: "P"): status = .paused
            case UInt8(ascii: "Q"): status = .quotation
            default: status = .unknown
            }
            return setStatus(status, locate: m.stockLocate, stock: m.stock, timestamp: m.timestamp,
                             receiveTime: receiveTime, out: out)
        case OperationalHalt.type:
            let m = OperationalHalt(bytes)
            // Only a halt of the Nasdaq market itself changes the Nasdaq book's status.
            guard m.marketCode == UInt8(ascii: "Q") else { return 0 }
            let status: TradingStatus = m.operationalHaltAction == UInt8(ascii: "H") ? .halted : .trading
            return setStatus(status, locate: m.stockLocate, stock: m.stock, timestamp: m.timestamp,
                             receiveTime: receiveTime, out: out)
        case StockDirectory.type:
            let m = StockDirectory(bytes)
            let book = bookFor(locate: m.stockLocate, stock: m.stock)
            return announce(book: book, locate: m.stockLocate, timestamp: m.timestamp, receiveTime: receiveTime, out: out)
        case SystemEvent.type:
            stats.systemEvent = SystemEvent(bytes).eventCode
            return 0
        default:
            // Y L V W K J I N O: decoded, counted, no effect on books.
            return 0
        }
    }

    /// Starts fetching the memory the message at `base` will touch (its order's hash slot), so that a
    /// caller that announces message *n + 1* before applying message *n* overlaps the cache miss with
    /// useful work. Purely a hint: it reads nothing it cannot, changes nothing, and may be skipped.
    @inline(__always)
    public func prefetch(_ base: UnsafeRawPointer, length: Int) {
        // Every order message (A F E C X D U) has its (original) order reference at offset 11.
        guard length >= AddOrder.Layout.orderReference + 8 else { return }
        switch base.load(as: UInt8.self) {
        case AddOrder.type, AddOrderMPID.type, OrderExecuted.type, OrderExecutedWithPrice.type, OrderCancel.type,
             OrderDelete.type, OrderReplace.type:
            qc_prefetch(orders.homeAddress(WireBytes(base).u64(AddOrder.Layout.orderReference)))
        default:
            break
        }
    }

    /// What `ApplyPipeline`'s second fetch stage learns about a message and its third stage uses:
    /// the instrument and side it touches.
    public struct FetchTarget: BitwiseCopyable {
        @usableFromInline let locate: UInt16
        @usableFromInline let isBuy: Bool
    }

    /// The second stage of `ApplyPipeline`'s fetching, for the message two after the one being
    /// applied: its book's four cache lines. Returns the message's target for the third stage, so
    /// that it is worked out once. A hint like `prefetch`: changes nothing.
    @inline(__always)
    public func prefetchBook(_ base: UnsafeRawPointer, length: Int) -> FetchTarget? {
        guard let target = target(of: base, length: length) else { return nil }
        let book = UnsafeRawPointer(books + Int(target.locate))
        qc_prefetch(book)
        qc_prefetch(book + 64)
        qc_prefetch(book + 128)
        qc_prefetch(book + 192)
        return target
    }

    /// The third stage, for the next message: the best end of the ladder it will search, named by
    /// its book (fetched a message earlier by `prefetchBook`, which returned `target`). A hint:
    /// changes nothing.
    @inline(__always)
    public func prefetchLevels(_ target: FetchTarget) {
        guard isKnown(target.locate) else { return }
        let book = books + Int(target.locate)
        let count = target.isBuy ? book.pointee.bids.count : book.pointee.asks.count
        guard let levels = target.isBuy ? book.pointee.bids.levels : book.pointee.asks.levels, count > 0 else { return }
        qc_prefetch(UnsafeRawPointer(levels + (count &- 1)))
    }

    /// The instrument and side an order message will touch: an add names them; for the others the
    /// order's window slot does (fetched a message earlier by `prefetch`). Nil for other messages,
    /// for frames `apply` will refuse (so every field read here is there), and for orders in the
    /// hash table (not worth a probe for a hint). An order's instrument and side never change, so
    /// the answer stays good for the messages applied before this one.
    @inline(__always)
    private func target(of base: UnsafeRawPointer, length: Int) -> FetchTarget? {
        guard length > 0 else { return nil }
        let type = base.load(as: UInt8.self)
        guard Int(lengths[Int(type)]) == length else { return nil }
        switch type {
        case AddOrder.type, AddOrderMPID.type:
            let m = AddOrder(WireBytes(base))
            return FetchTarget(locate: m.stockLocate, isBuy: m.side == UInt8(ascii: "B"))
        case OrderExecuted.type, OrderExecutedWithPrice.type, OrderCancel.type, OrderDelete.type, OrderReplace.type:
            guard let order = orders.windowOrder(WireBytes(base).u64(AddOrder.Layout.orderReference)) else { return nil }
            return FetchTarget(locate: order.locate, isBuy: order.isBuy)
        default:
            return nil
        }
    }

    // MARK: - Message handlers

    /// The book of `locate`, registering it (and its symbol) on first sight.
    @inline(__always)
    private func bookFor(locate: UInt16, stock: Symbol) -> UnsafeMutablePointer<InstrumentBook> {
        let book = books + Int(locate)
        if !isKnown(locate) || book.pointee.symbol != stock { register(book, locate: locate, stock: stock) }
        return book
    }

    /// Whether a book exists for `locate`.
    @inline(__always) func isKnown(_ locate: UInt16) -> Bool {
        knownBits[Int(locate) >> 6] & (1 << UInt64(locate & 63)) != 0
    }

    private func register(_ book: UnsafeMutablePointer<InstrumentBook>, locate: UInt16, stock: Symbol) {
        if !isKnown(locate) {
            book.initialize(to: InstrumentBook())
            knownBits[Int(locate) >> 6] |= 1 << UInt64(locate & 63)
            knownLocates.append(locate)
            prefetchesDeep = knownLocates.count >= deepPrefetchInstruments
        }
        if book.pointee.symbol != .none, symbolIndex[book.pointee.symbol] == locate {
            symbolIndex[book.pointee.symbol] = nil
        }
        book.pointee.symbol = stock
        symbolIndex[stock] = locate
        // A new instrument (or a locate reused for another symbol) starts its day afresh.
        dayStatistics[Int(locate)] = DayStatistics(reference: referencePrices[stock] ?? 0)
        clearAnnounced(locate)
    }

    /// Fills the common fields of the next tick of `book` and advances its sequence.
    @inline(__always)
    func begin(_ out: UnsafeMutablePointer<Tick>, book: UnsafeMutablePointer<InstrumentBook>,
                       locate: UInt16, kind: TickKind, timestamp: UInt64, receiveTime: UInt64) {
        book.pointee.seq &+= 1
        book.pointee.lastTimestamp = timestamp
        out.pointee.symbol = book.pointee.symbol
        out.pointee.seq = book.pointee.seq
        out.pointee.timestamp = timestamp
        out.pointee.receiveTime = receiveTime
        out.pointee.volume = book.pointee.volume
        out.pointee.matchNumber = 0
        out.pointee.tradePrice = book.pointee.lastPrice
        out.pointee.tradeSize = book.pointee.lastSize
        out.pointee.locate = locate
        out.pointee.kind = kind
        out.pointee.status = book.pointee.status
        out.pointee.bidCount = UInt8(truncatingIfNeeded: min(book.pointee.bids.count, Tick.depth))
        out.pointee.askCount = UInt8(truncatingIfNeeded: min(book.pointee.asks.count, Tick.depth))
        out.pointee.changedLevel = 0
        out.pointee.side = 0
        out.pointee.flags = 0
        // Nasdaq has no indicative uncross in its ticks; `out` may be raw memory or an earlier tick.
        out.pointee.indicativePrice = 0
        out.pointee.indicativeVolume = 0
    }

    /// Writes a quote tick for `book` with `changedLevel`, or nothing when no top-10 level changed.
    @inline(__always)
    private func quote(_ out: UnsafeMutablePointer<Tick>, book: UnsafeMutablePointer<InstrumentBook>,
                       locate: UInt16, changedLevel: Int, timestamp: UInt64, receiveTime: UInt64) -> Int {
        book.pointee.lastTimestamp = timestamp
        guard changedLevel < Tick.depth else { stats.quietBookChanges &+= 1; return 0 }
        stats.quotes &+= 1
        begin(out, book: book, locate: locate, kind: .quote, timestamp: timestamp, receiveTime: receiveTime)
        out.pointee.changedLevel = UInt8(truncatingIfNeeded: changedLevel)
        _ = book.pointee.bids.writeTop(into: &out.pointee.bids)
        _ = book.pointee.asks.writeTop(into: &out.pointee.asks)
        return 1
    }

    /// The bid or ask ladder of `book`, chosen without a branch: sides arrive in no predictable order,
    /// so one inlined ladder operation on a selected pointer beats two copies behind a mispredicted
    /// branch.
    @inline(__always)
    private func ladder(_ book: UnsafeMutablePointer<InstrumentBook>, isBuy: Bool) -> UnsafeMutablePointer<PriceLadder> {
        let bids = withUnsafeMutablePointer(to: &book.pointee.bids) { $0 }
        let asks = withUnsafeMutablePointer(to: &book.pointee.asks) { $0 }
        return isBuy ? bids : asks
    }

    /// Adds the order of an `A` or `F` message. It takes the message, not its fields, so the call
    /// passes three arguments in registers instead of nine partly on the stack; and it stays out of
    /// line, a tail call from `applyMessage` like `reduce` and `replace`, because inlined it made
    /// every message pay for its larger frame (+2 %, 6 of 8 interleaved pairs).
    @inline(never)
    private func add(_ m: AddOrder, receiveTime: UInt64, out: UnsafeMutablePointer<Tick>) -> Int {
        let locate = m.stockLocate
        let timestamp = m.timestamp
        let reference = m.orderReference
        let isBuy = m.side == UInt8(ascii: "B")
        let shares = m.shares
        let price = m.price
        let book = bookFor(locate: locate, stock: m.stock)
        book.pointee.messages &+= 1
        guard reference != 0 else { stats.zeroReference &+= 1; return 0 }
        guard shares != 0 else { stats.zeroShares &+= 1; return 0 }
        switch orders.insert(reference: reference, price: price, shares: shares, locate: locate, isBuy: isBuy) {
        case .inserted: break
        case .duplicate: stats.duplicateReference &+= 1; return 0
        case .full: stats.orderTableFull &+= 1; return 0
        case .outOfRange: stats.referenceOutOfRange &+= 1; return 0
        }
        let depth = ladder(book, isBuy: isBuy).pointee.add(price: price, shares: shares)
        return quote(out, book: book, locate: locate, changedLevel: depth, timestamp: timestamp,
                     receiveTime: receiveTime)
    }

    /// Takes `shares` (all of them when nil) off an order; removes it when none remain. Returns the
    /// depth of the level it changed (Int.max when nothing visible changed).
    @inline(__always)
    private func takeShares(slot: Int, shares: UInt32?) -> (depth: Int, taken: UInt32) {
        let order = orders[slot]
        var taken = shares ?? order.shares
        if taken > order.shares { stats.overExecution &+= 1; taken = order.shares }
        let removesOrder = taken == order.shares
        let book = books + Int(order.locate)
        let depth = ladder(book, isBuy: order.isBuy).pointee.remove(price: order.price, shares: taken,
                                                                     removesOrder: removesOrder)
        if removesOrder { orders.remove(at: slot) } else { orders[slot].shares = order.shares &- taken }
        if depth < 0 { stats.levelMissing &+= 1; return (Int.max, taken) }
        return (depth, taken)
    }

    @inline(__always)
    private func reduce(reference: UInt64, shares: UInt32?, timestamp: UInt64, receiveTime: UInt64,
                        out: UnsafeMutablePointer<Tick>) -> Int {
        guard let slot = orders.find(reference) else { stats.unknownReference &+= 1; return 0 }
        let locate = orders[slot].locate
        let book = books + Int(locate)
        book.pointee.messages &+= 1
        let (depth, _) = takeShares(slot: slot, shares: shares)
        return quote(out, book: book, locate: locate, changedLevel: depth, timestamp: timestamp,
                     receiveTime: receiveTime)
    }

    @inline(__always)
    private func replace(_ m: OrderReplace, receiveTime: UInt64, out: UnsafeMutablePointer<Tick>) -> Int {
        guard let slot = orders.find(m.originalOrderReference) else { stats.unknownReference &+= 1; return 0 }
        let original = orders[slot]
        if original.locate != m.stockLocate { stats.locateMismatch &+= 1 }
        let locate = original.locate
        let book = books + Int(locate)
        book.pointee.messages &+= 1
        let newReference = m.newOrderReference
        let price = m.price
        let shares = m.shares
        if price == original.price, shares == original.shares, newReference != 0, shares != 0 {
            // Same price and size: only the reference changes; no level moves, nothing to publish.
            orders.remove(at: slot)
            switch orders.insert(reference: newReference, price: price, shares: shares, locate: locate,
                                        isBuy: original.isBuy) {
            case .inserted:
                book.pointee.lastTimestamp = m.timestamp
                stats.quietBookChanges &+= 1
                return 0
            case .duplicate: stats.duplicateReference &+= 1
            case .full: stats.orderTableFull &+= 1
            case .outOfRange: stats.referenceOutOfRange &+= 1
            }
            // The new reference was refused: the order leaves the book.
            let depth = ladder(book, isBuy: original.isBuy).pointee.remove(price: price, shares: shares, removesOrder: true)
            return quote(out, book: book, locate: locate, changedLevel: depth < 0 ? Int.max : depth,
                         timestamp: m.timestamp, receiveTime: receiveTime)
        }
        let (removedDepth, _) = takeShares(slot: slot, shares: nil)
        var depth = removedDepth
        if newReference == 0 {
            stats.zeroReference &+= 1
        } else if shares == 0 {
            stats.zeroShares &+= 1
        } else {
            switch orders.insert(reference: newReference, price: price, shares: shares, locate: locate,
                                        isBuy: original.isBuy) {
            case .inserted:
                let added = ladder(book, isBuy: original.isBuy).pointee.add(price: price, shares: shares)
                depth = min(depth, added)
            case .duplicate: stats.duplicateReference &+= 1
            case .full: stats.orderTableFull &+= 1
            case .outOfRange: stats.referenceOutOfRange &+= 1
            }
        }
        return quote(out, book: book, locate: locate, changedLevel: depth, timestamp: m.timestamp,
                     receiveTime: receiveTime)
    }

    @inline(__always)
    private func execute(reference: UInt64, shares: UInt32, matchNumber: UInt64, price: UInt32?, printable: Bool,
                         timestamp: UInt64, receiveTime: UInt64, out: UnsafeMutablePointer<Tick>) -> Int {
        guard let slot = orders.find(reference) else { stats.unknownReference &+= 1; return 0 }
        let order = orders[slot]
        let book = books + Int(order.locate)
        book.pointee.messages &+= 1
        let (depth, taken) = takeShares(slot: slot, shares: shares)
        var produced = 0
        if printable {
            // The resting order was hit: the aggressor is on the other side.
            produced = trade(book: book, locate: order.locate, price: price ?? order.price, shares: UInt64(taken),
                             side: order.isBuy ? UInt8(ascii: "S") : UInt8(ascii: "B"), flags: 0,
                             matchNumber: matchNumber, timestamp: timestamp, receiveTime: receiveTime, out: out)
        } else {
            stats.nonPrintable &+= 1
        }
        return produced + quote(out + produced, book: book, locate: order.locate, changedLevel: depth,
                                timestamp: timestamp, receiveTime: receiveTime)
    }

    @inline(__always)
    private func trade(book: UnsafeMutablePointer<InstrumentBook>, locate: UInt16, price: UInt32, shares: UInt64,
                       side: UInt8, flags: UInt8, matchNumber: UInt64, timestamp: UInt64, receiveTime: UInt64,
                       out: UnsafeMutablePointer<Tick>) -> Int {
        stats.trades &+= 1
        book.pointee.volume &+= shares
        book.pointee.lastPrice = price
        book.pointee.lastSize = shares > UInt64(UInt32.max) ? UInt32.max : UInt32(truncatingIfNeeded: shares)
        book.pointee.hasTraded = true
        let statistics = dayStatistics + Int(locate)
        statistics.pointee.record(price: price, size: shares)
        begin(out, book: book, locate: locate, kind: .trade, timestamp: timestamp, receiveTime: receiveTime)
        out.pointee.matchNumber = matchNumber
        out.pointee.side = side
        out.pointee.flags = flags
        out.pointee.statistics = statistics.pointee
        return 1
    }

    private func setStatus(_ status: TradingStatus, locate: UInt16, stock: Symbol, timestamp: UInt64,
                           receiveTime: UInt64, out: UnsafeMutablePointer<Tick>) -> Int {
        let book = bookFor(locate: locate, stock: stock)
        book.pointee.messages &+= 1
        guard book.pointee.status != status else { return 0 }
        book.pointee.status = status
        stats.statusChanges &+= 1
        begin(out, book: book, locate: locate, kind: .status, timestamp: timestamp, receiveTime: receiveTime)
        return 1
    }
}

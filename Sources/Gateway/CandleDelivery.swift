import Market
import WebSocket

/// The candle channels (`candle:1s` … `candle:1h`): on subscribe a `candles` message with the bars so
/// far; then, once per loop turn in which trades changed the symbol's newest bar, a `candle` with its
/// latest state (conflated: many trades in one turn make one message), and a final `candle` with
/// `"closed":true` when the feed's exchange clock (the newest `ts` read from the ring) passes the
/// bar's end — at the first tick of any symbol past it, so a quiet symbol's bar closes too.
///
/// Like trades, candles reach a conflating client too (after its pending conflated quote): they are
/// already conflated to one per bar per loop turn.
extension Gateway {
    /// Notes a trade of `e` for the end-of-turn candle updates and moves the exchange clock.
    @inline(__always)
    func noteCandleTrade(_ e: SymbolEntry) {
        guard e.candleSubscriberTotal > 0, !e.series.candleQueued else { return }
        e.series.candleQueued = true
        candleDirty.append(e)
    }

    /// Moves the feed's exchange clock to a `ts` at or past `exchangeClockNextSecond`: a new second,
    /// which may close bars.
    func advanceExchangeClock(_ timestamp: UInt64) {
        exchangeSecond = UInt32(truncatingIfNeeded: timestamp / 1_000_000_000)
        exchangeClockNextSecond = (UInt64(exchangeSecond) &+ 1) &* 1_000_000_000
        if !openCandleEntries.isEmpty { candleCloseDue = true }
    }

    /// End of a loop turn: the newest bars trades changed, then the bars the clock closed.
    func flushCandles() {
        for e in candleDirty {
            e.series.candleQueued = false
            for interval in CandleInterval.allCases where e.candleSubscribers[Int(interval.rawValue)] > 0 {
                guard let newest = e.series.candles.newestBar(interval) else { continue }
                let open = e.series.openBars[Int(interval.rawValue)]
                if open != SymbolSeries.noBar && open != newest.start, let old = e.series.candles.bar(interval, start: open) {
                    sendCandle(e, interval, old, closed: true)
                }
                let closed = newest.start &+ interval.seconds <= exchangeSecond
                sendCandle(e, interval, newest, closed: closed)
                e.series.openBars[Int(interval.rawValue)] = closed ? SymbolSeries.noBar : newest.start
                if !closed { listOpenCandles(e) }
            }
        }
        candleDirty.removeAll(keepingCapacity: true)
        if candleCloseDue { closeCandles() }
    }

    /// Sends `closed` for every announced bar whose end the exchange clock passed.
    func closeCandles() {
        candleCloseDue = false
        var i = 0
        while i < openCandleEntries.count {
            let e = openCandleEntries[i]
            var stillOpen = false
            for interval in CandleInterval.allCases {
                let start = e.series.openBars[Int(interval.rawValue)]
                guard start != SymbolSeries.noBar else { continue }
                if start &+ interval.seconds <= exchangeSecond {
                    e.series.openBars[Int(interval.rawValue)] = SymbolSeries.noBar
                    if e.candleSubscribers[Int(interval.rawValue)] > 0, let bar = e.series.candles.bar(interval, start: start) {
                        sendCandle(e, interval, bar, closed: true)
                    }
                } else {
                    stillOpen = true
                }
            }
            if stillOpen {
                i += 1
            } else {
                e.series.listedOpen = false
                openCandleEntries.swapAt(i, openCandleEntries.count - 1)
                openCandleEntries.removeLast()
            }
        }
    }

    /// Lists `e` among the entries with an announced open bar (once).
    func listOpenCandles(_ e: SymbolEntry) {
        guard !e.series.listedOpen else { return }
        e.series.listedOpen = true
        openCandleEntries.append(e)
    }

    /// Sends one `candle` to every subscriber of `interval` (one encode per distinct `prev`), a
    /// conflating one included (after its pending conflated quote).
    func sendCandle(_ e: SymbolEntry, _ interval: CandleInterval, _ bar: Candle, closed: Bool) {
        let channel = ChannelSet.candle(interval)
        let seq = e.state.seq
        for d in 0..<Tick.depth {
            var k = 0
            while k < e.subscribers[d].count {
                defer { k &+= 1 }
                guard e.subscribers[d][k].channels.contains(channel), let c = clients[Int(e.subscribers[d][k].slot)] else { continue }
                if c.conflating && !sendPendingQuote(c, e, depthIndex: d, index: k) { continue }
                let prev = advanceChain(e, depthIndex: d, index: k, seq: seq)
                let frame = chainedFrame(variant: 0, prev: prev) { prev, out in
                    CandleJSON.encode(symbol: e.symbol, seq: seq, prev: prev, interval: interval, bar: bar,
                                      closed: closed, decimals: e.decimals, into: out)
                }
                send(frame, to: c, kind: .candle)
            }
        }
        endChainedMessage()
    }

    /// The `candles` message of `interval` for a new subscriber (its bars so far). If the newest bar is
    /// still open it is marked announced, so its close is sent.
    func candlesFrame(_ e: SymbolEntry, _ interval: CandleInterval) -> WebSocketFrame {
        if let newest = e.series.candles.newestBar(interval), newest.start &+ interval.seconds > exchangeSecond {
            e.series.openBars[Int(interval.rawValue)] = newest.start
            listOpenCandles(e)
        }
        let bytes = CandleJSON.candles(symbol: e.symbol, seq: e.state.seq, interval: interval,
                                       bars: e.series.candles.bars(interval), decimals: e.decimals)
        return bytes.withUnsafeBytes { WebSocketFrame(opcode: .text, payload: $0) }
    }

    /// The `trades` message for a new subscriber of the trade channel: the last 50 trades, newest last.
    func tradesFrame(_ e: SymbolEntry) -> WebSocketFrame {
        let bytes = TradeTapeJSON.encode(symbol: e.symbol, seq: e.state.seq, trades: e.series.tape.trades, decimals: e.decimals)
        return bytes.withUnsafeBytes { WebSocketFrame(opcode: .text, payload: $0) }
    }
}

extension ChannelSet {
    /// The channel of `interval`'s bars (`candle:1s` … `candle:1h`).
    static func candle(_ interval: CandleInterval) -> ChannelSet {
        switch interval {
        case .oneSecond: .candle1s
        case .oneMinute: .candle1m
        case .fiveMinutes: .candle5m
        case .fifteenMinutes: .candle15m
        case .oneHour: .candle1h
        }
    }
}

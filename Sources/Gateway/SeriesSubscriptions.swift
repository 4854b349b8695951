import Market

/// What subscribing to the series channels adds (`stats`, `candle:*`, and `trade`'s backlog): the
/// counts the delivery reads (the stats groups, the entry's candle subscribers) and, after a
/// subscription's snapshot, its backlog in the documented order — `trades` (with `trade` named in
/// `channels`), `candles`
/// per candle interval, `stats` right away (with `stats`).
extension Gateway {
    /// A subscription of `e` with `channels` began: counts it for stats and candle delivery.
    func seriesSubscriptionStarted(_ e: SymbolEntry, channels: ChannelSet, statsMilliseconds: Int) {
        if channels.contains(.stats) { addStatsMember(e, milliseconds: statsMilliseconds) }
        for interval in CandleInterval.allCases where channels.contains(.candle(interval)) {
            e.candleSubscribers[Int(interval.rawValue)] += 1
            e.candleSubscriberTotal += 1
        }
    }

    /// A subscription of `e` ended (unsubscribe, a re-subscribe replacing it, the client leaving).
    func seriesSubscriptionEnded(_ e: SymbolEntry, channels: ChannelSet, statsMilliseconds: Int) {
        if channels.contains(.stats) { removeStatsMember(e, milliseconds: statsMilliseconds) }
        for interval in CandleInterval.allCases where channels.contains(.candle(interval)) {
            e.candleSubscribers[Int(interval.rawValue)] -= 1
            e.candleSubscriberTotal -= 1
        }
    }

    /// Right after `c`'s snapshot of `e` (at `depth`), or after the updates replayed instead of it
    /// (`recovered`, a `since` resume): the backlog of its series channels. `trades` (not after a
    /// replay: the client has those trades) and `candles` start the chain again (no `prev`); `stats`
    /// follows it (`prev` the snapshot's seq, or the last replayed update's).
    func sendSeriesBacklog(_ c: GatewayClient, _ e: SymbolEntry, depth: Int, recovered: Bool = false) {
        guard let k = e.subscriberIndex(slot: c.slot, depth: depth) else { return }
        let channels = e.subscribers[depth - 1][k].channels
        if !recovered { restartChain(e, depthIndex: depth - 1, index: k, at: e.state.seq) }  // the snapshot's seq
        // Only for a request that named its channels: without `channels` the stream stays what it was
        // before channels existed (snapshot, then updates), so existing clients see no new message.
        if !recovered, channels.contains(.trade), c.subscriptions[e.locate]?.explicitChannels == true {
            send(tradesFrame(e), to: c, kind: .trades)
        }
        for interval in CandleInterval.allCases where channels.contains(.candle(interval)) {
            send(candlesFrame(e, interval), to: c, kind: .candles)
            restartChain(e, depthIndex: depth - 1, index: k, at: e.state.seq)
        }
        if channels.contains(.stats) {
            let prev = advanceChain(e, depthIndex: depth - 1, index: k, seq: e.state.seq)
            send(statsFrame(e, prev: prev), to: c, kind: .stats)
        }
    }
}

import Auth
import Market

/// `GET /v1/symbols`: every symbol the cache knows, read on the loop thread (an HTTP handler).
extension Gateway {
    /// Every known symbol (that `entitlements` allow, when given) with status, last trade, best bid
    /// and ask, volume, seq, and whether its cached state is exact, sorted by symbol.
    public func symbolsJSON(visibleTo entitlements: Entitlements? = nil) -> String {
        var parts: [String] = []
        parts.reserveCapacity(cache.entries.count)
        for e in cache.entries.sorted(by: { $0.symbol < $1.symbol })
        where entitlements?.allows(symbol: e.name, market: market(of: e)) ?? true {
            let s = e.state
            func level(_ l: PriceLevel, _ count: UInt8) -> String {
                count == 0 ? "null" : "{\"price\":\"\(Price.text(UInt64(l.price), decimals: e.decimals))\",\"size\":\(l.size)}"
            }
            let last = e.hasTraded ? "{\"price\":\"\(Price.text(UInt64(s.tradePrice), decimals: e.decimals))\",\"size\":\(s.tradeSize)}" : "null"
            parts.append("{\"symbol\":\"\(ControlMessage.escape(e.name))\",\"status\":\"\(s.status.name)\",\"seq\":\(s.seq),"
                         + "\"bid\":\(level(s.bids[0], s.bidCount)),\"ask\":\(level(s.asks[0], s.askCount)),"
                         + "\"last\":\(last),\"volume\":\(s.volume),\"synced\":\(e.sync == .synced)}")
        }
        return "{\"symbols\":[" + parts.joined(separator: ",") + "]}"
    }
}

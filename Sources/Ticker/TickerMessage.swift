import Foundation
import Market

/// One price level of a book side: a `Price(4)` integer (`1892500` is `189.2500`) and a size.
public struct BookLevel: Equatable, Sendable {
    /// Price with 4 implied decimals.
    public var price: Int64
    /// Shares at that price.
    public var size: Int64

    /// A level at `price` (4 implied decimals) for `size` shares.
    public init(price: Int64, size: Int64) {
        self.price = price
        self.size = size
    }
}

/// A snapshot's official day figures (`Price(4)` integers; nil while the gateway does not know them):
/// the reference price (the previous close) that change is measured against, and the day's range.
public struct DayRange: Equatable, Sendable {
    public var reference: Int64?
    public var low: Int64?
    public var high: Int64?

    public init(reference: Int64? = nil, low: Int64? = nil, high: Int64? = nil) {
        self.reference = reference
        self.low = low
        self.high = high
    }
}

/// The fields every market-data message carries (contract section 2).
public struct MarketStamp: Equatable, Sendable {
    /// The instrument.
    public var symbol: String
    /// Per-symbol sequence number.
    public var seq: UInt64
    /// Exchange time, nanoseconds since midnight.
    public var ts: UInt64
    /// Feed handler receive time, nanoseconds since the Unix epoch (CLOCK_REALTIME).
    public var rt: UInt64

    /// A stamp with the given fields.
    public init(symbol: String, seq: UInt64, ts: UInt64, rt: UInt64) {
        self.symbol = symbol
        self.seq = seq
        self.ts = ts
        self.rt = rt
    }
}

/// One message from the gateway, decoded from its JSON text. Shapes follow the contract; fields a
/// message does not need are ignored, so gateways may add fields without breaking the ticker.
public enum TickerMessage: Equatable, Sendable {
    /// `subscribed`: the symbols actually subscribed.
    case subscribed([String])
    /// `unsubscribed`: the symbols no longer sent.
    case unsubscribed([String])
    /// `snapshot`: the whole state of one symbol; `day` its reference price and day range when the
    /// gateway knows them.
    case snapshot(MarketStamp, status: String, bids: [BookLevel], asks: [BookLevel], last: BookLevel?, volume: UInt64,
                  day: DayRange = DayRange())
    /// `quote`: the top levels of both sides, replacing every earlier quote; `conflated` when
    /// earlier quotes were dropped by the gateway's backpressure.
    case quote(MarketStamp, bids: [BookLevel], asks: [BookLevel], conflated: Bool)
    /// `trade`: a print, `side` `"B"`/`"S"` (aggressor) or `nil`.
    case trade(MarketStamp, price: Int64, size: Int64, side: String?)
    /// `status`: a trading-status change (`trading`, `halted`, `paused`, `quotation`, …).
    case status(MarketStamp, status: String)
    /// `gap`: the gateway lost updates `from...to` of `symbol`; a fresh snapshot follows.
    case gap(symbol: String, from: UInt64, to: UInt64)
    /// `error`: `code` (`unknown_symbol`, …), a readable message and the symbols concerned.
    case error(code: String, message: String, symbols: [String])
    /// `pong` to a `ping`.
    case pong(id: Int)
    /// A well-formed message of a type the ticker does not use (`trade_break`, future types).
    case other(type: String)

    /// Decodes one text frame; `nil` when it is not a JSON object with a known shape (the caller
    /// counts those and carries on).
    public static func parse(_ text: String) -> TickerMessage? {
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let type = object["type"] as? String else { return nil }
        switch type {
        case "subscribed":
            return .subscribed(strings(object["symbols"]) ?? [])
        case "unsubscribed":
            return .unsubscribed(strings(object["symbols"]) ?? [])
        case "snapshot":
            guard let stamp = stamp(object), let bids = levels(object["bids"]), let asks = levels(object["asks"]) else { return nil }
            var last: BookLevel?
            if let l = object["last"] as? [String: Any] {
                guard let price = price(l["price"]), let size = integer(l["size"]) else { return nil }
                last = BookLevel(price: price, size: size)
            } else if object["last"] != nil, !(object["last"] is NSNull) {
                return nil
            }
            let volume = integer(object["volume"]) ?? 0
            let day = DayRange(reference: price(object["reference"]), low: price(object["low"]), high: price(object["high"]))
            return .snapshot(stamp, status: object["status"] as? String ?? "unknown", bids: bids, asks: asks,
                             last: last, volume: UInt64(max(0, volume)), day: day)
        case "quote":
            guard let stamp = stamp(object), let bids = levels(object["bids"]), let asks = levels(object["asks"]) else { return nil }
            return .quote(stamp, bids: bids, asks: asks, conflated: (object["conflated"] as? Bool) ?? false)
        case "trade":
            guard let stamp = stamp(object), let price = price(object["price"]), let size = integer(object["size"]) else { return nil }
            return .trade(stamp, price: price, size: size, side: object["side"] as? String)
        case "status":
            guard let stamp = stamp(object), let status = object["status"] as? String else { return nil }
            return .status(stamp, status: status)
        case "gap":
            guard let symbol = object["symbol"] as? String, let from = integer(object["from"]),
                  let to = integer(object["to"]) else { return nil }
            return .gap(symbol: symbol, from: UInt64(max(0, from)), to: UInt64(max(0, to)))
        case "error":
            return .error(code: object["code"] as? String ?? "error", message: object["message"] as? String ?? "",
                          symbols: strings(object["symbols"]) ?? [])
        case "pong":
            return .pong(id: Int(integer(object["id"]) ?? 0))
        default:
            return .other(type: type)
        }
    }

    /// The symbol a market-data message is about, if it is one.
    public var symbol: String? {
        switch self {
        case .snapshot(let s, _, _, _, _, _, _), .quote(let s, _, _, _), .trade(let s, _, _, _), .status(let s, _): s.symbol
        case .gap(let symbol, _, _): symbol
        default: nil
        }
    }

    private static func stamp(_ object: [String: Any]) -> MarketStamp? {
        guard let symbol = object["symbol"] as? String else { return nil }
        return MarketStamp(symbol: symbol, seq: UInt64(max(0, integer(object["seq"]) ?? 0)),
                           ts: UInt64(max(0, integer(object["ts"]) ?? 0)), rt: UInt64(max(0, integer(object["rt"]) ?? 0)))
    }

    private static func strings(_ value: Any?) -> [String]? {
        guard let array = value as? [Any] else { return nil }
        return array.compactMap { $0 as? String }
    }

    /// An integer JSON number (JSONSerialization gives NSNumber; reject fractions and booleans).
    private static func integer(_ value: Any?) -> Int64? {
        // Foundation hands booleans over as NSNumber too (objCType "c"); only integers count.
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let d = number.doubleValue
        guard d == d.rounded(), abs(d) < 9.2e18 else { return nil }
        return number.int64Value
    }

    /// A decimal price string (`"189.2500"`) as a `Price(4)` integer.
    static func price(_ value: Any?) -> Int64? {
        guard let text = value as? String, let p = Price.parse(text), p <= UInt64(Int64.max) else { return nil }
        return Int64(p)
    }

    private static func levels(_ value: Any?) -> [BookLevel]? {
        guard let array = value as? [Any] else { return value == nil ? [] : nil }
        var out: [BookLevel] = []
        out.reserveCapacity(array.count)
        for item in array {
            guard let pair = item as? [Any], pair.count >= 2, let p = price(pair[0]), let s = integer(pair[1]) else { return nil }
            out.append(BookLevel(price: p, size: s))
        }
        return out
    }
}

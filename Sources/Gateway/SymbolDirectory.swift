import Auth
import Market

/// `GET /v1/symbols`: every symbol the cache knows, read on the loop thread (an HTTP handler), or
/// those matching a search (`?q=TEXT&limit=N`, `SymbolSearch`).
extension Gateway {
    /// Every known symbol (that `entitlements` allow, when given) with status, last trade, best bid
    /// and ask, volume, seq, and whether its cached state is exact, sorted by symbol; with the
    /// instrument's market, decimals and names once the server has its reference data. With a
    /// `search`, only the symbols it matches, at most its limit (`"truncated":true` when more matched).
    public func symbolsJSON(visibleTo entitlements: Entitlements? = nil, search: SymbolSearch = SymbolSearch()) -> String {
        var parts: [String] = []
        var truncated = false
        for e in cache.entries.sorted(by: { $0.symbol < $1.symbol })
        where entitlements?.allows(symbol: e.name, market: market(of: e)) ?? true {
            guard search.matches(symbol: e.name, name: e.instrument?.name ?? "", englishName: e.instrument?.englishName ?? "") else {
                continue
            }
            if let limit = search.limit, parts.count == limit { truncated = true; break }
            let s = e.state
            func level(_ l: PriceLevel, _ count: UInt8) -> String {
                count == 0 ? "null" : "{\"price\":\"\(Price.text(UInt64(l.price), decimals: e.decimals))\",\"size\":\(l.size)}"
            }
            let last = e.hasTraded ? "{\"price\":\"\(Price.text(UInt64(s.tradePrice), decimals: e.decimals))\",\"size\":\(s.tradeSize)}" : "null"
            var reference = ""
            if let r = e.instrument {
                reference = ",\"market\":\"\(r.market.name)\",\"decimals\":\(r.decimals),"
                    + "\"name\":\"\(ControlMessage.escape(r.name))\",\"english_name\":\"\(ControlMessage.escape(r.englishName))\""
            }
            parts.append("{\"symbol\":\"\(ControlMessage.escape(e.name))\",\"status\":\"\(s.status.name)\",\"seq\":\(s.seq),"
                         + "\"bid\":\(level(s.bids[0], s.bidCount)),\"ask\":\(level(s.asks[0], s.askCount)),"
                         + "\"last\":\(last),\"volume\":\(s.volume),\"synced\":\(e.sync == .synced)" + reference + "}")
        }
        return "{\"symbols\":[" + parts.joined(separator: ",") + "]" + (truncated ? ",\"truncated\":true" : "") + "}"
    }
}

/// What `GET /v1/symbols?q=TEXT&limit=N` asks for: symbols whose code, name or English name contains
/// `TEXT` (case-insensitive; Korean compared as characters, so composed and decomposed 한글 agree),
/// at most `limit` of them. Without `q` and `limit`, every symbol (the whole list, as before search).
public struct SymbolSearch: Sendable, Equatable {
    /// `limit` when a search gives none.
    public static let defaultLimit = 50
    /// Largest `limit` accepted.
    public static let maxLimit = 1000
    /// Longest `q` accepted, in UTF-8 bytes (after percent-decoding).
    public static let maxQueryBytes = 64

    /// The text searched for, lower-cased; nil lists every symbol.
    public var text: String?
    /// At most this many symbols; nil: no bound (the whole list).
    public var limit: Int?

    public init(text: String? = nil, limit: Int? = nil) {
        self.text = text?.lowercased()
        self.limit = limit
    }

    /// Whether a symbol with these names is in the answer.
    public func matches(symbol: String, name: String, englishName: String) -> Bool {
        guard let text else { return true }
        return symbol.lowercased().contains(text) || name.lowercased().contains(text)
            || englishName.lowercased().contains(text)
    }

    /// Reads `q` and `limit` from a query string (other parameters, such as `access_token`, are left
    /// to others). A refusal is `(code, message)`: `bad_query` for a `q` that is empty, repeated,
    /// over `maxQueryBytes`, badly percent-encoded, not UTF-8 or holding control characters;
    /// `bad_limit` for a `limit` that is not an integer 1...`maxLimit` or is repeated.
    public static func parse(query: String) -> Result<SymbolSearch, SymbolSearchRefusal> {
        var text: String?
        var limit: Int?
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let key = pair.prefix(while: { $0 != "=" })
            let raw = pair.dropFirst(key.count + (key.count < pair.count ? 1 : 0))
            switch key {
            case "q":
                guard text == nil else { return .failure(.init(code: "bad_query", message: "q given twice")) }
                guard let bytes = percentDecoded(raw) else {
                    return .failure(.init(code: "bad_query", message: "q is not percent-encoded UTF-8"))
                }
                guard !bytes.isEmpty, bytes.count <= maxQueryBytes else {
                    return .failure(.init(code: "bad_query", message: "q must be 1 to \(maxQueryBytes) bytes of UTF-8"))
                }
                guard let decoded = String(validating: bytes, as: UTF8.self),
                      !decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                    return .failure(.init(code: "bad_query", message: "q is not UTF-8 text without control characters"))
                }
                text = decoded
            case "limit":
                guard limit == nil else { return .failure(.init(code: "bad_limit", message: "limit given twice")) }
                guard raw.count <= 4, raw.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(raw), (1...maxLimit).contains(n) else {
                    return .failure(.init(code: "bad_limit", message: "limit must be an integer 1 to \(maxLimit)"))
                }
                limit = n
            default:
                continue
            }
        }
        if text != nil && limit == nil { limit = defaultLimit }
        return .success(SymbolSearch(text: text, limit: limit))
    }

    /// `%XX` escapes and `+` (a space, as forms send it) decoded; nil for a broken escape.
    static func percentDecoded(_ text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        var it = text.utf8.makeIterator()
        while let b = it.next() {
            switch b {
            case UInt8(ascii: "%"):
                guard let h = it.next(), let l = it.next(), let hv = hexValue(h), let lv = hexValue(l) else { return nil }
                out.append(hv << 4 | lv)
            case UInt8(ascii: "+"):
                out.append(0x20)
            default:
                out.append(b)
            }
        }
        return out
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Why a `/v1/symbols` search was refused: answered 400 with `{"type":"error","code":…,"message":…}`.
public struct SymbolSearchRefusal: Error, Sendable, Equatable {
    public let code: String
    public let message: String
}

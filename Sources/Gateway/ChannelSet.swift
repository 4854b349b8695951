import Market

/// The channels a subscription carries (docs/websocket-api.md, "Channels"): which kinds of message a
/// client gets for a symbol. A set of bits, so the fan-out loop tests a subscriber's channels with
/// one AND, no allocation.
///
/// `quote` carries quotes; `trade` carries trades and trade breaks; `status` carries status and
/// instrument (reference data) messages; `stats` the day statistics; `candle:<interval>` the bars of
/// one interval. A subscribe without `channels` gets `standard` (quote, trade, status: the behaviour
/// from before channels existed). Snapshots, `gap` and the answers to requests go to every
/// subscriber whatever its channels.
public struct ChannelSet: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let quote = ChannelSet(rawValue: 1 << 0)
    public static let trade = ChannelSet(rawValue: 1 << 1)
    public static let status = ChannelSet(rawValue: 1 << 2)
    public static let stats = ChannelSet(rawValue: 1 << 3)
    public static let candle1s = ChannelSet(rawValue: 1 << 4)
    public static let candle1m = ChannelSet(rawValue: 1 << 5)
    public static let candle5m = ChannelSet(rawValue: 1 << 6)
    public static let candle15m = ChannelSet(rawValue: 1 << 7)
    public static let candle1h = ChannelSet(rawValue: 1 << 8)

    /// What a subscribe without `channels` gets.
    public static let standard: ChannelSet = [.quote, .trade, .status]
    /// Every candle interval.
    public static let candles: ChannelSet = [.candle1s, .candle1m, .candle5m, .candle15m, .candle1h]

    /// Every channel with its name on the wire, in the documented order (the order `subscribed`
    /// lists them in).
    public static let named: [(name: String, channel: ChannelSet)] = [
        ("quote", .quote), ("trade", .trade), ("status", .status), ("stats", .stats),
        ("candle:1s", .candle1s), ("candle:1m", .candle1m), ("candle:5m", .candle5m),
        ("candle:15m", .candle15m), ("candle:1h", .candle1h),
    ]

    /// The channel named `name` on the wire (`"quote"`, `"candle:1m"`, …); nil for an unknown name.
    public init?(name: String) {
        guard let found = ChannelSet.named.first(where: { $0.name == name }) else { return nil }
        self = found.channel
    }

    /// The names of the channels in the set, in the documented order.
    public var names: [String] { ChannelSet.named.filter { contains($0.channel) }.map(\.name) }

    /// The channel that carries ticks of `kind` to clients.
    @inlinable
    public static func carrying(_ kind: TickKind) -> ChannelSet {
        switch kind {
        case .quote: .quote
        case .trade, .tradeBreak: .trade
        case .status, .instrument: .status
        }
    }
}

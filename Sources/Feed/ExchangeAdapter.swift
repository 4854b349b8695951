import Market
import Sockets

/// One exchange's feed handler behind the feed thread: it takes the bytes its source hands it, runs
/// the exchange's framing and sequencing, keeps the exchange's view of each instrument, and writes
/// every visible change into the ring as ticks. The feed thread (`FeedLoop`) owns the source and the
/// adapter and knows neither the exchange nor its framing.
///
/// A source hands over one of two things. *Messages* (`apply`), when the source frames and orders
/// them itself: a day-file, the in-process simulator. *Datagrams* (`receive`), as they came off the
/// network or out of a capture, on numbered input streams (an exchange's lines A and B, its product
/// groups' ports, the socket retransmissions are answered on); the adapter frames and sequences them
/// (MoldUDP64 sessions for Nasdaq; per-instrument sequence numbers for the Korea Exchange) and
/// recovers what is missing, from a retransmission server through `service` or from the next record
/// of the instrument.
///
/// The first adapter is `NasdaqITCHAdapter` (ITCH 5.0 over MoldUDP64, order-by-order books). A new
/// exchange is a new conforming type in a folder of its own beside it (docs/architecture.md, "Where a
/// new exchange goes"). Conformers are used through generics, specialised where the feed thread runs
/// them, never as existentials: the per-message path stays free of dynamic dispatch.
public protocol ExchangeAdapter: ~Copyable {
    /// Applies one message of a source that frames and orders messages itself, received at
    /// `receiveTime` (CLOCK_REALTIME ns), writing its ticks and counting it in `ticks`.
    mutating func apply(_ message: FramedMessage, receiveTime: UInt64, into ticks: inout TickSink)

    /// Takes one datagram from input stream `stream`, received at monotonic `now` and wall-clock
    /// `receiveTime`: frames and sequences it, and applies whatever became applicable. Stops applying
    /// when `ticks` accepts no more messages.
    mutating func receive(_ datagram: UnsafeRawBufferPointer, stream: Int, now: UInt64, receiveTime: UInt64,
                          into ticks: inout TickSink)

    /// Counts a datagram on `stream` that was longer than the input keeps (the kernel cut it).
    mutating func receiveOversize(stream: Int)

    /// Runs the adapter's timers at monotonic `now`: notices gaps and silence, asks for
    /// retransmissions through `input`, gives up on what cannot be recovered in time.
    mutating func service(now: UInt64, into ticks: inout TickSink, input: MulticastInput)

    /// How long the feed thread may sleep when nothing arrives, milliseconds: short while something is
    /// being recovered, so its timers run on time.
    var idleWaitMilliseconds: Int32 { get }

    /// The feed's state, for `/healthz` and the `quotecast_feed_state` metric.
    var health: FeedHealth { get }

    /// Copies the adapter's receive counters (gaps, duplicates, recoveries, stale instruments) into
    /// `counters`, once per receive round.
    func publish(to counters: FeedCounters)

    /// The state of instrument `locate` as a snapshot tick (top levels, last trade, volume, status,
    /// seq), or false when the adapter has not seen it.
    func instrumentState(locate: UInt16, into tick: inout Tick) -> Bool
}

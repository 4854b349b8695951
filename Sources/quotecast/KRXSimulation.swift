import Feed
import Foundation
import KRXSimulator
import Market

/// How a simulated Korean trading day is paced: by its own clock (the quiet opening auction, the
/// 09:00 open, VIs, the close), compressed; or at a steady number of records per second.
enum KRXPacing: Sendable, Equatable {
    /// Each payload at its simulated time, `compression` simulated seconds per second.
    case clock(compression: Double)
    /// `recordsPerSecond` records a second, the day's clock ignored; 0 = as fast as possible.
    case steady(recordsPerSecond: Int)

    /// The feed loop's message rate for this pacing (0 when the day's clock paces).
    var feedRate: Int {
        switch self {
        case .clock: 0
        case .steady(let rate): rate
        }
    }
}

/// The flags of the KRX simulator (`--market krx` on serve, feed and simulate), parsed once.
struct KRXSimulatorOptions: Sendable {
    var configuration = KRXSimulatorConfiguration()
    var pacing = KRXPacing.clock(compression: 60)

    static let usage = """
          --symbols N            listed stocks simulated, 1..1000 (default 40)
          --seed N               seed of the day (default 1): the same seed, the same bytes
          --time-compression X   simulated seconds per second (default 60: the 08:20-15:30 day in
                                 7 min 10 s; the open comes 40 s in); the day's own rhythm, its
                                 09:00 spike included
          --bursty               pace by the day's clock (the default; for symmetry with Nasdaq)
          --rate N               instead, a steady N records per second (0 = as fast as possible)
        """

    /// The options in `args`; `--rate` and the day's clock (`--bursty`, `--time-compression`)
    /// exclude each other.
    init(_ args: Arguments) throws(UsageError) {
        configuration.seed = UInt64(try args.int("seed", default: 1, in: 0...Int.max))
        if let text = args.string("symbols") {
            guard let n = Int(text), (1...1_000).contains(n) else {
                throw UsageError("--symbols: with --market krx, expected a count of stocks in 1...1000, got '\(text)'")
            }
            configuration.instrumentCount = n
        }
        let clocked = args.flag("bursty") || args.string("time-compression") != nil
        if args.string("rate") != nil {
            guard !clocked else {
                throw UsageError("--rate: with --market krx, either --rate N (steady) or the day's clock (--bursty, --time-compression)")
            }
            pacing = .steady(recordsPerSecond: try args.int("rate", default: 0, in: 0...100_000_000))
        } else if let text = args.string("time-compression") {
            guard let x = Double(text), x > 0, x <= 1_000_000 else {
                throw UsageError("--time-compression: expected simulated seconds per second in (0, 1000000], got '\(text)'")
            }
            pacing = .clock(compression: x)
        }
        if case .clock(let x) = pacing { configuration.timeCompression = x }
        if let problem = configuration.validate() { throw UsageError("--market krx: \(problem)") }
    }
}

/// The in-process KRX simulator as a source of datagrams for the feed thread (`serve --market krx`,
/// `feed --market krx`): the day's payloads in order on stream 0, each due at its simulated time
/// (compressed) unless a steady rate paces them.
///
/// Invariant: `buffer` holds `configuration.maxPayloadSize` bytes, owned here and freed once; each
/// datagram returned is in it, readable until the next call.
struct SimulatedKoreaExchange: DatagramSource, ~Copyable {
    private var day: KRXTradingDay
    private let clocked: Bool
    private let buffer: UnsafeMutableRawPointer

    /// The day of `options`, from its first payload.
    init(_ options: KRXSimulatorOptions) {
        day = KRXTradingDay(options.configuration)
        if case .clock = options.pacing { clocked = true } else { clocked = false }
        buffer = .allocate(byteCount: options.configuration.maxPayloadSize, alignment: 8)
    }

    deinit { buffer.deallocate() }

    /// The day's next payload, `nil` after the close.
    mutating func next() -> SourceDatagram? {
        guard let payload = day.nextPayload() else { return nil }
        payload.bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return SourceDatagram(payload: UnsafeRawBufferPointer(start: buffer, count: payload.bytes.count), stream: 0,
                              due: clocked ? day.wallOffset(of: payload) : nil)
    }
}

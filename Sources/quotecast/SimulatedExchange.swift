import Feed
import Market
import Simulator

/// The built-in exchange simulator as a source of ITCH messages for the feed thread (`--feed sim`):
/// the feed layer takes it like a day-file, without depending on the simulator.
///
/// Invariant: `buffer` holds `OrderFlowSimulator.maxMessageLength` bytes, owned here and freed once;
/// each message returned is in it, readable until the next call.
struct SimulatedExchange: MessageSource, ~Copyable {
    private var simulator: OrderFlowSimulator
    private let buffer: UnsafeMutableRawPointer

    /// The simulator's day for `configuration`, from its first message.
    init(_ configuration: SimulatorConfiguration) {
        simulator = OrderFlowSimulator(configuration)
        buffer = .allocate(byteCount: OrderFlowSimulator.maxMessageLength, alignment: 8)
    }

    deinit { buffer.deallocate() }

    /// The simulator's next message; it never runs out (the feed stops it).
    mutating func next() -> FramedMessage? {
        let n = simulator.next(into: buffer)
        return FramedMessage(base: UnsafeRawPointer(buffer), length: n)
    }
}

import PacketCapture

/// One datagram a source hands over: its payload (readable until the source's next call), the input
/// stream it stands for, and, for a source with a clock of its own, when it is due.
@frozen
public struct SourceDatagram {
    /// The UDP payload.
    public var payload: UnsafeRawBufferPointer
    /// The input stream it arrives on (an exchange's line or port; 0 for a single stream).
    public var stream: Int
    /// When it is due, nanoseconds after the source's first datagram by the source's own clock (a
    /// simulated trading day replayed at its pace); `nil` to be paced by message rate instead.
    public var due: UInt64?

    /// A datagram with these fields.
    @inlinable public init(payload: UnsafeRawBufferPointer, stream: Int, due: UInt64? = nil) {
        self.payload = payload
        self.stream = stream
        self.due = due
    }
}

/// A source of whole datagrams in the order they are to be received, without sockets: a packet
/// capture, the in-process KRX simulator (which the command line hands in: `Feed` does not depend on
/// the simulators). The feed thread paces it and hands each datagram to the adapter's `receive`.
public protocol DatagramSource: ~Copyable {
    /// The next datagram, or nil when the source has run out.
    mutating func next() -> SourceDatagram?
}

/// A packet capture's UDP datagrams, in capture order, all on stream 0, paced by message rate.
public struct CapturedDatagrams: DatagramSource {
    var iterator: PcapReader.Iterator

    /// The datagrams of `capture`.
    public init(_ capture: PcapReader) { iterator = capture.makeIterator() }

    /// The next datagram of the capture.
    public mutating func next() -> SourceDatagram? {
        iterator.next().map { SourceDatagram(payload: $0.payload, stream: 0) }
    }
}

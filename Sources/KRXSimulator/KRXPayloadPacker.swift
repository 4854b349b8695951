import KRX

/// One UDP payload of KOSCOM records and the simulated time it is sent at.
public struct KRXPayload: Sendable, Equatable {
    /// Whole records back to back, each ending in 0xFF.
    public var bytes: [UInt8]
    /// When it is sent, microseconds since midnight of the simulated day (Korean time).
    public var time: Int64

    /// A payload of `bytes` sent at `time`.
    public init(bytes: [UInt8], time: Int64) {
        self.bytes = bytes
        self.time = time
    }
}

/// Groups records into UDP payloads: whole records back to back (the form the Wireshark dissector
/// and `KRXRecordReader` read), never one split across two payloads, at most `maxPayloadSize`
/// bytes each. KOSCOM's UDP document does not say how many records share a datagram; the
/// simulator puts the records of one event together (a trade and the quote after it), which keeps
/// every payload under a 1 500-byte Ethernet MTU at the default 1 400 bytes.
public struct KRXPayloadPacker: Sendable {
    /// The largest payload (at least one instrument master record, 632 bytes).
    public let maxPayloadSize: Int
    var pending: [UInt8] = []
    var pendingTime: Int64 = 0
    /// Payloads ready to be taken, oldest first.
    public private(set) var ready: [KRXPayload] = []
    var scratch: [UInt8]

    /// A packer of payloads of at most `maxPayloadSize` bytes.
    public init(maxPayloadSize: Int = 1_400) {
        precondition(maxPayloadSize >= InstrumentMasterRecord.Layout.length, "a payload must hold the longest record")
        self.maxPayloadSize = maxPayloadSize
        scratch = [UInt8](repeating: 0, count: InstrumentMasterRecord.Layout.length)
        pending.reserveCapacity(maxPayloadSize)
    }

    /// Appends the record `encode` writes (into room for the longest record; it returns the length)
    /// to the payload being filled, starting a new payload first when it would not fit.
    public mutating func append(time: Int64, _ encode: (UnsafeMutableRawPointer) -> Int) {
        let length = scratch.withUnsafeMutableBytes { encode($0.baseAddress!) }
        if !pending.isEmpty, pending.count + length > maxPayloadSize { flush() }
        if pending.isEmpty { pendingTime = time }
        pending.append(contentsOf: scratch[0..<length])
    }

    /// Ends the payload being filled (the end of an event): the next record starts a new one.
    public mutating func flush() {
        guard !pending.isEmpty else { return }
        ready.append(KRXPayload(bytes: pending, time: pendingTime))
        pending.removeAll(keepingCapacity: true)
    }

    /// Takes the payloads that are ready.
    public mutating func take() -> [KRXPayload] {
        defer { ready.removeAll(keepingCapacity: true) }
        return ready
    }
}

/// Streams a whole simulated day to `body`, one message at a time (its bytes, no length prefix):
/// the preamble, order flow, and the closing `M`, `E`, `C`, `messages` messages in all. Nothing is
/// accumulated, so this writes day-files and fills benchmark buffers of any size. The buffer handed
/// to `body` is reused: copy what you keep.
///
/// Requires `messages >= configuration.minimumDayMessageCount`.
public func generate(configuration: SimulatorConfiguration, messages: Int,
                     body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
    precondition(messages >= configuration.minimumDayMessageCount,
                 "a day of \(configuration.instrumentCount) instruments needs at least "
                 + "\(configuration.minimumDayMessageCount) messages, asked for \(messages)")
    var simulator = OrderFlowSimulator(configuration)
    try withUnsafeTemporaryAllocation(byteCount: OrderFlowSimulator.maxMessageLength, alignment: 8) { buffer in
        let out = buffer.baseAddress!
        for _ in 0..<(messages - OrderFlowSimulator.endOfDayMessageCount) {
            let n = simulator.next(into: out)
            try body(UnsafeRawBufferPointer(start: out, count: n))
        }
        while true {
            let n = simulator.nextEndOfDay(into: out)
            if n == 0 { break }
            try body(UnsafeRawBufferPointer(start: out, count: n))
        }
    }
}

/// A whole simulated day as ITCH day-file bytes: each message preceded by its 2-byte big-endian
/// length, `messages` messages in all (preamble and closing events included). Holds the whole day
/// in memory: for tests and small fixtures; stream larger days with `generate(configuration:messages:body:)`.
///
/// Requires `messages >= configuration.minimumDayMessageCount`.
public func generateDayFile(configuration: SimulatorConfiguration, messages: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(messages * 34)
    generate(configuration: configuration, messages: messages) { message in
        bytes.append(UInt8(truncatingIfNeeded: message.count >> 8))
        bytes.append(UInt8(truncatingIfNeeded: message.count))
        bytes.append(contentsOf: message)
    }
    return bytes
}

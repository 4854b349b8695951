import Glibc

/// An open file descriptor: the raw `Int32` stays inside the Sockets module's typed wrappers.
/// A plain value; whoever created it closes it once (`close()`), which the owners below do.
public struct Descriptor: Hashable, Sendable, CustomStringConvertible {
    /// The kernel's descriptor number.
    public let rawValue: Int32

    /// Wraps an already open descriptor.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `fd=N`.
    public var description: String { "fd=\(rawValue)" }

    /// Closes the descriptor. EINTR is not retried: on Linux the descriptor is released regardless.
    public func close() { _ = Glibc.close(rawValue) }

    /// Sets an integer socket option.
    public func setOption(level: Int32, name: Int32, value: Int32) throws(SystemError) {
        var v = value
        _ = try retryingInterrupts("setsockopt") {
            setsockopt(rawValue, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}

/// The outcome of one non-blocking read or write.
public enum IOResult: Equatable, Sendable {
    /// This many bytes were transferred (more than zero).
    case bytes(Int)
    /// Nothing now: the kernel buffer is empty (read) or full (write); wait for the event.
    case wouldBlock
    /// The peer closed its side (read returned 0).
    case endOfStream
    /// The connection failed (ECONNRESET, EPIPE, …).
    case failed(SystemError)
}

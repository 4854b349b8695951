import Glibc

/// A failed system call: the call's name and the `errno` it left, so logs say what failed and why.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The system call (or libc function) that failed, e.g. `"bind"`.
    public let call: String
    /// The `errno` value it set.
    public let errno: Int32

    /// A failure of `call` with `errno`.
    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// `call: message (errno N)`.
    public var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }

    /// Whether the call would have blocked on a non-blocking descriptor (EAGAIN/EWOULDBLOCK).
    public var wouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK }
}

/// Runs a system call until it is not interrupted by a signal: the one place EINTR is retried.
/// Returns the call's non-negative result, or throws its `errno` as a `SystemError`.
@inline(__always)
func retryingInterrupts<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemError(call, errno: code)
    }
}

/// Runs a system call until it is not interrupted, returning `-errno` instead of throwing: for hot
/// paths where EAGAIN is an expected answer, not an error.
@inline(__always)
func retryingInterruptsOrErrno<T: SignedInteger>(_ body: () -> T) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        return T(0) - T(code)
    }
}

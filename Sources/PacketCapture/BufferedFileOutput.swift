#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A write buffer in front of a file descriptor: records are encoded straight into the buffer and
/// written out in large `write` calls (retried on `EINTR` and short writes).
///
/// Invariant: `pending` bytes at the start of the buffer are not yet written; `pending <= capacity`.
/// Not thread-safe: one writer owns it. Call `close()` (or at least `flush()`) to see write errors;
/// `deinit` flushes and closes on a best-effort basis.
public final class BufferedFileOutput {
    /// The descriptor written to.
    public let fd: Int32
    /// Name used in errors.
    public let path: String
    /// Buffer size; a single record may not exceed it.
    public let capacity: Int
    private let ownsDescriptor: Bool
    private let buffer: UnsafeMutableRawPointer
    private var pending = 0
    private var isClosed = false
    /// Bytes handed to the writer so far (written or pending).
    public private(set) var bytesWritten: Int = 0

    /// Creates (or truncates) `path` and writes to it; `"-"` writes to standard output.
    public convenience init(path: String, capacity: Int = 1 << 20) throws(FileIOError) {
        if path == "-" {
            self.init(fd: STDOUT_FILENO, path: path, ownsDescriptor: false, capacity: capacity)
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .open(path: path, errno: errno) }
        self.init(fd: fd, path: path, ownsDescriptor: true, capacity: capacity)
    }

    /// Writes to an open descriptor; `ownsDescriptor` says whether `close()` closes it.
    public init(fd: Int32, path: String = "<fd>", ownsDescriptor: Bool = false, capacity: Int = 1 << 20) {
        precondition(capacity >= 64)
        self.fd = fd
        self.path = path
        self.ownsDescriptor = ownsDescriptor
        self.capacity = capacity
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        if !isClosed { try? close() }
        buffer.deallocate()
    }

    /// Reserves `count` bytes, lets `body` fill them in place, and returns what `body` returns.
    @inline(__always)
    public func withReserved<R>(_ count: Int, _ body: (UnsafeMutableRawPointer) throws -> R) throws -> R {
        precondition(count <= capacity, "record of \(count) bytes exceeds the \(capacity)-byte buffer")
        if pending + count > capacity { try flush() }
        let result = try body(buffer + pending)
        pending += count
        bytesWritten += count
        return result
    }

    /// Appends a copy of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var source = bytes
        while !source.isEmpty {
            if pending == capacity { try flush() }
            let n = min(capacity - pending, source.count)
            (buffer + pending).copyMemory(from: source.baseAddress!, byteCount: n)
            pending += n
            bytesWritten += n
            source = UnsafeRawBufferPointer(rebasing: source[n...])
        }
    }

    /// Appends a copy of `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes out everything pending.
    public func flush() throws(FileIOError) {
        var offset = 0
        while offset < pending {
            let n = Glibc.write(fd, buffer + offset, pending - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw .write(path: path, errno: errno)
            }
            offset += n
        }
        pending = 0
    }

    /// Flushes and, when the writer opened the descriptor, closes it.
    public func close() throws(FileIOError) {
        guard !isClosed else { return }
        isClosed = true
        var failure: FileIOError?
        do { try flush() } catch { failure = error }
        if ownsDescriptor, Glibc.close(fd) != 0, failure == nil { failure = .close(path: path, errno: errno) }
        if let failure { throw failure }
    }
}

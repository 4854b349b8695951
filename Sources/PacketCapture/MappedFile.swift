#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file system call, with the path and the `errno` it reported.
public enum FileIOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `open` failed.
    case open(path: String, errno: Int32)
    /// `fstat` failed.
    case stat(path: String, errno: Int32)
    /// `mmap` failed.
    case map(path: String, errno: Int32)
    /// `read` failed.
    case read(path: String, errno: Int32)
    /// `write` failed.
    case write(path: String, errno: Int32)
    /// `close` (or the `fsync`-free final flush) failed.
    case close(path: String, errno: Int32)

    /// One line naming the call, the path and the system's message.
    public var description: String {
        let (call, path, code) = parts
        return "\(call) \(path): \(String(cString: strerror(code)))"
    }

    /// The system's message, after the call's name unless it is `open` (whose failures, a missing
    /// file or a permission, speak for themselves): `No such file or directory`, `read: I/O error`.
    public var reason: String {
        let (call, _, code) = parts
        let message = String(cString: strerror(code))
        return call == "open" ? message : "\(call): \(message)"
    }

    private var parts: (call: String, path: String, errno: Int32) {
        switch self {
        case let .open(p, e): ("open", p, e)
        case let .stat(p, e): ("stat", p, e)
        case let .map(p, e): ("mmap", p, e)
        case let .read(p, e): ("read", p, e)
        case let .write(p, e): ("write", p, e)
        case let .close(p, e): ("close", p, e)
        }
    }
}

/// The whole content of a file, read-only in memory: mapped with `mmap` when the file is a regular
/// file (so an 8 GB day-file costs address space, not a copy), read into one heap block otherwise
/// (pipes, `/dev/stdin`).
///
/// Invariant: `bytes` stays valid and unchanged for the lifetime of this object; readers that hand
/// out pointers into it keep a reference to it. Sharing across threads is safe because nothing ever
/// writes through it (a file changed underneath a mapping by another process is outside its promise).
public final class MappedFile: @unchecked Sendable {
    /// The file's bytes (an empty buffer for an empty file).
    public let bytes: UnsafeRawBufferPointer
    /// The path it was opened with.
    public let path: String
    private let isMapped: Bool

    /// Opens and maps (or reads) `path`; `"-"` reads standard input.
    public init(path: String) throws(FileIOError) {
        self.path = path
        let fd: Int32 = path == "-" ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .open(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .stat(path: path, errno: errno) }
        if (info.st_mode & S_IFMT) == S_IFREG {
            let size = Int(info.st_size)
            if size == 0 {
                bytes = UnsafeRawBufferPointer(start: nil, count: 0)
                isMapped = false
                return
            }
            guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
                  base != UnsafeMutableRawPointer(bitPattern: -1) else { throw .map(path: path, errno: errno) }
            // The readers walk front to back: ask for aggressive read-ahead.
            _ = madvise(base, size, MADV_SEQUENTIAL)
            bytes = UnsafeRawBufferPointer(start: base, count: size)
            isMapped = true
        } else {
            bytes = try Self.readAll(fd: fd, path: path)
            isMapped = false
        }
    }

    /// A copy of `data` held like a file's content (for tests and in-memory inputs).
    public init(copying data: some Collection<UInt8>, path: String = "<memory>") {
        self.path = path
        let base = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
        let buffer = UnsafeMutableRawBufferPointer(start: base, count: data.count)
        buffer.copyBytes(from: data)
        bytes = UnsafeRawBufferPointer(buffer)
        isMapped = false
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    /// Reads a non-seekable descriptor to its end into one heap block, doubling as it grows.
    private static func readAll(fd: Int32, path: String) throws(FileIOError) -> UnsafeRawBufferPointer {
        var capacity = 1 << 20
        var count = 0
        var base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        while true {
            if count == capacity {
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
                bigger.copyMemory(from: base, byteCount: count)
                base.deallocate()
                base = bigger
                capacity *= 2
            }
            let n = read(fd, base + count, capacity - count)
            if n > 0 {
                count += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                let code = errno
                base.deallocate()
                throw .read(path: path, errno: code)
            }
        }
        return UnsafeRawBufferPointer(start: base, count: count)
    }
}

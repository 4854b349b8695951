#if canImport(Glibc)
import Glibc
#endif

/// Reading the key file from disk: it holds secrets, so it must be a regular file that neither its
/// group nor others can access (mode 0600 or 0400). The mode is checked on the opened descriptor,
/// so the file checked is the file read.
public enum KeyFile {
    /// The largest key file read, bytes.
    public static let maximumBytes = 1 << 20

    /// The key ring in the file at `path`.
    public static func load(path: String) throws(KeyFileError) -> KeyRing {
        let text = try read(path: path)
        do {
            return try KeyRing(parsing: text)
        } catch {
            throw .inFile(path: path, error)
        }
    }

    /// The file's text, after the checks.
    static func read(path: String) throws(KeyFileError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile(path: path) }
        guard info.st_mode & 0o077 == 0 else { throw .tooOpen(path: path, mode: UInt32(info.st_mode)) }
        guard info.st_size <= maximumBytes else { throw .tooLarge(path: path, bytes: Int(info.st_size)) }
        var bytes = [UInt8](repeating: 0, count: maximumBytes + 1)
        var total = 0
        while total < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, $0.count - total) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            total += n
        }
        guard total <= maximumBytes else { throw .tooLarge(path: path, bytes: total) }
        return String(decoding: bytes[0..<total], as: UTF8.self)
    }
}

import Glibc
import Sockets

/// One connection's pending output: references to shared immutable frames, written with `writev`
/// from where the last partial write stopped. Bounded by its owner (`pendingBytes`).
struct OutboundQueue {
    /// A queued frame with its bytes' address and length beside it, so that building a `writev`
    /// reads this array's contiguous memory instead of every frame object: with a slow reader's
    /// backlog, each frame object read was a cache miss, up to a vector limit's worth per call (perf
    /// put 27 % of a loaded server's CPU on that load; docs/performance-notes.md, 2026-12-08).
    /// Invariant: `base` and `count` are `frame.bytes`, which a frame never changes after `init` and
    /// frees only in `deinit`; the entry holds `frame`, so they stay valid while the entry exists.
    private struct Entry {
        let frame: WebSocketFrame
        let base: UnsafeRawPointer
        let count: Int

        init(_ frame: WebSocketFrame) {
            self.frame = frame
            base = frame.bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
            count = frame.bytes.count
        }
    }

    private var frames: [Entry] = []
    private var head = 0
    /// Bytes of `frames[head]` already written.
    private var headOffset = 0
    /// Bytes queued and not yet written.
    private(set) var pendingBytes = 0

    var isEmpty: Bool { head == frames.count }

    mutating func append(_ frame: WebSocketFrame) {
        frames.append(Entry(frame))
        pendingBytes += frame.bytes.count
    }

    /// Queues `frame` right after the frame in flight, ahead of everything else queued: a control
    /// frame (a ping) must not wait behind a slow reader's backlog. Frames are whole messages, so this
    /// puts it between two messages, never inside one (RFC 6455 §5.4).
    mutating func insertNext(_ frame: WebSocketFrame) {
        frames.insert(Entry(frame), at: headOffset > 0 ? head + 1 : head)
        pendingBytes += frame.bytes.count
    }

    enum FlushResult {
        /// Everything was written.
        case done
        /// The socket is full; wait for EPOLLOUT.
        case pending
        /// The connection failed.
        case failed(SystemError)
    }

    /// Writes as much as the socket takes, each `writev` carrying up to `vectorCount` frames and
    /// about `byteLimit` bytes (at least one frame); adds the number of `writev` calls it made to
    /// `writeCalls` (the server's system calls per delivered message).
    ///
    /// A write the socket took only part of ends the flush (`.pending`): its buffer is full, and
    /// another call would only return EAGAIN (epoll(7): a short write on a stream socket shows its
    /// space is used up). The byte limit keeps a slow reader's backlog from being offered whole on
    /// every call: the kernel copies in every vector offered before it finds how little it can take.
    mutating func flush(to connection: TCPConnection, vectors: UnsafeMutablePointer<iovec>, vectorCount: Int,
                        byteLimit: Int = OutboundQueue.writeByteLimit, writeCalls: inout Int) -> FlushResult {
        while head < frames.count {
            var n = 0
            var offered = 0
            var i = head
            while i < frames.count && n < vectorCount && (n == 0 || offered < byteLimit) {
                let skip = i == head ? headOffset : 0
                let length = frames[i].count - skip
                vectors[n] = iovec(iov_base: UnsafeMutableRawPointer(mutating: frames[i].base + skip), iov_len: length)
                offered += length
                n += 1
                i += 1
            }
            writeCalls += 1
            switch connection.write(vectors: vectors, count: n) {
            case .bytes(let written):
                pendingBytes -= written
                var left = written
                while left > 0 {
                    let rest = frames[head].count - headOffset
                    if left >= rest {
                        left -= rest
                        head += 1
                        headOffset = 0
                    } else {
                        headOffset += left
                        left = 0
                    }
                }
                compact()
                if written < offered { return .pending }
            case .wouldBlock, .endOfStream:
                return .pending
            case .failed(let error):
                return .failed(error)
            }
        }
        return .done
    }

    /// Bytes offered to one `writev` at most (beyond the first frame): 64 KiB, well over what a
    /// client's socket takes at once in steady state, a fraction of a backlog at `vectorCount`
    /// frames.
    static let writeByteLimit = 65_536

    private mutating func compact() {
        if head == frames.count {
            frames.removeAll(keepingCapacity: frames.capacity <= 256)
            head = 0
        } else if head >= 64 && head * 2 >= frames.count {
            frames.removeFirst(head)
            head = 0
        }
    }

    /// Drops every frame not yet started and keeps the one in flight (partly written: cutting it
    /// would break the framing for the peer), so what is queued next goes out right after it.
    /// Returns the bytes dropped.
    mutating func removeUnstarted() -> Int {
        let keep = headOffset > 0 ? head + 1 : head
        guard keep < frames.count else { return 0 }
        var dropped = 0
        for entry in frames[keep...] { dropped += entry.count }
        frames.removeSubrange(keep...)
        pendingBytes -= dropped
        compact()
        return dropped
    }

    /// Drops everything queued.
    mutating func removeAll() {
        frames = []
        head = 0
        headOffset = 0
        pendingBytes = 0
    }
}

import Glibc
import Sockets

/// One connection's pending output: references to shared immutable frames, written with `writev`
/// from where the last partial write stopped. Bounded by its owner (`pendingBytes`).
struct OutboundQueue {
    private var frames: [WebSocketFrame] = []
    private var head = 0
    /// Bytes of `frames[head]` already written.
    private var headOffset = 0
    /// Bytes queued and not yet written.
    private(set) var pendingBytes = 0

    var isEmpty: Bool { head == frames.count }

    mutating func append(_ frame: WebSocketFrame) {
        frames.append(frame)
        pendingBytes += frame.bytes.count
    }

    /// Queues `frame` right after the frame in flight, ahead of everything else queued: a control
    /// frame (a ping) must not wait behind a slow reader's backlog. Frames are whole messages, so this
    /// puts it between two messages, never inside one (RFC 6455 §5.4).
    mutating func insertNext(_ frame: WebSocketFrame) {
        frames.insert(frame, at: headOffset > 0 ? head + 1 : head)
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

    /// Writes as much as the socket takes, up to `vectorCount` frames per `writev`; adds the number
    /// of `writev` calls it made to `writeCalls` (the server's system calls per delivered message).
    mutating func flush(to connection: TCPConnection, vectors: UnsafeMutablePointer<iovec>, vectorCount: Int,
                        writeCalls: inout Int) -> FlushResult {
        while head < frames.count {
            var n = 0
            var i = head
            while i < frames.count && n < vectorCount {
                let b = frames[i].bytes
                let skip = i == head ? headOffset : 0
                vectors[n] = iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress! + skip), iov_len: b.count - skip)
                n += 1
                i += 1
            }
            writeCalls += 1
            switch connection.write(vectors: vectors, count: n) {
            case .bytes(var written):
                pendingBytes -= written
                while written > 0 {
                    let left = frames[head].bytes.count - headOffset
                    if written >= left {
                        written -= left
                        head += 1
                        headOffset = 0
                    } else {
                        headOffset += written
                        written = 0
                    }
                }
                compact()
            case .wouldBlock, .endOfStream:
                return .pending
            case .failed(let error):
                return .failed(error)
            }
        }
        return .done
    }

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
        for frame in frames[keep...] { dropped += frame.bytes.count }
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

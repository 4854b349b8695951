import Synchronization

/// What the coordinator tells the driver threads, and what they report back a few times a second.
/// Commands are single atomic words (relaxed is enough: each is a level the threads poll every
/// loop turn, and nothing else is published through them). Progress goes through a mutex taken
/// about four times a second per thread: never on the per-message path.
final class LoadControl: Sendable {
    /// How many clients (by index, 0..<target) should be connected now.
    let target = Atomic<Int>(0)
    /// Non-zero once the measurement window is open (set once, never cleared before `stop`).
    let measuring = Atomic<Bool>(false)
    /// Set once: close every client and return.
    let stop = Atomic<Bool>(false)
    /// Incremented to make every client drop and reconnect at once (reconnect storm).
    let stormGeneration = Atomic<Int>(0)
    /// Progress of each thread, and the latency of the updates received since the last `takeInterval`.
    let board: Mutex<ProgressBoard>

    init(threads: Int) {
        board = Mutex(ProgressBoard(threads: threads))
    }
}

/// The running figures of one driver thread (cumulative since the start).
struct WorkerProgress: Sendable {
    var messages: UInt64 = 0
    var bytes: UInt64 = 0
    var open = 0
    var subscribed = 0
    var connecting = 0
    var connectsOK = 0
    var connectsFailed = 0
    var disconnects = 0
    var errors: UInt64 = 0
    var unexplainedGaps: UInt64 = 0
    var conflated: UInt64 = 0
    var gapNotices: UInt64 = 0
    /// Set when the thread has reconnected every client after the latest storm: (generation, ns taken).
    var stormDone: (generation: Int, nanoseconds: UInt64)?
}

/// Every thread's progress plus the interval latency histogram (merged by the threads, emptied by
/// the coordinator each time it reads it).
struct ProgressBoard: Sendable {
    var workers: [WorkerProgress]
    var interval = LatencyHistogram()

    init(threads: Int) { workers = Array(repeating: WorkerProgress(), count: threads) }

    /// The sum over threads.
    var total: WorkerProgress {
        var t = WorkerProgress()
        for w in workers {
            t.messages += w.messages; t.bytes += w.bytes; t.open += w.open; t.subscribed += w.subscribed
            t.connecting += w.connecting; t.connectsOK += w.connectsOK; t.connectsFailed += w.connectsFailed
            t.disconnects += w.disconnects; t.errors += w.errors; t.unexplainedGaps += w.unexplainedGaps
            t.conflated += w.conflated; t.gapNotices += w.gapNotices
        }
        return t
    }
}

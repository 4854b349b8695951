import CShim
import Foundation
import Synchronization

/// A thread with a kernel-visible name (shown by `top -H` and `ps -L`) that can be joined.
/// Stages of the daemon each own one; they meet only in the broadcast ring.
public final class NamedThread: Sendable {
    /// The name given to the kernel (at most 15 bytes are kept).
    public let name: String
    private let finished = DispatchSemaphore(value: 0)

    /// Starts `body` on a new thread called `name`.
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        self.name = name
        let done = finished
        let thread = Thread {
            _ = name.withCString { qc_set_thread_name($0) }
            body()
            done.signal()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Waits until the thread's body has returned.
    public func join() {
        finished.wait()
        finished.signal()  // later joins return at once
    }
}

/// A service's thread that runs until asked to stop: the object that owns it starts it once (after
/// its own initialization, so the body may capture it) and stops it from any thread. `stop()` raises
/// the flag the body polls and joins the thread; only the first call does, later ones return at once.
public final class StoppableThread: Sendable {
    private let stopping = StopFlag()
    private let thread = Mutex<NamedThread?>(nil)

    /// A thread not started yet.
    public init() {}

    /// Starts `body` on a thread called `name`; the body should return soon after `isStopping` turns true.
    public func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let t = NamedThread(name: name, body)
        thread.withLock { $0 = t }
    }

    /// Whether `stop()` was called: the body's loop condition.
    public var isStopping: Bool { stopping.isRaised }

    /// Asks the body to return and waits for it. Returns true when this call stopped a running thread,
    /// false when it had been stopped before (or never started), so the owner closes what the thread
    /// used exactly once.
    @discardableResult
    public func stop() -> Bool {
        stopping.raise()
        let t = thread.withLock { t in
            defer { t = nil }
            return t
        }
        t?.join()
        return t != nil
    }
}

import CShim
import Glibc

/// Readiness events of one descriptor, as epoll reports them.
public struct IOEvents: OptionSet, Sendable {
    /// The raw epoll bits.
    public let rawValue: UInt32
    /// Wraps epoll bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Data (or a connection, for a listener) can be read.
    public static let readable = IOEvents(rawValue: EPOLLIN.rawValue)
    /// The send buffer has room again.
    public static let writable = IOEvents(rawValue: EPOLLOUT.rawValue)
    /// The peer hung up (both sides) — reported whether asked for or not.
    public static let hangup = IOEvents(rawValue: EPOLLHUP.rawValue)
    /// The peer shut down its writing side.
    public static let peerClosed = IOEvents(rawValue: EPOLLRDHUP.rawValue)
    /// An error is pending on the descriptor — reported whether asked for or not.
    public static let error = IOEvents(rawValue: EPOLLERR.rawValue)
}

/// An epoll instance plus an eventfd that other threads use to wake it: the core of one event-loop
/// thread. Level-triggered. Registrations carry a 64-bit token chosen by the owner (a slot index).
/// Only the owning thread calls anything but `wake()`.
public final class EventLoop: @unchecked Sendable {
    // @unchecked: the epoll and eventfd descriptors are immutable after init; `wake()` is the only
    // call other threads make and eventfd writes are thread-safe; everything else is owner-thread only.
    private let epoll: Descriptor
    private let wakeup: Int32
    private let events: UnsafeMutablePointer<epoll_event>
    private let capacity: Int

    /// The token `wait` reports for a `wake()`; owners must not use it for their own registrations.
    public static let wakeToken: UInt64 = .max

    /// A loop that returns at most `batch` events per `wait`.
    public init(batch: Int = 256) throws(SystemError) {
        let fd = try retryingInterrupts("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        epoll = Descriptor(rawValue: fd)
        let w = qc_wakeup_create()
        if w < 0 {
            let code = errno
            epoll.close()
            throw SystemError("eventfd", errno: code)
        }
        wakeup = w
        capacity = batch
        events = .allocate(capacity: batch)
        do {
            try add(Descriptor(rawValue: w), events: .readable, token: EventLoop.wakeToken)
        } catch {
            epoll.close()
            Glibc.close(w)
            events.deallocate()
            throw error
        }
    }

    deinit {
        epoll.close()
        Glibc.close(wakeup)
        events.deallocate()
    }

    private func control(_ op: Int32, _ d: Descriptor, _ interest: IOEvents, _ token: UInt64) throws(SystemError) {
        var e = epoll_event()
        e.events = interest.rawValue
        e.data.u64 = token
        _ = try retryingInterrupts("epoll_ctl") { epoll_ctl(epoll.rawValue, op, d.rawValue, &e) }
    }

    /// Starts watching `descriptor` for `events`, reported with `token`.
    public func add(_ descriptor: Descriptor, events: IOEvents, token: UInt64) throws(SystemError) {
        try control(EPOLL_CTL_ADD, descriptor, events, token)
    }

    /// Changes what `descriptor` is watched for.
    public func modify(_ descriptor: Descriptor, events: IOEvents, token: UInt64) throws(SystemError) {
        try control(EPOLL_CTL_MOD, descriptor, events, token)
    }

    /// Stops watching `descriptor` (closing it also does).
    public func remove(_ descriptor: Descriptor) {
        var e = epoll_event()
        _ = epoll_ctl(epoll.rawValue, EPOLL_CTL_DEL, descriptor.rawValue, &e)
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and calls `body(token, events)` for each ready
    /// descriptor. A `wake()` is reported once with `wakeToken` (already drained). Returns how many
    /// events were reported; an interrupted wait returns 0.
    @discardableResult
    public func wait(timeoutMilliseconds: Int32, _ body: (UInt64, IOEvents) -> Void) throws(SystemError) -> Int {
        let n = epoll_wait(epoll.rawValue, events, Int32(capacity), timeoutMilliseconds)
        if n < 0 {
            if errno == EINTR { return 0 }
            throw SystemError("epoll_wait", errno: errno)
        }
        for i in 0..<Int(n) {
            let e = events[i]
            let token = e.data.u64
            if token == EventLoop.wakeToken {
                qc_wakeup_drain(wakeup)
            }
            body(token, IOEvents(rawValue: e.events))
        }
        return Int(n)
    }

    /// Wakes the loop's thread from `wait` (any thread may call it).
    public func wake() { _ = qc_wakeup_signal(wakeup) }
}

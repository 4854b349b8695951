import CShim
import Fanout
import Glibc
import Market
import Testing

/// Every ring test lives under this serialized suite: stress and timing tests must not share the two
/// cores with each other.
@Suite(.serialized) enum RingSuite {}

/// A deterministic tick for ring sequence `i`: fields on every cache line of the slot derive from `i`,
/// so a copy torn between two writes fails `isIntact`.
func ringTestTick(_ i: Int) -> Tick {
    let n = UInt64(i)
    var tick = Tick()
    tick.seq = n
    tick.timestamp = n &* 0x9E37_79B9_7F4A_7C15
    tick.receiveTime = ~n
    tick.volume = n ^ 0x5555_5555
    tick.matchNumber = n &+ 17
    tick.tradePrice = UInt32(truncatingIfNeeded: n &* 3)
    tick.locate = UInt16(truncatingIfNeeded: n)
    for level in 0..<Tick.depth {
        tick.bids[level] = PriceLevel(price: UInt32(truncatingIfNeeded: n &+ UInt64(level)), size: UInt32(level))
        tick.asks[level] = PriceLevel(price: UInt32(truncatingIfNeeded: n &* 7 &+ UInt64(level)),
                                      size: UInt32(truncatingIfNeeded: n >> 3))
    }
    return tick
}

/// Whether every checked field agrees with `tick.seq` (first and last words of each cache line).
func isIntact(_ tick: Tick) -> Bool {
    let n = tick.seq
    return tick.timestamp == n &* 0x9E37_79B9_7F4A_7C15
        && tick.receiveTime == ~n
        && tick.volume == n ^ 0x5555_5555
        && tick.matchNumber == n &+ 17
        && tick.tradePrice == UInt32(truncatingIfNeeded: n &* 3)
        && tick.locate == UInt16(truncatingIfNeeded: n)
        && tick.bids[0].price == UInt32(truncatingIfNeeded: n)
        && tick.bids[9].price == UInt32(truncatingIfNeeded: n &+ 9)
        && tick.asks[0].price == UInt32(truncatingIfNeeded: n &* 7)
        && tick.asks[9].price == UInt32(truncatingIfNeeded: n &* 7 &+ 9)
        && tick.asks[9].size == UInt32(truncatingIfNeeded: n >> 3)
}

/// Whether this test binary runs under ThreadSanitizer (then stress tests shrink further).
let runningUnderTSan: Bool = dlsym(nil, "__tsan_init") != nil // nil is RTLD_DEFAULT in glibc

/// Scales a release-build tick count down for debug builds and again for ThreadSanitizer.
func stressTicks(_ release: Int) -> Int {
    #if DEBUG
    return runningUnderTSan ? release / 40 : release / 10
    #else
    return release
    #endif
}

/// A pthread that runs `body` and hands its result to `join()` (tests need real threads, not tasks:
/// readers block in the kernel).
final class TestThread<Result>: @unchecked Sendable {
    // @unchecked: `box.value` is written by the thread before it exits and read after `pthread_join`.
    private var thread = pthread_t()
    private let box: ResultBox<Result>

    init(_ body: @escaping @Sendable () -> Result) {
        let box = ResultBox<Result>()
        self.box = box
        thread = startTestThread { box.value = body() }
    }

    func join() -> Result {
        pthread_join(thread, nil)
        return box.value!
    }
}

final class ResultBox<Value>: @unchecked Sendable {
    // @unchecked: see `TestThread`.
    var value: Value?
}

private final class TestThreadStart {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

private func startTestThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    let context = Unmanaged.passRetained(TestThreadStart(body)).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, { context in
        Unmanaged<TestThreadStart>.fromOpaque(context!).takeRetainedValue().body()
        return nil
    }, context)
    precondition(created == 0)
    return thread
}

/// Whether a wakeup eventfd holds a signal right now (zero timeout: the ring's signals are written by
/// the publishing call itself, so a test that published on its own thread need not wait).
func isSignalled(_ descriptor: Int32) -> Bool {
    var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
    return poll(&poller, 1, 0) == 1
}

/// Sleeps the calling thread.
func sleepMilliseconds(_ ms: Int) {
    usleep(UInt32(ms * 1000))
}

/// Polls `condition` every millisecond for up to `ms`; returns whether it became true.
func waitUntil(milliseconds ms: Int, _ condition: () -> Bool) -> Bool {
    for _ in 0..<ms {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}

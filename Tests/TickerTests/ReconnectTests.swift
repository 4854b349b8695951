import Foundation
import Glibc
import Testing
@testable import Ticker

/// A clock the test moves by hand.
final class FakeClock: @unchecked Sendable {
    // @unchecked: moved by the test thread only.
    var now: UInt64 = 1_000_000_000
    func advance(_ ns: UInt64) { now += ns }
}

/// A link fed by the test: messages queued here come out of `drainAvailable`.
final class FakeLink: TickerLink {
    var queued: [LinkEvent] = []
    var sent: [String] = []
    var broken = false
    var closed = false
    let pipe: (Int32, Int32)

    init() {
        var fds: [Int32] = [0, 0]
        _ = Glibc.pipe(&fds)
        pipe = (fds[0], fds[1])
    }

    deinit {
        Glibc.close(pipe.0)
        Glibc.close(pipe.1)
    }

    var descriptor: Int32 { pipe.0 }
    func send(text: String) throws { sent.append(text) }
    func drainAvailable() throws -> [LinkEvent] {
        struct Broken: Error, CustomStringConvertible { var description: String { "read: Connection reset by peer" } }
        if broken { throw Broken() }
        defer { queued.removeAll() }
        return queued
    }
    func close() { closed = true }
}

struct Refused: Error, CustomStringConvertible {
    var description: String { "cannot connect to 127.0.0.1:8080: connect: Connection refused (errno 111)" }
}

/// What a test's connector does, shared with the attempt's thread.
final class ConnectorScript: @unchecked Sendable {
    // @unchecked: the session runs one attempt at a time and the test waits for each to end.
    var failuresLeft = 0
    /// When set, each attempt waits (up to 10 s) for the test to signal it: a host that does not answer.
    var gate: DispatchSemaphore?
    var links: [FakeLink] = []
    var calls = 0

    var connector: TickerConnector {
        { [self] _ in
            calls += 1
            if let gate { _ = gate.wait(timeout: .now() + 10) }
            if failuresLeft > 0 { failuresLeft -= 1; throw Refused() }
            let l = FakeLink()
            links.append(l)
            return l
        }
    }
}

extension TickerSession {
    /// Starts an attempt if one is due and pumps until it is over (bounded).
    func connectNow(_ event: (TickerEvent) -> Void) {
        pumpConnection(event)
        let deadline = Date().addingTimeInterval(60)
        while isConnecting, Date() < deadline {
            usleep(1000)
            pumpConnection(event)
        }
    }
}

/// Reconnection with backoff, driven by a fake clock: no sleeping, exact times.
@Suite struct ReconnectTests {
    @Test func backoffDoublesUpToTheMaximumAndResets() {
        var b = ReconnectBackoff(initial: 500_000_000, maximum: 10_000_000_000, jitter: 0)
        let delays = (0..<8).map { _ in b.nextDelay() / 1_000_000 }
        #expect(delays == [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000])
        b.reset()
        #expect(b.nextDelay() == 500_000_000)
        for _ in 0..<100 { _ = b.nextDelay() }  // no overflow however long it stays down
        #expect(b.nextDelay() == 10_000_000_000)
    }

    @Test func jitterStaysWithinItsBand() {
        let delays = (0..<200).map { seed in
            var b = ReconnectBackoff(initial: 1_000_000_000, maximum: 10_000_000_000, jitter: 0.2, seed: UInt64(seed))
            return b.nextDelay()
        }
        #expect(delays.allSatisfy { $0 >= 800_000_000 && $0 <= 1_200_000_000 })
        #expect(Set(delays).count > 100)  // actually spread, so many tickers do not retry in lockstep
    }

    @Test func framePacerCapsTheRate() {
        var pacer = FramePacer(framesPerSecond: 10)
        var now: UInt64 = 5_000_000_000
        // 1000 updates a second for 3 s: one chance to draw per update, at most 10 frames a second.
        for _ in 0..<3000 {
            if pacer.mayDraw(at: now) { pacer.drew(at: now) }
            now += 1_000_000
        }
        #expect(pacer.frames >= 29 && pacer.frames <= 31)
        #expect(pacer.wait(at: pacer.lastFrame + 30_000_000) == 70_000_000)
    }

    /// The gateway is down three times, then up; the session waits 0.5, 1, 2 s between attempts,
    /// subscribes when it gets through, and after a good connection drops retries after 0.5 s again.
    @Test func sessionRetriesWithBackoffAndResubscribes() throws {
        let clock = FakeClock()
        let script = ConnectorScript()
        script.failuresLeft = 3
        var configuration = TickerConfiguration()
        configuration.symbols = ["AAPL", "MSFT"]
        configuration.depthSymbol = "NVDA"
        let session = TickerSession(configuration: configuration, connector: script.connector,
                                    monotonic: { clock.now }, wall: { 0 })
        var links: [FakeLink] { script.links }
        var events: [TickerEvent] = []
        let record: (TickerEvent) -> Void = { events.append($0) }

        func attempt() { session.connectNow(record) }
        func expectWaiting(attempt n: Int, in ns: UInt64) {
            guard case .waiting(let a, let retryAt, let reason) = session.state.connection else {
                Issue.record("not waiting: \(session.state.connection)"); return
            }
            #expect(a == n)
            #expect(retryAt == clock.now + ns)
            #expect(reason.contains("Connection refused"))
        }
        // Jitter is on by default: compare with the band, via the delays the session reports.
        var lastDelays: [UInt64] = []
        attempt()
        for (n, base) in [(2, 500), (3, 1000), (4, 2000)] as [(Int, UInt64)] {
            guard case .down(_, _, let retryIn, let a) = events.last! else { Issue.record("no down event"); return }
            #expect(a == n)
            #expect(retryIn >= base * 800_000 && retryIn <= base * 1_200_000, "attempt \(n): \(retryIn)")
            lastDelays.append(retryIn)
            expectWaiting(attempt: n, in: retryIn)
            clock.advance(retryIn - 1)
            attempt()  // too early: nothing happens
            #expect(events.count == n - 1)
            clock.advance(1)
            attempt()
        }
        #expect(session.state.connection == .connected)
        #expect(events.last == .connected(url: configuration.url))
        #expect(links.count == 1)
        #expect(links[0].sent == [#"{"op":"subscribe","symbols":["NVDA"],"depth":10}"#,
                                  #"{"op":"subscribe","symbols":["AAPL","MSFT"],"depth":1}"#])

        // Data flows, then the gateway goes away (close 1001): the first retry is quick again.
        links[0].queued = [.text(#"{"type":"subscribed","symbols":["AAPL","MSFT","NVDA"]}"#),
                           .text(#"{"type":"trade","symbol":"AAPL","seq":1,"ts":1,"rt":1,"price":"1.0000","size":5,"side":"B"}"#),
                           .text("not json"),
                           .closed(code: 1001, reason: "server shutting down")]
        session.drain(record) { _ in }
        #expect(session.state.row("AAPL")?.last == 10_000)
        #expect(session.state.badMessages == 1)
        #expect(links[0].closed)
        guard case .waiting(let a, _, let reason) = session.state.connection,
              case .down(_, _, let retryIn, _) = events.last! else { Issue.record("not waiting"); return }
        #expect(a == 2)
        #expect(reason == "closed by the gateway (1001 server shutting down)")
        #expect(retryIn <= 600_000_000)

        // Reconnects and subscribes again; a connection that breaks before any message does not
        // reset the backoff (a gateway that accepts and drops is not hammered).
        clock.advance(retryIn)
        attempt()
        #expect(links.count == 2 && links[1].sent.count == 2)
        links[1].broken = true
        session.drain(record) { _ in }
        guard case .down(_, let why, let second, _) = events.last! else { Issue.record("not down"); return }
        #expect(why.contains("reset by peer"))
        #expect(second >= 800_000_000)
    }
}

/// A gateway host that never answers: the attempt runs on its own thread, the session gives up at
/// the connect timeout, says so, and starts no second attempt until the first has ended.
@Suite struct ConnectTimeoutTests {
    @Test func silentHostTimesOutWithoutBlocking() {
        let clock = FakeClock()
        let script = ConnectorScript()
        let gate = DispatchSemaphore(value: 0)
        script.gate = gate
        var configuration = TickerConfiguration()
        configuration.symbols = ["AAPL"]
        configuration.connectTimeout = 2_000_000_000
        let session = TickerSession(configuration: configuration, connector: script.connector,
                                    monotonic: { clock.now }, wall: { 0 })
        var events: [TickerEvent] = []
        session.pumpConnection { events.append($0) }  // returns although the connect does not
        #expect(session.isConnecting)
        #expect(session.state.connection == .connecting(attempt: 1))
        clock.advance(2_000_000_000)
        session.pumpConnection { events.append($0) }
        guard case .waiting(_, _, let reason) = session.state.connection else { Issue.record("not waiting"); return }
        #expect(reason == "no answer from 127.0.0.1:8080 within 2s")
        clock.advance(20_000_000_000)  // the retry is due, but the first attempt still runs
        session.pumpConnection { events.append($0) }
        #expect(session.state.connection == .connecting(attempt: 2))
        // When it ends (here: with a link, which is closed unused), the next attempt starts.
        script.gate = nil
        gate.signal()
        let deadline = Date().addingTimeInterval(5)
        while script.links.isEmpty, Date() < deadline { usleep(1000) }
        #expect(script.calls == 1)  // no second attempt while the first ran
        // The attempt's thread hands its link over just after making it: pump until the session has
        // taken the outcome and closed the unused link (a fixed 10 ms lost that race under load).
        let taken = Date().addingTimeInterval(60)
        while script.links.first?.closed != true, Date() < taken {
            session.pumpConnection { events.append($0) }
            usleep(1000)
        }
        #expect(script.links.first?.closed == true)
        session.connectNow { events.append($0) }
        #expect(script.calls == 2)
        #expect(session.state.connection == .connected)
    }
}

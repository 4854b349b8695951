import ITCH
import Market

/// Applies a stream of messages already at hand (a file) to a `BookEngine`, the fastest way: while
/// it applies message *n*, it fetches what the messages after it will touch, so that their cache
/// misses overlap with work instead of stalling it. The results are exactly those of one
/// `BookEngine.apply` per message.
///
/// With few instruments (the books stay in the caches) it fetches the next message's order slot.
/// Once the engine knows enough instruments that they no longer fit (`BookEngine.prefetchesDeep`),
/// it looks three messages ahead: the order slot of *n + 3*, the book of *n + 2* (named by the
/// message, or by its order's slot fetched a message earlier) and the best end of *n + 1*'s ladder
/// (named by its book, fetched a message earlier). Each stage reads only what the stage before it
/// fetched, so none waits on memory the way the message itself would.
///
/// A value the caller keeps in a local variable and drives with `applyNext`, so the window stays in
/// registers (a closure-taking loop kept the caller's counters in memory: −4 % on `itch.book`).
///
/// Invariants: in shallow mode `n0` is the next message to apply (already read) and `n1`, `n2` are
/// nil; in deep mode `n0`, `n1`, `n2` are the next three in order, and a later one is nil only when
/// the stream ended before it (so `n1 == nil` implies `n2 == nil`); `t1` is what the second stage
/// learnt about `n1`, or nil.
public struct ApplyPipeline<Messages: IteratorProtocol> where Messages.Element == FramedMessage {
    @usableFromInline let engine: BookEngine
    @usableFromInline var messages: Messages
    @usableFromInline var n0: FramedMessage?
    @usableFromInline var n1: FramedMessage?
    @usableFromInline var n2: FramedMessage?
    @usableFromInline var t1: BookEngine.FetchTarget?
    @usableFromInline var deep = false

    /// A pipeline applying `messages` to `engine`.
    @inlinable public init(engine: BookEngine, messages: Messages) {
        self.engine = engine
        self.messages = messages
        n0 = self.messages.next()
    }

    /// The iterator, positioned after the last message read (up to three past the last applied).
    @inlinable public var source: Messages { messages }

    /// Applies the next message, writing its ticks to `out` (room for `BookEngine.maxTicksPerMessage`);
    /// returns the message and the number of ticks, or nil at the end of the stream.
    @inlinable @inline(__always)
    public mutating func applyNext(receiveTime: UInt64, into out: UnsafeMutablePointer<Tick>)
        -> (message: FramedMessage, ticks: Int)? {
        guard let current = n0 else { return nil }
        // Kept small so it inlines into the caller's loop; the deep path is a call of its own.
        if deep || engine.prefetchesDeep { return applyDeep(current, receiveTime: receiveTime, into: out) }
        n0 = messages.next()
        return (current, engine.apply(current, prefetching: n0, receiveTime: receiveTime, into: out))
    }

    /// `applyNext` with three messages of lookahead; `current` is `n0`.
    @inlinable @inline(never)
    mutating func applyDeep(_ current: FramedMessage, receiveTime: UInt64, into out: UnsafeMutablePointer<Tick>)
        -> (message: FramedMessage, ticks: Int) {
        if !deep {
            // The engine never forgets an instrument: once deep, always deep.
            deep = true
            n1 = messages.next()
            n2 = n1 == nil ? nil : messages.next()
        }
        let n3 = n2 == nil ? nil : messages.next()
        var t2: BookEngine.FetchTarget?
        if n3 != nil {
            // n3 read, so n2 is there too.
            t2 = engine.prefetchBook(n2.unsafelyUnwrapped.base, length: n2.unsafelyUnwrapped.length)
            if let t1 { engine.prefetchLevels(t1) }
        }
        defer { n0 = n1; n1 = n2; n2 = n3; t1 = t2 }
        return (current, engine.apply(current, prefetching: n3 ?? n1, receiveTime: receiveTime, into: out))
    }
}

extension BookEngine {
    /// Applies `message`, fetching the order slot of `next` when there is one: `apply` with or
    /// without `prefetching`.
    @inlinable @inline(__always)
    public func apply(_ message: FramedMessage, prefetching next: FramedMessage?, receiveTime: UInt64,
                      into out: UnsafeMutablePointer<Tick>) -> Int {
        guard let next else { return apply(message.base, length: message.length, receiveTime: receiveTime, into: out) }
        return apply(message.base, length: message.length, receiveTime: receiveTime, into: out,
                     prefetching: next.base, nextLength: next.length)
    }
}

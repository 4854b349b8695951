import Market
import WebSocket

/// The frames of one message that differ only by their `prev` (and a variant, such as the depth a
/// quote is cut to): each distinct (variant, prev) is encoded once and shared by every receiver that
/// has it. In steady state every client of a (depth, channels) group has sent the same last message,
/// so one message costs one encode per group, as before `prev` existed; a client that just subscribed,
/// was conflated or replayed differs for one message.
///
/// Invariant: `count` ≤ `capacity`; slots below `count` hold a frame encoded for the message being
/// fanned out now (`reset()` between messages); slots from `count` are nil. Storage is allocated
/// once: no allocation per delivery.
struct ChainFrames {
    /// Most distinct (variant, prev) pairs kept per message; beyond, frames are encoded per receiver
    /// (correct, only slower).
    static let capacity = 32
    private var variants = [Int](repeating: 0, count: ChainFrames.capacity)
    private var prevs = [UInt64](repeating: 0, count: ChainFrames.capacity)
    private var frames = [WebSocketFrame?](repeating: nil, count: ChainFrames.capacity)
    private var count = 0
    /// The slot found last: consecutive receivers mostly share it.
    private var last = 0

    /// The frame kept for (`variant`, `prev`), if any.
    @inline(__always)
    mutating func find(variant: Int, prev: UInt64) -> WebSocketFrame? {
        if last < count && prevs[last] == prev && variants[last] == variant { return frames[last] }
        var i = 0
        while i < count {
            if prevs[i] == prev && variants[i] == variant {
                last = i
                return frames[i]
            }
            i &+= 1
        }
        return nil
    }

    /// Keeps `frame` for (`variant`, `prev`) when there is room.
    @inline(__always)
    mutating func keep(_ frame: WebSocketFrame, variant: Int, prev: UInt64) {
        guard count < ChainFrames.capacity else { return }
        variants[count] = variant
        prevs[count] = prev
        frames[count] = frame
        last = count
        count &+= 1
    }

    /// Forgets the frames (the message was delivered).
    @inline(__always)
    mutating func reset() {
        var i = 0
        while i < count {
            frames[i] = nil
            i &+= 1
        }
        count = 0
        last = 0
    }
}

/// The `prev` chain (docs/websocket-api.md, "The chain"): every message with a `seq` carries the seq of
/// the previous message this client was sent for the symbol. Each subscriber record keeps that seq
/// (`Subscriber.lastSent`); these functions are the only code that reads or moves it, so every kind of
/// message (quote, trade, status, stats, candle, conflated, replayed) keeps the chain the same way.
///
/// For a message of a symbol to many subscribers: per receiver `advanceChain` (its `prev`, and the
/// message's seq becomes its last sent), then `chainedFrame` (the frame for that prev, encoded once
/// per distinct prev and variant), then `send`; `endChainedMessage()` after the last receiver.
/// `snapshot`, `trades` and `candles` restart the chain (`restartChain`) and carry no `prev`.
extension Gateway {
    /// The `prev` for a message with `seq` to the subscriber at `index` of `e`'s list for depth
    /// `depthIndex + 1`, recording `seq` as the last message it was sent for the symbol.
    @inline(__always)
    func advanceChain(_ e: SymbolEntry, depthIndex: Int, index: Int, seq: UInt64) -> UInt64 {
        let prev = e.subscribers[depthIndex][index].lastSent
        e.subscribers[depthIndex][index].lastSent = seq
        return prev
    }

    /// `advanceChain` for a client found by slot (rare paths: conflated quotes, replays); nil when
    /// the client holds no subscription record for the symbol at `depth`.
    func advanceChain(_ e: SymbolEntry, slot: Int32, depth: Int, seq: UInt64) -> UInt64? {
        guard let i = e.subscriberIndex(slot: slot, depth: depth) else { return nil }
        return advanceChain(e, depthIndex: depth - 1, index: i, seq: seq)
    }

    /// The chain of the subscriber at `index` of `e`'s list for depth `depthIndex + 1` starts again
    /// at `seq`: a `snapshot` (or `trades`, `candles`) with that seq was just sent, or a resume at the
    /// client's `since`.
    @inline(__always)
    func restartChain(_ e: SymbolEntry, depthIndex: Int, index: Int, at seq: UInt64) {
        e.subscribers[depthIndex][index].lastSent = seq
    }

    /// `restartChain` for a client found by slot.
    func restartChain(_ e: SymbolEntry, slot: Int32, depth: Int, at seq: UInt64) {
        guard let i = e.subscriberIndex(slot: slot, depth: depth) else { return }
        restartChain(e, depthIndex: depth - 1, index: i, at: seq)
    }

    /// The frame of the message being fanned out for `prev` (and `variant`: anything else the frame
    /// depends on, such as a quote's effective depth), encoded by `encode(prev, buffer) -> bytes`
    /// only the first time this (variant, prev) comes up for the message.
    @inline(__always)
    func chainedFrame(variant: Int, prev: UInt64, _ encode: (UInt64, UnsafeMutablePointer<UInt8>) -> Int) -> WebSocketFrame {
        if let f = chainFrames.find(variant: variant, prev: prev) { return f }
        let n = encode(prev, scratch)
        let f = WebSocketFrame(opcode: .text, payload: UnsafeRawBufferPointer(start: scratch, count: n))
        chainFrames.keep(f, variant: variant, prev: prev)
        statistics.framesEncoded.add(1)
        return f
    }

    /// The message was queued on every receiver: its frames are forgotten.
    @inline(__always)
    func endChainedMessage() { chainFrames.reset() }
}

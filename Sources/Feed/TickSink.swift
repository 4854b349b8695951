import Fanout
import Market

/// Where an exchange adapter puts its ticks: the feed thread's ring writer, with the counts of the
/// current batch (messages applied, ticks written, ticks the ring refused). `publish` flushes the
/// batch to the ring's readers and adds its counts to the shared counters, once per input batch (one
/// receive round, a simulator batch standing for a packet), never per message. It also keeps the
/// feed's `--messages` budget. One owner: the feed thread.
public struct TickSink: ~Copyable {
    @usableFromInline var writer: RingWriter
    @usableFromInline var batchMessages = 0
    @usableFromInline var batchTicks = 0
    @usableFromInline var batchRefusals = 0
    @usableFromInline var total = 0
    /// Messages still allowed before the message limit.
    @usableFromInline var remaining: Int

    /// A sink writing through `writer`, accepting at most `messageLimit` messages (nil: no limit).
    public init(writer: consuming RingWriter, messageLimit: Int?) {
        self.writer = writer
        remaining = messageLimit ?? Int.max
    }

    /// Whether more messages may be applied (the message limit is not reached).
    @inlinable public var acceptsMessages: Bool { remaining > 0 }

    /// Writes one tick to the ring, counting it (or the ring's refusal).
    @inlinable @inline(__always)
    public mutating func write(_ tick: borrowing Tick) {
        if writer.write(tick) { batchTicks &+= 1 } else { batchRefusals &+= 1 }
    }

    /// Counts one applied message against the batch and the limit.
    @inlinable @inline(__always)
    public mutating func countMessage() {
        batchMessages &+= 1
        total &+= 1
        remaining &-= 1
    }

    /// Messages applied since the sink was made (published or not).
    @inlinable public var messages: Int { total }

    /// Messages applied in the batch not yet published.
    @inlinable public var pendingMessages: Int { batchMessages }

    /// Ends the batch: publishes its ticks to the readers and adds its counts to `counters`.
    public mutating func publish(to counters: FeedCounters) {
        writer.flush()
        counters.add(messages: batchMessages, ticks: batchTicks, refusals: batchRefusals)
        batchMessages = 0
        batchTicks = 0
        batchRefusals = 0
    }
}

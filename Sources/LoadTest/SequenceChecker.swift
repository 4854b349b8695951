/// What one client knows about one subscribed symbol's `seq` line. Invariant: `last` is meaningful
/// only once `hasSnapshot` is true.
public struct SymbolTrack: Sendable, Equatable {
    /// The last `seq` accounted for (received, or explained by a `gap` notice).
    public var last: UInt64 = 0
    /// Whether the symbol's snapshot arrived (updates before it are an order error).
    public var hasSnapshot = false

    /// A symbol just subscribed to: waiting for its snapshot.
    public init() {}
}

/// What the checker made of one message for a symbol.
public enum SequenceVerdict: Equatable, Sendable {
    /// The snapshot (first, or a resync) set the line.
    case snapshot
    /// The next `seq`, as expected.
    case inOrder
    /// A forward jump on a message marked `"conflated":true`: explained, `skipped` seqs never sent.
    case conflated(skipped: UInt64)
    /// A forward jump while the client's depth is below 10: explained by the contract's rule that a
    /// client gets a quote only when its top-`depth` changed.
    case depthFiltered(skipped: UInt64)
    /// A `gap` notice covering `count` seqs: explained (a fresh snapshot should follow).
    case gapNotice(count: UInt64)
    /// A forward jump nothing explains: an error.
    case unexplainedGap(skipped: UInt64)
    /// An update whose `prev` is not the last `seq` the client got for the symbol: the server lost
    /// or reordered something it sent this client (an error whatever the depth or conflation).
    case chainBreak
    /// A `seq` at or below the last one: an error.
    case backwards
    /// An update before the symbol's snapshot: an order error.
    case updateBeforeSnapshot
    /// A snapshot older than what the client already has: an error.
    case snapshotBackwards
    /// A required field (`seq`, or `from`/`to` of a gap) was missing or not an integer: an error.
    case missingField
}

/// Per-symbol `seq` continuity. With `prev` (issue 19's servers) the rule is exact: every update's
/// `prev` is the `seq` of the last message the client got for the symbol (snapshot, gap + snapshot,
/// or update); anything else is a chain break. Without `prev` (older servers), the contract's older
/// rule: every update increases `seq` by one; a jump is explained only by `"conflated":true` on the
/// message that jumps, by a `gap` notice, or (below depth 10) by quotes the client's depth did not show.
/// Jumps a valid chain makes are still counted as conflated or depth skips, for the report.
public enum SequenceChecker {
    /// Applies `message` (already known to be about this symbol) to `track` and says what it was.
    /// `allowDepthSkips` is true when the client subscribed with a depth below 10.
    @inline(__always)
    public static func observe(_ message: ServerMessage, _ track: inout SymbolTrack, allowDepthSkips: Bool) -> SequenceVerdict {
        switch message.type {
        case .snapshot:
            guard message.hasSeq else { return .missingField }
            if track.hasSnapshot && message.seq < track.last { return .snapshotBackwards }
            track.last = message.seq
            track.hasSnapshot = true
            return .snapshot
        case .gap:
            guard message.hasRange, message.from <= message.to else { return .missingField }
            if message.to > track.last { track.last = message.to }
            return .gapNotice(count: message.to - message.from + 1)
        default:
            guard message.hasSeq else { return .missingField }
            guard track.hasSnapshot else { return .updateBeforeSnapshot }
            let seq = message.seq
            if message.hasPrev {
                // The chain (docs/websocket-api.md): `prev` names the last message sent to this client,
                // so any hole is the server's fault, whatever the depth or conflation.
                guard message.prev == track.last else {
                    if seq > track.last { track.last = seq }
                    return .chainBreak
                }
                guard seq > track.last else { return .backwards }
                let skipped = seq - track.last - 1
                track.last = seq
                if skipped == 0 { return .inOrder }
                if message.conflated { return .conflated(skipped: skipped) }
                return .depthFiltered(skipped: skipped)
            }
            if seq == track.last &+ 1 {
                track.last = seq
                return .inOrder
            }
            if seq <= track.last { return .backwards }
            let skipped = seq - track.last - 1
            track.last = seq
            if message.conflated { return .conflated(skipped: skipped) }
            if allowDepthSkips { return .depthFiltered(skipped: skipped) }
            return .unexplainedGap(skipped: skipped)
        }
    }
}

/// Counts of everything the checks saw, per thread and then summed for the report.
public struct CheckCounts: Sendable, Equatable {
    /// Messages received (all types).
    public var messages: UInt64 = 0
    /// Payload bytes of those messages.
    public var bytes: UInt64 = 0
    /// Per-symbol updates (quote, trade, status, trade_break).
    public var updates: UInt64 = 0
    /// Snapshots.
    public var snapshots: UInt64 = 0
    /// Messages of each type, indexed by `MessageType.rawValue`.
    public var byType = [UInt64](repeating: 0, count: MessageType.allCases.count)
    /// Messages marked `"conflated":true`.
    public var conflatedMessages: UInt64 = 0
    /// Seqs skipped by conflation.
    public var conflatedSkipped: UInt64 = 0
    /// `gap` notices received, and the seqs they covered.
    public var gapNotices: UInt64 = 0
    public var gapSkipped: UInt64 = 0
    /// Seqs skipped below depth 10 (quotes the client's depth did not show).
    public var depthSkipped: UInt64 = 0
    /// Forward jumps nothing explained, and the seqs they skipped (errors).
    public var unexplainedGaps: UInt64 = 0
    public var unexplainedSkipped: UInt64 = 0
    /// Updates whose `prev` was not the last seq received for the symbol (errors).
    public var chainBreaks: UInt64 = 0
    /// Seqs at or below the last one (errors).
    public var backwards: UInt64 = 0
    /// Updates before the symbol's snapshot (errors).
    public var updatesBeforeSnapshot: UInt64 = 0
    /// Snapshots older than the client's line (errors).
    public var snapshotsBackwards: UInt64 = 0
    /// Messages that were not valid JSON objects (errors).
    public var invalidJSON: UInt64 = 0
    /// Messages missing a required field or naming a symbol the client did not subscribe to (errors).
    public var badFields: UInt64 = 0
    /// Binary frames (the text API never sends one; errors).
    public var binaryMessages: UInt64 = 0
    /// `error` messages from the server (not errors of the server; counted, logged once).
    public var serverErrors: UInt64 = 0

    /// All zero.
    public init() {}

    /// Counts one verdict.
    @inline(__always)
    public mutating func count(_ verdict: SequenceVerdict) {
        switch verdict {
        case .snapshot, .inOrder: break
        case .conflated(let n): conflatedSkipped &+= n
        case .depthFiltered(let n): depthSkipped &+= n
        case .gapNotice(let n): gapNotices &+= 1; gapSkipped &+= n
        case .unexplainedGap(let n): unexplainedGaps &+= 1; unexplainedSkipped &+= n
        case .backwards: backwards &+= 1
        case .chainBreak: chainBreaks &+= 1
        case .updateBeforeSnapshot: updatesBeforeSnapshot &+= 1
        case .snapshotBackwards: snapshotsBackwards &+= 1
        case .missingField: badFields &+= 1
        }
    }

    /// Sequence errors: unexplained gaps, chain breaks, backwards seqs, order errors.
    public var sequenceErrors: UInt64 { unexplainedGaps + chainBreaks + backwards + updatesBeforeSnapshot + snapshotsBackwards }

    /// Protocol errors seen in messages: invalid JSON, bad fields, binary frames.
    public var messageErrors: UInt64 { invalidJSON + badFields + binaryMessages }

    /// Adds `other`.
    public mutating func merge(_ other: CheckCounts) {
        messages += other.messages; bytes += other.bytes; updates += other.updates; snapshots += other.snapshots
        for i in byType.indices { byType[i] += other.byType[i] }
        conflatedMessages += other.conflatedMessages; conflatedSkipped += other.conflatedSkipped
        gapNotices += other.gapNotices; gapSkipped += other.gapSkipped; depthSkipped += other.depthSkipped
        unexplainedGaps += other.unexplainedGaps; unexplainedSkipped += other.unexplainedSkipped
        backwards += other.backwards; chainBreaks += other.chainBreaks; updatesBeforeSnapshot += other.updatesBeforeSnapshot
        snapshotsBackwards += other.snapshotsBackwards; invalidJSON += other.invalidJSON
        badFields += other.badFields; binaryMessages += other.binaryMessages; serverErrors += other.serverErrors
    }
}

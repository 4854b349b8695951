/// Open connections per user (`sub`), for the `conn` entitlement: when a user opens one connection
/// more than allowed, the **oldest** of theirs is the one to close (1008 `session_replaced`), so a
/// user who moves to a new device is not locked out by a stale connection on the old one.
///
/// Entries exist only while a user has a connection open, so the table is bounded by the gateway's
/// client limit. Loop-thread only.
public struct UserSessions: Sendable {
    private var bySubject: [String: [UInt64]] = [:]

    /// An empty table.
    public init() {}

    /// Records `connection` of `subject`; returns the connections of the same user to close now, oldest
    /// first, so that at most `limit` remain (none when `limit` is nil).
    public mutating func open(subject: String, connection: UInt64, limit: Int?) -> [UInt64] {
        var list = bySubject[subject, default: []]
        list.append(connection)
        var replaced: [UInt64] = []
        if let limit, list.count > max(1, limit) {
            replaced = Array(list.prefix(list.count - max(1, limit)))
            list.removeFirst(replaced.count)
        }
        bySubject[subject] = list
        return replaced
    }

    /// Forgets `connection` of `subject` (closed, or replaced).
    public mutating func close(subject: String, connection: UInt64) {
        guard var list = bySubject[subject] else { return }
        list.removeAll { $0 == connection }
        bySubject[subject] = list.isEmpty ? nil : list
    }

    /// Open connections of `subject`.
    public func connections(of subject: String) -> Int { bySubject[subject]?.count ?? 0 }

    /// Users with at least one connection.
    public var users: Int { bySubject.count }

    /// How many users hold at most `bound` connections, for each of `bounds` (ascending), plus the
    /// total: the cumulative buckets of a Prometheus histogram of connections per user (never a
    /// label per user).
    public func histogram(bounds: [Int]) -> (buckets: [Int], count: Int, sum: Int) {
        var buckets = [Int](repeating: 0, count: bounds.count)
        var sum = 0
        for list in bySubject.values {
            sum += list.count
            for (i, bound) in bounds.enumerated() where list.count <= bound { buckets[i] += 1 }
        }
        return (buckets, bySubject.count, sum)
    }
}

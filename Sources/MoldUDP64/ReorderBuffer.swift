/// The packets that arrived ahead of a gap, waiting to be applied in order once it is filled:
/// at most `capacity` packets of at most `slotSize` bytes, in one allocation made at start.
///
/// Invariants: `entries` is sorted by first sequence number, no two entries start at the same
/// number, and each entry's slot is in use exactly once; free slots are on `free`.
struct ReorderBuffer {
    /// One waiting packet: its message range, where its bytes are, when it was received, from which line.
    struct Entry {
        var start: UInt64
        var end: UInt64
        var slot: Int
        var length: Int
        var receiveTime: UInt64
        var line: Int
    }

    let capacity: Int
    let slotSize: Int
    private let storage: UnsafeMutableRawPointer
    private(set) var entries: [Entry] = []
    private var free: [Int]

    init(capacity: Int, slotSize: Int) {
        self.capacity = capacity
        self.slotSize = slotSize
        storage = .allocate(byteCount: capacity * slotSize, alignment: 64)
        free = Array((0..<capacity).reversed())
        entries.reserveCapacity(capacity)
    }

    /// Frees the storage; the owner calls it once, last.
    func deallocate() { storage.deallocate() }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    /// First sequence number of the earliest waiting packet.
    var firstStart: UInt64? { entries.first?.start }

    enum InsertResult { case stored, duplicate, full }

    /// Copies the packet `bytes` (messages `start..<end`) in, unless one starting at `start` waits already.
    mutating func insert(_ bytes: UnsafeRawBufferPointer, start: UInt64, end: UInt64, receiveTime: UInt64, line: Int) -> InsertResult {
        // Binary search for the insertion point.
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].start < start { lo = mid + 1 } else { hi = mid }
        }
        if lo < entries.count && entries[lo].start == start { return .duplicate }
        if lo > 0 && entries[lo - 1].end >= end { return .duplicate }
        guard let slot = free.popLast() else { return .full }
        (storage + slot * slotSize).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        entries.insert(Entry(start: start, end: end, slot: slot, length: bytes.count, receiveTime: receiveTime, line: line), at: lo)
        return .stored
    }

    /// The bytes of `entry` (valid until it is removed).
    func bytes(of entry: Entry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + entry.slot * slotSize, count: entry.length)
    }

    /// Removes the earliest entry; its bytes stay readable until the next insert.
    mutating func removeFirst() -> Entry {
        let e = entries.removeFirst()
        free.append(e.slot)
        return e
    }

    /// Forgets every waiting packet.
    mutating func removeAll() {
        for e in entries { free.append(e.slot) }
        entries.removeAll(keepingCapacity: true)
    }
}

import CZlib

/// The bytes zlib holds for compression state, counted through `CZlib`'s allocation hooks: every
/// `MessageDeflater` and `MessageInflater` made with this account adds what zlib allocates and
/// subtracts what it frees (a `FixedHuffmanDeflater` adds its tables while it lives). A server keeps one for all its connections (a gauge for `/metrics`, and
/// the memory-per-connection figure); a test gives a stream its own to see exactly what it costs.
///
/// Invariants: `counter` is allocated in `init`, freed in `deinit`, and every stream counting into it
/// holds a strong reference to this object, so it outlives them. It is read and written only with
/// atomic builtins (zlib's hooks, `qz_counter_load`), so `bytes` may be read from any thread.
public final class CompressionMemory: @unchecked Sendable {
    // @unchecked: the counter is only touched atomically, by the C hooks and `qz_counter_load`.
    let counter: UnsafeMutablePointer<Int64>

    /// A fresh account at 0 bytes.
    public init() {
        counter = .allocate(capacity: 1)
        counter.initialize(to: 0)
    }

    deinit { counter.deallocate() }

    /// The bytes zlib has asked for and not yet freed (its own allocations, without malloc's overhead),
    /// and the tables of the fixed-Huffman encoders counting here.
    public var bytes: Int { Int(qz_counter_load(counter)) }

    /// Counts `bytes` more (negative: fewer) of compression state that zlib does not allocate.
    func add(_ bytes: Int) { qz_counter_add(counter, Int64(bytes)) }
}

import Synchronization

/// The key file's latest good contents, shared between the thread that reloads it (the main thread,
/// on SIGHUP) and the thread that verifies tokens (the gateway's loop). `reload()` reads and checks
/// the whole file first and swaps the new ring in only if it is good, so a verifier sees the old
/// ring or the new one, never a mix and never none; a bad file keeps the old keys and says why.
///
/// A verifier does not take the lock per token: it keeps its own copy of the ring and the
/// `generation` it came from, and copies again (under the lock) only when `generation` moved.
public final class ReloadableKeyRing: Sendable {
    /// The key file.
    public let path: String
    private let ring: Mutex<KeyRing>
    private let generationCounter = Atomic<UInt64>(1)
    private let reloadCount = Atomic<Int>(0)
    private let failedReloadCount = Atomic<Int>(0)

    /// Loads the key file at `path` (start-up: a bad file is an error).
    public init(path: String) throws(KeyFileError) {
        self.path = path
        ring = Mutex(try KeyFile.load(path: path))
    }

    /// Reads the file again; swaps the new ring in when it is good, keeps the old one when not.
    /// Any thread. Returns the new ring or why the file was refused.
    @discardableResult
    public func reload() -> Result<KeyRing, KeyFileError> {
        let fresh: KeyRing
        do {
            fresh = try KeyFile.load(path: path)
        } catch {
            failedReloadCount.add(1, ordering: .relaxed)
            return .failure(error)
        }
        ring.withLock { current in
            current = fresh
            // Relaxed is enough: a reader that sees the new number takes the lock to copy the ring,
            // and the lock orders the copy after this swap. A reader that still sees the old number
            // keeps the old ring until its next look.
            generationCounter.add(1, ordering: .relaxed)
        }
        reloadCount.add(1, ordering: .relaxed)
        return .success(fresh)
    }

    /// Moves each time a reload succeeds.
    public var generation: UInt64 { generationCounter.load(ordering: .relaxed) }

    /// The current ring and its generation (under the lock).
    public func snapshot() -> (keys: KeyRing, generation: UInt64) {
        ring.withLock { ($0, generationCounter.load(ordering: .relaxed)) }
    }

    /// Successful reloads.
    public var reloads: Int { reloadCount.load(ordering: .relaxed) }
    /// Reloads refused (the old keys stayed).
    public var failedReloads: Int { failedReloadCount.load(ordering: .relaxed) }
}

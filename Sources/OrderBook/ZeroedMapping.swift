import Glibc

/// Zero-filled anonymous memory for a large table read at random (the order window, the books),
/// asking the kernel for 2 MiB pages: with 4 KiB pages the 16 MiB order window spans 4 096 pages,
/// more than the TLB holds, so a lookup of an older order also walked the page tables (doubly costly
/// under virtualization); thousands of books likewise. Transparent huge pages are a hint: where the
/// kernel declines (THP off, no free 2 MiB frames), the memory is ordinary pages and only slower.
///
/// Invariants: `base` is 2 MiB aligned and `byteCount` bytes long, inside the mapping
/// `[mapping, mapping + mappedBytes)`; `unmap` is called exactly once, by the owner.
struct ZeroedMapping {
    static let hugePage = 2 << 20
    let base: UnsafeMutableRawPointer
    private let mapping: UnsafeMutableRawPointer
    private let mappedBytes: Int

    init(byteCount: Int) {
        // Map a huge page more than needed, so that an aligned start can be chosen inside.
        mappedBytes = byteCount + Self.hugePage
        guard let raw = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else {
            fatalError("cannot map \(mappedBytes) bytes of zeroed memory: errno \(errno)")
        }
        mapping = raw
        let aligned = (Int(bitPattern: raw) + Self.hugePage - 1) & ~(Self.hugePage - 1)
        base = UnsafeMutableRawPointer(bitPattern: aligned)!
        _ = madvise(base, byteCount, MADV_HUGEPAGE)
    }

    func unmap() { munmap(mapping, mappedBytes) }
}

// Shared by every libFuzzer target (built by scripts/fuzz, not by SwiftPM): the libFuzzer hooks and
// the helpers properties use.
//
// Each target file defines `fuzzTargetSeeds()` and `LLVMFuzzerTestOneInput`; this file defines
// `LLVMFuzzerInitialize`, which writes the seeds and exits when QUOTECAST_FUZZ_SEEDS names a directory.

#if canImport(Glibc)
import Glibc
#endif

/// Keeps a computed value alive so the optimizer cannot drop the loads that made it.
@inline(never)
func keep(_ value: UInt64) {
    if value == 0x5EED_F00D_DEAD_BEEF { print("", terminator: "") }
}

/// Stops the fuzzer with a crash that names the broken property.
func propertyFailed(_ what: String) -> Never {
    fatalError("fuzz property failed: \(what)")
}

// MARK: - libFuzzer hooks

/// Writes this target's seeds into $QUOTECAST_FUZZ_SEEDS and exits, when that variable is set.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>,
                           _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    guard let directory = getenv("QUOTECAST_FUZZ_SEEDS").map({ String(cString: $0) }) else { return 0 }
    for (name, bytes) in fuzzTargetSeeds() {
        guard let file = fopen(directory + "/" + name, "wb"), fwrite(bytes, 1, bytes.count, file) == bytes.count,
              fclose(file) == 0 else {
            print("cannot write seed \(name)")
            exit(1)
        }
    }
    exit(0)
}

// A plain C single-producer, multi-consumer broadcast ring: the yardstick for the Swift ring in
// `quotecast-bench`. Same shape as Fanout's ring with only gating readers: 256-byte slots, cursors on
// their own 128-byte lines, each side caching the other's cursor, batched release publishes, readers
// spinning with a sched_yield every 1024 rounds (no parking). C11 atomics, compiled -O2.
#ifndef QUOTECAST_CRING_BASELINE_H
#define QUOTECAST_CRING_BASELINE_H
#include <stdint.h>

/// Slot size in bytes (matches Fanout's `RingLayout.slotSize`).
#define QC_RING_BASELINE_SLOT 256

/// Runs one broadcast of `ticks` records through a ring of `capacity` slots (a power of two) with
/// `readers` (1...16) reader threads. The writer copies `record` (`record_size` ≤ 248 bytes) into each
/// slot after setting its 8-byte field at `seq_offset` to the tick number, and publishes every `batch`
/// ticks; every reader copies each slot out and sums that field into `checksums[reader]`.
/// Returns the wall-clock nanoseconds from the writer's start to the last reader's end (0 on error).
uint64_t qc_ring_baseline_run(int readers, uint64_t ticks, uint32_t capacity, uint32_t batch,
                              const void *record, uint32_t record_size, uint32_t seq_offset,
                              uint64_t *checksums);

int qc_ring_baseline_version(void);
#endif

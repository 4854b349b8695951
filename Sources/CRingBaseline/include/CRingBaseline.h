// Placeholder header; the baseline ring is written with the ring benchmark.
#ifndef QUOTECAST_CRING_BASELINE_H
#define QUOTECAST_CRING_BASELINE_H
#include <stdint.h>
int qc_ring_baseline_version(void);
#endif

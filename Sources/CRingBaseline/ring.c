#include "CRingBaseline.h"
int qc_ring_baseline_version(void) { return 1; }

// See CRingBaseline.h. Deliberately plain: what a competent C programmer writes first.
#include "CRingBaseline.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE 128
#define MAX_READERS 16

typedef struct { _Alignas(LINE) _Atomic uint64_t value; } padded_cursor;

typedef struct {
    padded_cursor published;                 // writer → readers
    padded_cursor readers[MAX_READERS];      // readers → writer
    unsigned char *slots;
    uint64_t mask;
    uint32_t record_size, seq_offset;
    int reader_count;
    uint64_t ticks;
    uint64_t checksums[MAX_READERS];
} ring;

typedef struct { ring *r; int index; } reader_arg;

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause");
#endif
}

/// Spin-wait step: `pause`, and every 1024 rounds yield the core (with more threads than cores a pure
/// spinner would burn the time slice the other side needs; the Swift ring parks instead).
static inline void backoff(uint32_t *spins) {
    if (++*spins % 1024 == 0) sched_yield(); else relax();
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *reader_main(void *p) {
    reader_arg *a = p;
    ring *r = a->r;
    uint64_t cursor = 0, cached = 0, sum = 0;
    unsigned char local[256];
    uint32_t spins = 0;
    while (cursor < r->ticks) {
        if (cursor == cached) {
            cached = atomic_load_explicit(&r->published.value, memory_order_acquire);
            if (cursor == cached) { backoff(&spins); continue; }
        }
        memcpy(local, r->slots + (cursor & r->mask) * QC_RING_BASELINE_SLOT, r->record_size);
        uint64_t seq;
        memcpy(&seq, local + r->seq_offset, 8);
        sum += seq;
        cursor++;
        atomic_store_explicit(&r->readers[a->index].value, cursor, memory_order_release);
    }
    r->checksums[a->index] = sum;
    return NULL;
}

uint64_t qc_ring_baseline_run(int readers, uint64_t ticks, uint32_t capacity, uint32_t batch,
                              const void *record, uint32_t record_size, uint32_t seq_offset,
                              uint64_t *checksums) {
    if (readers < 1 || readers > MAX_READERS || capacity < 2 || (capacity & (capacity - 1)) ||
        record_size > QC_RING_BASELINE_SLOT - 8 || seq_offset + 8 > record_size || batch == 0) return 0;
    ring *r = aligned_alloc(LINE, sizeof(ring));
    if (!r) return 0;
    memset(r, 0, sizeof *r);
    r->slots = aligned_alloc(LINE, (size_t)capacity * QC_RING_BASELINE_SLOT);
    if (!r->slots) { free(r); return 0; }
    memset(r->slots, 0, (size_t)capacity * QC_RING_BASELINE_SLOT);
    r->mask = capacity - 1;
    r->record_size = record_size;
    r->seq_offset = seq_offset;
    r->reader_count = readers;
    r->ticks = ticks;

    pthread_t threads[MAX_READERS];
    reader_arg args[MAX_READERS];
    uint64_t start = now_ns();
    for (int i = 0; i < readers; i++) {
        args[i] = (reader_arg){ r, i };
        pthread_create(&threads[i], NULL, reader_main, &args[i]);
    }
    unsigned char local[256];
    memcpy(local, record, record_size);
    uint64_t next = 0, published = 0, limit = capacity;   // limit: slowest reader + capacity (cached)
    while (next < ticks) {
        if (next == limit) {
            if (published != next) {
                atomic_store_explicit(&r->published.value, next, memory_order_release);
                published = next;
            }
            uint64_t slowest;
            uint32_t spins = 0;
            do {
                slowest = UINT64_MAX;
                for (int i = 0; i < readers; i++) {
                    uint64_t c = atomic_load_explicit(&r->readers[i].value, memory_order_acquire);
                    if (c < slowest) slowest = c;
                }
                if (slowest + capacity == next) backoff(&spins);
            } while (slowest + capacity == next);
            limit = slowest + capacity;
        }
        memcpy(local + seq_offset, &next, 8);
        memcpy(r->slots + (next & r->mask) * QC_RING_BASELINE_SLOT, local, record_size);
        next++;
        if (next - published >= batch) {
            atomic_store_explicit(&r->published.value, next, memory_order_release);
            published = next;
        }
    }
    atomic_store_explicit(&r->published.value, next, memory_order_release);
    for (int i = 0; i < readers; i++) pthread_join(threads[i], NULL);
    uint64_t elapsed = now_ns() - start;
    for (int i = 0; i < readers; i++) checksums[i] = r->checksums[i];
    free(r->slots);
    free(r);
    return elapsed;
}

int qc_ring_baseline_version(void) { return 2; }

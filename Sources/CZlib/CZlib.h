// quotecast's view of the operating system's zlib (Debian: zlib1g-dev), for permessage-deflate.
// zlib's init functions are macros (Swift cannot call them) and its allocation hooks are C function
// pointers: both are set up here, so Swift sees plain functions. Every allocation zlib makes goes
// through qz_alloc/qz_free, which count the bytes in a caller-owned counter (memory per connection,
// /metrics) and keep the size in a 16-byte prefix so the free can subtract it.
#ifndef QUOTECAST_CZLIB_H
#define QUOTECAST_CZLIB_H

#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

/// The prefix in front of each allocation: its size (16 bytes keep malloc's alignment).
#define QZ_PREFIX 16

static inline voidpf qz_alloc(voidpf counter, uInt items, uInt size) {
    size_t n = (size_t)items * (size_t)size;
    unsigned char *block = (unsigned char *)malloc(n + QZ_PREFIX);
    if (block == NULL) return Z_NULL;
    *(size_t *)block = n;
    __atomic_fetch_add((int64_t *)counter, (int64_t)n, __ATOMIC_RELAXED);
    return block + QZ_PREFIX;
}

static inline void qz_free(voidpf counter, voidpf address) {
    if (address == Z_NULL) return;
    unsigned char *block = (unsigned char *)address - QZ_PREFIX;
    __atomic_fetch_sub((int64_t *)counter, (int64_t)*(size_t *)block, __ATOMIC_RELAXED);
    free(block);
}

/// deflateInit2 for raw DEFLATE (no zlib header or trailer) with `window_bits` 9...15, counting into
/// `counter`. Returns zlib's status (Z_OK, Z_MEM_ERROR, Z_STREAM_ERROR for bad parameters).
static inline int qz_deflate_init(z_stream *stream, int level, int window_bits, int memory_level, int64_t *counter) {
    stream->zalloc = qz_alloc;
    stream->zfree = qz_free;
    stream->opaque = counter;
    stream->next_in = Z_NULL;
    stream->avail_in = 0;
    return deflateInit2(stream, level, Z_DEFLATED, -window_bits, memory_level, Z_DEFAULT_STRATEGY);
}

/// inflateInit2 for raw DEFLATE with `window_bits` 8...15, counting into `counter`.
static inline int qz_inflate_init(z_stream *stream, int window_bits, int64_t *counter) {
    stream->zalloc = qz_alloc;
    stream->zfree = qz_free;
    stream->opaque = counter;
    stream->next_in = Z_NULL;
    stream->avail_in = 0;
    return inflateInit2(stream, -window_bits);
}

/// Adds `bytes` (negative: subtracts) to the counter: memory of compression state that zlib's hooks
/// do not see (quotecast's own fixed-Huffman encoder's tables).
static inline void qz_counter_add(int64_t *counter, int64_t bytes) {
    __atomic_fetch_add(counter, bytes, __ATOMIC_RELAXED);
}

/// The counter's value (an atomic load, so other threads may read it while zlib allocates).
static inline int64_t qz_counter_load(const int64_t *counter) {
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

#endif

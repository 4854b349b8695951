// quotecast's C shim: the few system interfaces Swift's Glibc module does not expose.
// No _GNU_SOURCE here (it would clash with SwiftGlibc); GNU-only calls are wrapped in shim.c.
#ifndef QUOTECAST_CSHIM_H
#define QUOTECAST_CSHIM_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

/// One CPU relax hint for spin loops (x86 `pause`, arm `yield`).
static inline void qc_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Names the calling thread (at most 15 bytes are kept), visible in `top -H` and `ps -L`.
int qc_set_thread_name(const char *name);

/// The calling thread's kernel id (gettid).
int qc_gettid(void);

#endif
